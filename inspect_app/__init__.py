"""医共体核查整改 — the Flask application factory."""
import gc
import json
import os
from datetime import datetime, timezone

from flask import Flask, flash, get_flashed_messages, make_response, redirect, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from inspect_app import request_guard, static_assets
from inspect_app.extensions import csrf, db, htmx, login_manager, migrate

ROOT_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def create_app(config=None) -> Flask:
    """Build the app: extensions, blueprints, security headers, error pages and CLI commands."""
    app = Flask(__name__, instance_path=os.path.join(ROOT_DIR, "instance"),
                template_folder=os.path.join(ROOT_DIR, "templates"),
                static_folder=os.path.join(ROOT_DIR, "static"))
    if config is None:
        from config import Config, ProductionConfig
        config = ProductionConfig if os.environ.get("APP_ENV") == "production" else Config
    app.config.from_object(config)
    if hasattr(config, "check"):
        config.check()
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        from config import instance_secret
        app.config["SECRET_KEY"] = instance_secret(app.instance_path)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT_DIR, "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    static_assets.init_app(app)     # first: its compression runs after every other response rule

    _register_models()
    _register_blueprints(app)
    _register_session_rules(app)
    _register_response_rules(app)
    _register_errors(app)
    request_guard.init_app(app)
    _register_template_helpers(app)
    _register_cli(app)
    from inspect_app.jobs import queue
    queue.init_app(app)
    from inspect_app.media.processing import configure_decoding
    configure_decoding(app.config["IMAGE_DECODE_CONCURRENCY"], app.config["IMAGE_DECODE_WAIT_SECONDS"])
    if not app.testing:
        # Everything built so far lives as long as the process: move it out of the garbage
        # collector's generations, so a full collection in a request (dashboard pages allocate
        # thousands of figures) does not walk it again. (Python's gc.freeze docs; after fork too.)
        gc.freeze()
    return app


def _register_models():
    """Import every models module so metadata (and Alembic autogenerate) sees all tables."""
    from inspect_app.api import models as _api  # noqa: F401
    from inspect_app.audit import chain
    from inspect_app.rectification import search as _search  # noqa: F401 (its indexes and FTS table)
    from inspect_app.audit import models as _audit  # noqa: F401
    from inspect_app.auth import models as _auth  # noqa: F401
    from inspect_app.campaigns import models as _campaigns  # noqa: F401
    from inspect_app.checklists import models as _checklists  # noqa: F401
    from inspect_app.dashboard import models as _dashboard  # noqa: F401
    from inspect_app.jobs import models as _jobs  # noqa: F401
    from inspect_app.dashboard import rollups
    from inspect_app.media import models as _media  # noqa: F401
    from inspect_app.org import models as _org  # noqa: F401
    from inspect_app.rectification import models as _rectification  # noqa: F401
    from inspect_app.rechecks import models as _rechecks  # noqa: F401
    from inspect_app.repeats import models as _repeats  # noqa: F401
    from inspect_app.repeats import service as repeats
    from inspect_app.self_inspections import models as _self_inspections  # noqa: F401
    from inspect_app.visits import models as _visits  # noqa: F401

    rollups.install()       # the dashboard's summary rows change in the same flush as the items
    chain.install()         # audit rows are hash-chained in the flush that writes them
    repeats.install()       # a finding's 屡查屡犯 links follow its checklist item and site


BLUEPRINT_PACKAGES = ("main", "auth", "org", "users", "security", "audit", "checklists", "campaigns", "visits", "media",
                      "problem_lists", "rectification", "rechecks", "dashboard", "api", "jobs", "repeats",
                      "self_inspections")


def _register_blueprints(app):
    """Import each feature's routes and register its blueprint.

    Route modules are imported here, not in each package's __init__, so that models can be imported
    anywhere without dragging views (and their imports) along in a cycle.
    """
    import importlib

    for name in BLUEPRINT_PACKAGES:
        importlib.import_module(f"inspect_app.{name}.routes")
        app.register_blueprint(importlib.import_module(f"inspect_app.{name}").bp)
    # Static files are public by nature; declare it so the route-rule test sees a decision.
    app.view_functions["static"].access_rule = "public"


