"""Sign-in, sign-out and own-password views (thin: the rules live in auth.service)."""
from datetime import datetime, timezone
from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from inspect_app import access
from inspect_app.audit.service import record
from inspect_app.auth import bp
from inspect_app.auth.forms import ChangePasswordForm, LoginForm
from inspect_app.auth.service import change_own_password, password_change_due, previous_sign_in_notice, sign_in
from inspect_app.auth.sessions import safe_next_path, session_state
from inspect_app.errors import DomainError
from inspect_app.extensions import db


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect; rules in auth.sessions)."""
    return safe_next_path(target) or url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@access.rule(access.PUBLIC)
def login():
    """Show the sign-in form; on POST apply the lock rule and start a session."""
    if current_user.is_authenticated:  # signed in meanwhile in another tab: go back all the same
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = sign_in(form.username.data, form.password.data, config=current_app.config,
                           address=request.remote_addr or "")
        except DomainError as refused:
            error = refused.message
        else:
            session.clear()
            login_user(user)
            session["seen"] = session["started"] = datetime.now(timezone.utc).timestamp()
            session.permanent = True
            flash(previous_sign_in_notice(user), "info")
            return redirect(_safe_next(request.args.get("next")))
    status = 200 if error is None and not form.errors else 401 if error else 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@access.rule(access.SIGNED_IN)
def logout():
    """End this session (POST with CSRF: a link cannot sign someone out).

    The session cookie is signed, not stored, so clearing it here would leave a copy taken
    earlier still valid. Bumping the account's session version ends every cookie issued before
    (user_loader compares it on each request): logging out signs the account out everywhere.
    """
    user = current_user._get_current_object()
    user.session_version += 1
    record("logout", obj=user, label=user.display_name, summary="退出登录（该账户的所有会话结束）",
           after={"session_version": user.session_version})
    db.session.commit()
    logout_user()
    session.clear()
    flash("已安全退出", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@access.rule(access.SIGNED_IN)
def change_password():
    """Change one's own password; other sessions of this account end, this one continues."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        error = change_own_password(current_user, form.current_password.data, form.new_password.data)
        if error is None:
            login_user(current_user._get_current_object())
            session["started"] = session.get("started") or datetime.now(timezone.utc).timestamp()
            flash("密码已修改，其他设备上的登录已失效", "success")
            return redirect(url_for("main.index"))
        form.current_password.errors.append(error)
    if form.errors:
        status = 422
    reason = password_change_due(current_user, current_app.config["PASSWORD_MAX_AGE_DAYS"])
    return render_template("auth/password.html", form=form, reason=reason), status


def _session_json():
    return jsonify(session_state(user_id=current_user.id, csrf_token=generate_csrf(), seen=session.get("seen"),
                                 now=datetime.now(timezone.utc).timestamp(), config=current_app.config))


@bp.get("/session")
@access.rule(access.PUBLIC)
def session_status():
    """The page's check on its session (JSON, never cached): signed in, the current CSRF token, the
    idle seconds left. Passive: it does not count as activity (auth.sessions.PASSIVE_ENDPOINTS).
    Public so that a page whose session is gone learns it as 401 JSON rather than a redirect."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return _session_json()


@bp.post("/session/keepalive")
@access.rule(access.SIGNED_IN)
def keepalive():
    """The user is typing, or tapped 保持登录: the idle clock restarts (the app's before_request
    hook marks every non-passive request as activity). Answers like GET /session."""
    return _session_json()
