"""The audit trail (审计日志): recording and the administrators' filterable view."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