def _register_session_rules(app):
    """Sessions end after the idle timeout, on logout, password change or account disabling."""
    from sqlalchemy.orm import joinedload

    from inspect_app.auth import sessions
    from inspect_app.auth.models import User

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(token: str):
        try:
            user_id, version = (int(part) for part in token.split(":"))
        except ValueError:
            return None
        # Every page header shows the account's scope (region, unit): load them with the user.
        user = db.session.get(User, user_id, options=[joinedload(User.region), joinedload(User.unit)])
        if user is None or not user.active or user.session_version != version:
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        # Signing in again returns to the page the user was on (issue 9); htmx and the page's own
        # fetches get a 401 they can handle (the typed text stays as a local draft) instead of the
        # sign-in page swapped into a fragment.
        login_url = url_for("auth.login", next=sessions.return_path(request))
        if request.htmx or request.accept_mimetypes.best == "application/json":
            # The page made this request thinking it was signed in (the offline queue's token
            # fetch, a fragment): the sign-in page it is sent to says why, unless the idle
            # timeout or an expired page said so already.
            if not session.get("_flashes"):
                flash("登录已过期，请重新登录。未保存的内容已暂存在本机。", "info")
            response = app.response_class(json.dumps({"signed_in": False, "login_url": login_url,
                                                      "error": "登录已过期，请重新登录"}),
                                          status=401, mimetype="application/json")
            response.headers["HX-Redirect"] = login_url
            return response
        if not session.get("_flashes"):  # the idle timeout or an expired page said why already
            flash("请先登录", "info")
        return redirect(login_url)

    @app.before_request
    def enforce_idle_timeout():
        if request.endpoint == "static" or not current_user.is_authenticated:
            return None
        now = datetime.now(timezone.utc).timestamp()
        idle = app.config["IDLE_TIMEOUT_MINUTES"] * 60
        seen = session.get("seen")
        # A session without a start stamp (issued before this rule) starts counting now.
        started = session.setdefault("started", now)
        expired = None
        if seen is not None and now - seen > idle:
            expired = "长时间未操作，已自动退出，请重新登录"
        elif now - started > app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
            expired = f"登录已超过 {app.config['SESSION_ABSOLUTE_HOURS']:g} 小时，请重新登录"
        if expired:
            logout_user()
            session.clear()
            flash(expired, "info")
            return login_manager.unauthorized()
        if request.endpoint not in sessions.PASSIVE_ENDPOINTS:  # a poll is not user activity
            session["seen"] = now
        session.permanent = True
        return None

    @app.after_request
    def tell_idle_remaining(response):
        # Every answer tells the page how long the session has left, so it can warn in time.
        if request.endpoint != "static" and current_user.is_authenticated and "seen" in session:
            remaining = sessions.idle_remaining(session["seen"], datetime.now(timezone.utc).timestamp(),
                                                app.config["IDLE_TIMEOUT_MINUTES"])
            response.headers[sessions.IDLE_HEADER] = str(remaining)
        return response
    @app.before_request
    def enforce_password_change():
        """An account whose password was set by someone else (or has expired) may do nothing but
        change it or sign out. Only session sign-ins: API tokens have their own rules."""
        from inspect_app.auth.service import password_change_due

        # The bell's polling (a count, on every page) is exempt: redirecting it would reload the
        # change-password page itself, for ever.
        if request.endpoint in ("static", "auth.change_password", "auth.logout", "main.healthz",
                                "rectification.bell", "auth.session_status", "auth.keepalive") \
                or not current_user.is_authenticated or "_user_id" not in session:
            return None
        reason = password_change_due(current_user, app.config["PASSWORD_MAX_AGE_DAYS"])
        if reason is None:
            return None
        target = url_for("auth.change_password")
        if request.htmx:
            response = app.response_class(status=403)
            response.headers["HX-Redirect"] = target
            return response
        flash(reason, "info")
        return redirect(target)


def _hide_server_version():
    """The development server (flask run) names itself and Python's version in every answer
    ("Werkzeug/3.1.9 Python/3.11.7"): http.server writes that header before the app's headers, so
    only the handler can change it. gunicorn says just "gunicorn" (no version), and the proxy in
    front hides even that (README: server_tokens off, proxy_hide_header Server)."""
    from werkzeug.serving import WSGIRequestHandler
    WSGIRequestHandler.version_string = lambda _self: "inspect"


