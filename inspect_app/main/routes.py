"""The signed-in home page and the unauthenticated health check."""
import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user

from inspect_app import access
from inspect_app.extensions import db
from inspect_app.main import bp, tasks
from inspect_app.org import service as org_service
from inspect_app.rendering import render


@bp.get("/healthz")
@access.rule(access.PUBLIC)
def healthz():
    """Liveness and database reachability for load balancers; no sign-in, no secrets."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        db.session.rollback()
        return jsonify(status="error", db="error"), 503
    return jsonify(status="ok", db="ok")


@bp.get("/")
@access.rule(access.SIGNED_IN)
def index():
    """Home: the user's tasks first (what waits for them, with counts and links), then what this
    account covers and where to go next."""
    overview = org_service.scope_overview(current_user)
    return render("main/index.html", overview=overview, tasks=tasks.tasks_for(current_user))
