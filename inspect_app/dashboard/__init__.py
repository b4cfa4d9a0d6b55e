"""Province and city dashboards: closure rates, overdue, trends, drill-down, reports."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