def _register_response_rules(app):
    """Security headers on every response; flashed messages become toasts for htmx swaps."""
    _hide_server_version()

    @app.after_request
    def secure_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
        response.vary.add("HX-Request")
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("HSTS_SECONDS"):
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={int(app.config['HSTS_SECONDS'])}; includeSubDomains")
        if app.config.get("INSTANCE_NAME"):
            response.headers["X-Instance"] = app.config["INSTANCE_NAME"]  # which instance answered
        if response.status_code == 503:
            # Busy (image decodes) or unhealthy: tell clients and load balancers when to try again.
            response.headers.setdefault("Retry-After", str(max(1, round(app.config["IMAGE_DECODE_WAIT_SECONDS"]))))
        return response

    @app.after_request
    def flashes_to_toasts(response):
        # A full page renders its flashes itself; a fragment swap carries them in HX-Trigger.
        from inspect_app.rendering import wants_fragment
        if request.htmx and (wants_fragment() or response.status_code >= 400) \
                and "HX-Redirect" not in response.headers:
            messages = get_flashed_messages(with_categories=True)
            if messages:
                payload = {"toast": [{"level": c, "message": m} for c, m in messages]}
                response.headers["HX-Trigger"] = json.dumps(payload)
        return response


# Error pages: status → (title, message). Never a stack trace; htmx requests get a toast instead.
ERROR_PAGES = {
    400: ("请求已失效", "页面已过期或请求来源无法验证，请刷新页面后重试。"),  # CSRF
    403: ("无权访问", "您没有权限执行此操作。"),
    404: ("页面不存在", "您要找的内容不存在，或不在您的查看范围内。"),
    405: ("请求方式不正确", "该页面不支持这种请求方式。"),
    413: ("文件过大", "本次提交的文件合计超过 {limit} MB 上限（每个文件不超过 20 MB），请减少文件数量，分几次提交。"),
    500: ("系统错误", "服务器处理请求时出错，已记录。请稍后重试。"),
}


def request_limit_mb(app) -> int:
    """MAX_CONTENT_LENGTH (a whole request) in whole MB, for messages."""
    return int((app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))


def _register_errors(app):
    from flask import render_template

    from inspect_app.audit import security

    def page(code):
        title, message = ERROR_PAGES[code]
        message = message.format(limit=request_limit_mb(app))
        if code == 500:
            db.session.rollback()
        if request.htmx:
            body = json.dumps({"toast": [{"level": "error", "message": message}]})
            return app.response_class(status=code, headers={"HX-Trigger": body})
        return render_template("errors/error.html", code=code, title=title, message=message), code

    def csrf_failed(error):
        """A stale or missing CSRF token, recorded as a security event. Without a session (the cookie
        expired on a sleeping tablet) it is a sign-in problem: answer like any unauthorised request,
        with the way back. With one (signed in again in another tab) the page may fetch the current
        token and retry: say so."""
        from inspect_app.auth import sessions
        security.csrf_refused(error.description)
        if request.endpoint == "auth.login":
            flash("页面已过期，请重新登录", "info")
            return redirect(url_for("auth.login", next=sessions.safe_next_path(request.args.get("next"))))
        if not current_user.is_authenticated:
            flash("登录已过期，请重新登录。未保存的内容已暂存在本机。", "info")
            return login_manager.unauthorized()
        response = make_response(page(400))
        response.headers[sessions.CSRF_EXPIRED_HEADER] = "1"
        return response

    def denied(code):
        security.denied(code)     # the access layer's refusals are security events
        return page(code)

    def domain_error(error):
        """A DomainError no route caught: the page, an htmx toast or the API's JSON, with its status.
        Nothing of the refused action is kept (the session is rolled back)."""
        from inspect_app.errors import DomainError
        assert isinstance(error, DomainError)
        db.session.rollback()
        if error.status in (403, 404):
            return denied(error.status)
        if request.path.startswith("/api/"):
            return app.response_class(json.dumps({"error": error.message, "field": error.field},
                                                 ensure_ascii=False),
                                      status=error.status, mimetype="application/json")
        if request.htmx:
            body = json.dumps({"toast": [{"level": "error", "message": error.message}]})
            return app.response_class(status=error.status, headers={"HX-Trigger": body})
        return render_template("errors/error.html", code=error.status, title="无法完成操作",
                               message=error.message), error.status

    from inspect_app.errors import DomainError
    app.register_error_handler(DomainError, domain_error)
    for code in (405, 413, 500):
        app.register_error_handler(code, lambda _e, code=code: page(code))
    for code in (403, 404):
        app.register_error_handler(code, lambda _e, code=code: denied(code))
    app.register_error_handler(CSRFError, csrf_failed)


