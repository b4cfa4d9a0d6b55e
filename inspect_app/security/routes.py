"""The security administrator's views (三权分立): locks in force, unlocking, admin passwords.

The rules live in auth.service (locks) and users.service / access (who may set which password).
"""
import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.auth.models import User
from inspect_app.auth.service import active_locks, describe_lock, unlock
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.rendering import render
from inspect_app.security import bp
from inspect_app.users import service as users
from inspect_app.users.forms import ResetPasswordForm


def _admin_accounts() -> list[User]:
    """The admin-class accounts whose passwords the current user may set."""
    candidates = db.session.execute(sa.select(User).where(User.role.in_(access.ADMIN_CLASS))
                                    .order_by(User.role, User.username)).scalars()
    return [u for u in candidates if access.can_set_password(current_user, u)]


@bp.get("")
@access.rule(Permission.SECURITY_MANAGE)
def index():
    """Locks in force (who, from where, until when) with an unlock button; admin-class accounts."""
    return render("security/index.html", "security/_locks.html", locks=active_locks(),
                  describe_lock=describe_lock, admins=_admin_accounts())


@bp.post("/unlock")
@access.rule(Permission.SECURITY_MANAGE)
def unlock_view():
    """Lift one sign-in lock (audited as login.unlocked)."""
    row = unlock(current_user, request.form.get("key", ""))
    if row is None:
        flash("该锁定已解除或已过期", "info")
    else:
        flash(f"已解除锁定：{describe_lock(row)}", "success")
    return redirect(url_for("security.index"))


@bp.route("/accounts/<int:user_id>/password", methods=["GET", "POST"])
@access.rule(Permission.SECURITY_MANAGE)
def admin_password(user_id):
    """Set a system or audit administrator's password (never a security administrator's: own class).
    The account must change it at its next sign-in."""
    user = db.session.get(User, user_id) or abort(404)
    if not access.can_set_password(current_user, user):
        abort(403)
    form = ResetPasswordForm()
    form.account = user
    if form.validate_on_submit():
        try:
            users.reset_password(current_user, user, form.password.data)
        except DomainError as error:
            db.session.rollback()
            form.password.errors.append(error.message)
        else:
            flash(f"已重置 {user.username} 的密码，该用户下次登录时须修改密码", "success")
            return redirect(url_for("security.index"))
    return render("security/password.html", form=form, user=user, status=422 if form.errors else 200)
