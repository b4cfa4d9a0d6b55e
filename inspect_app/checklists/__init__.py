"""Checklists (核查表): versioned templates, XLSX exchange, publishing."""
from flask import Blueprint

bp = Blueprint("checklists", __name__, url_prefix="/checklists")