def _register_template_helpers(app):
    from inspect_app import access
    from inspect_app.documents.dates import cn_date, cn_datetime, iso_date
    from inspect_app.rectification import date_rules
    from inspect_app.rectification.date_rules import ESTIMATE_NOTE
    from inspect_app.rectification.lifecycle import deadline_is_estimate

    app.jinja_env.filters["cn_date"] = cn_date
    app.jinja_env.globals["estimate_note"] = ESTIMATE_NOTE

    def deadline_note(item) -> str:
        """ESTIMATE_NOTE for an item whose working-day deadline lies beyond the official calendar."""
        issued = date_rules.beijing_date(item.issued_at) if item.issued_at else None
        deadline = date_rules.effective_deadline(item)
        return ESTIMATE_NOTE if deadline_is_estimate(item.rectification_type, issued, deadline) else ""

    app.jinja_env.globals["deadline_note"] = deadline_note
    app.jinja_env.filters["iso_date"] = iso_date
    app.jinja_env.filters["cn_datetime"] = cn_datetime
    from inspect_app.media.processing import clean_filename
    # Names stored before names were cleaned on arrival are shown cleaned too (issue 11, seen 14).
    app.jinja_env.filters["upload_name"] = clean_filename

    P = access.Permission
    navigation = [("首页", "main.index", None), ("我的核查", "visits.index", P.VISIT_RECORD),
                  ("问题清单", "problem_lists.index", P.PROBLEM_LIST_VIEW),
                  ("县级自查", "self_inspections.index", P.SELF_INSPECTION_VIEW),
                  ("整改事项", "rectification.index", P.ITEM_VIEW),
                  ("待验收", "rectification.review_queue", P.ITEM_REVIEW),
                  ("抽查复核", "rechecks.index", P.RECHECK_VIEW),
                  ("统计分析", "dashboard.index", P.DASHBOARD_VIEW),
                  ("核查任务", "campaigns.index", P.CAMPAIGN_VIEW), ("核查表", "checklists.index", P.CHECKLIST_VIEW),
                  ("组织架构", "org.counties", P.ORG_VIEW), ("用户管理", "users.index", P.USER_MANAGE),
                  ("API 令牌", "api.tokens", P.API_TOKEN_MANAGE), ("安全管理", "security.index", P.SECURITY_MANAGE),
                  ("审计日志", "audit.index", P.AUDIT_VIEW)]
    # Blueprints are registered by now, so drop the entries without a view once, not per render.
    navigation = [entry for entry in navigation if entry[1] in app.view_functions]

    @app.context_processor
    def inject_access():
        perms = access.permissions_of(current_user)
        nav = [(label, endpoint) for label, endpoint, perm in navigation if perm is None or perm.value in perms]
        return {"perms": perms, "Permission": access.Permission, "nav_items": nav,
                "active_nav": active_nav_endpoint(request.endpoint, [endpoint for _, endpoint in nav]),
                "can_manage_account": access.can_manage_account}


# Pages that belong to the bell rather than to a navigation item (issue 14, seen 7: 通知 lit 整改事项 and 待验收).
BELL_ENDPOINTS = {"rectification.notification_list"}


def active_nav_endpoint(endpoint: str | None, nav_endpoints: list[str]) -> str | None:
    """The one navigation entry to highlight for the page at `endpoint`: the entry for that very view,
    else the first entry of the same blueprint (an item page lights 整改事项, not 待验收 too), else
    none. "bell" for the notification pages. Exactly one item (or none) is ever active."""
    if not endpoint:
        return None
    if endpoint in BELL_ENDPOINTS:
        return "bell"
    if endpoint in nav_endpoints:
        return endpoint
    blueprint = endpoint.split(".")[0]
    return next((e for e in nav_endpoints if e != "main.index" and e.split(".")[0] == blueprint), None)


def _register_cli(app):
    from inspect_app.audit.cli import audit_cli
    from inspect_app.backup.cli import backup_command, restore_command
    from inspect_app.dashboard.cli import rollups_command
    from inspect_app.demo.cli import seed_demo_command
    from inspect_app.jobs.cli import jobs_cli
    from inspect_app.media.cli import media_command
    from inspect_app.org.cli import import_divisions_command
    from inspect_app.rectification.cli import send_reminders_command

    for command in (import_divisions_command, seed_demo_command, send_reminders_command,
                    rollups_command, media_command, audit_cli, backup_command, restore_command, jobs_cli):
        app.cli.add_command(command)
