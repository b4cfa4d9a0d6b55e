"""Background jobs (后台任务): heavy work — the 整改台账 export, reminders — run off the request, with
progress the user can watch, a result file to download, and a reason in Chinese when it fails."""
from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
