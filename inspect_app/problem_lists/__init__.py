"""The county problem list (反馈问题清单): consolidate findings, number them, issue (下发)."""
from flask import Blueprint

bp = Blueprint("problem_lists", __name__, url_prefix="/problem-lists")
