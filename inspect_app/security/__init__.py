"""Security administration (安全管理): sign-in locks and the admin-class accounts' passwords."""
from flask import Blueprint

bp = Blueprint("security", __name__, url_prefix="/admin/security")
