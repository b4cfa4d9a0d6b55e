"""The signed-in home page, the unauthenticated health check, the service worker and a fresh CSRF token."""
import os
import shutil
import tempfile

import sqlalchemy as sa
from flask import Response, current_app, jsonify
from flask_wtf.csrf import generate_csrf
from flask_login import current_user

from inspect_app import access, static_assets
from inspect_app.extensions import db
from inspect_app.main import bp, tasks
from inspect_app.org import service as org_service
from inspect_app.rendering import render


@bp.get("/healthz")
@access.rule(access.PUBLIC)
def healthz():
    """Liveness for load balancers, no sign-in, no secrets: the database answers, and the upload
    store takes a write and has at least UPLOAD_MIN_FREE_MB free (issue 11: a full store kept
    answering ok while every upload failed). 503 when any of them fails; free space in MB."""
    body, healthy = {"db": "ok"}, True
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        db.session.rollback()
        body["db"], healthy = "error", False
    body["uploads"], body["uploads_free_mb"] = _upload_store_state()
    if body["uploads"] != "ok":
        healthy = False
    body["status"] = "ok" if healthy else "error"
    return jsonify(body), 200 if healthy else 503


def _upload_store_state() -> tuple[str, int | None]:
    """("ok" | "not_writable" | "low_space", free MB or None) of UPLOAD_FOLDER, or of the bucket
    with STORAGE_BACKEND=s3 (a probe write; free space is the provider's to watch: None)."""
    if current_app.config.get("STORAGE_BACKEND") == "s3":
        from inspect_app.media.service import storage
        return ("ok" if storage().check_writable() else "not_writable"), None
    folder = current_app.config["UPLOAD_FOLDER"]
    try:
        os.makedirs(folder, exist_ok=True)
        free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
        # A real write, not os.access: a read-only mount or a full disk passes the permission check.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".tmp-healthz-") as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError:
        return "not_writable", None
    if free_mb < current_app.config["UPLOAD_MIN_FREE_MB"]:
        return "low_space", free_mb
    return "ok", free_mb


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
    page; revalidated on each check so a new version reaches tablets (it holds no user data). Its
    precache list names the fingerprinted URLs the pages load (static_assets.service_worker_source)."""
    response = Response(static_assets.service_worker_source(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/csrf-token")
@access.rule(access.SIGNED_IN)
def csrf_token():
    """A CSRF token for this session as JSON ({"token": …}). The offline queue asks for one before
    sending, because the token in a page kept offline may belong to a session that has ended."""
    return jsonify(token=generate_csrf())
