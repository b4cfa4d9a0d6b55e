"""Campaigns (核查任务) and inspection teams (核查组)."""
from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
