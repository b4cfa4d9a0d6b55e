"""Site visits (实地核查): checklist answers, findings and their photos, on tablets."""
from flask import Blueprint

bp = Blueprint("visits", __name__, url_prefix="/visits")
