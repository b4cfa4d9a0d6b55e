"""自查 — a county's self-inspection of its own sites against the campaign's checklist version,
compared with the inspectors' answers once they have answered (issue 15)."""
from flask import Blueprint

bp = Blueprint("self_inspections", __name__, url_prefix="/self-inspections")
