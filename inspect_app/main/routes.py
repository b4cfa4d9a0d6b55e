"""The signed-in home page, the unauthenticated health check, the service worker and a fresh CSRF token."""
import sqlalchemy as sa
from flask import current_app, jsonify, send_from_directory
from flask_wtf.csrf import generate_csrf
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


@bp.get("/sw.js")
@access.rule(access.PUBLIC)
def service_worker():
    """The service worker (static/js/sw.js) from the site's root, so that its scope covers every
    page; revalidated on each check so a new version reaches tablets (it holds no user data)."""
    response = send_from_directory(current_app.static_folder, "js/sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/csrf-token")
@access.rule(access.SIGNED_IN)
def csrf_token():
    """A CSRF token for this session as JSON ({"token": …}). The offline queue asks for one before
    sending, because the token in a page kept offline may belong to a session that has ended."""
    return jsonify(token=generate_csrf())
