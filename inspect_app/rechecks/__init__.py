"""回头看 / 抽查复核: sampled re-checks of closed (已销号) rectification items.

A re-check round draws a reproducible, stratified sample of a campaign's closed items (service.py's
pure `draw_sample`), assigns it to a team, and the team's inspectors record a result per item on
the tablet; anything but 整改到位 reopens the item through the lifecycle (Action.RECHECK). The
dashboard's false-closure rates are in figures.py.
"""
from flask import Blueprint

bp = Blueprint("rechecks", __name__, url_prefix="/rechecks")
