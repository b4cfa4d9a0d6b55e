"""The organisation tree: regions, 医共体, sites (核查点位), site kinds and responsible units."""
from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/org")
