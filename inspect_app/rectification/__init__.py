"""Rectification items (整改事项) tracked to closure (销号): the county side and acceptance."""
from flask import Blueprint

bp = Blueprint("rectification", __name__, url_prefix="/items")
