"""Account administration (用户管理)."""
from flask import Blueprint

bp = Blueprint("users", __name__, url_prefix="/admin/users")
