"""屡查屡犯 — repeat findings: a finding linked to the same problem found in an earlier campaign."""
from flask import Blueprint

bp = Blueprint("repeats", __name__, url_prefix="/repeats")
