"""Sign-in, sign-out and one's own password."""
from flask import Blueprint

bp = Blueprint("auth", __name__)
