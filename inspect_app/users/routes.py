"""Account administration views."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from inspect_app import access, locking
from inspect_app.access import Permission
from inspect_app.auth.models import User
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.org.service import region_label
from inspect_app.rendering import render
from inspect_app.roles import Role
from inspect_app.users import bp, service
from inspect_app.users.forms import ROLE_PROMPT, ResetPasswordForm, UserForm

RESULTS = 10   # region search results shown at once; more asks for a longer name


def _prepare(form: UserForm, user: User | None = None) -> UserForm:
    """Choices for this administrator, and the region: the one picked (or the only one the typed
    search finds), shown in the search box as its full label."""
    form.role.choices = [ROLE_PROMPT] + [(r.value, r.label) for r in service.grantable_roles(current_user)]
    if user is not None and user.role not in service.grantable_roles(current_user):
        abort(403)
    form.region_code.data = service.picked_region_code(form.region_code.data, form.region_search.data,
                                                       form.role.data)
    region = service.region_of(form.region_code.data)
    if region is not None:
        form.region_search.data = region_label(region)
    code = form.region_code.data or ""
    form.unit_id.choices = [(0, "（不适用）")] + [(u.id, u.name) for u in service.units_of(code)]
    return form


def _values(form: UserForm) -> dict:
    return {"username": form.username.data, "display_name": form.display_name.data,
            "organisation": form.organisation.data, "role": form.role.data,
            "region_code": form.region_code.data, "unit_id": form.unit_id.data or None,
            "active": bool(form.active.data)}


@bp.get("")
@access.rule(Permission.USER_MANAGE)
def index():
    """All accounts, searchable by name, filterable by role, paged."""
    q, role = request.args.get("q", "").strip(), request.args.get("role", "")
    if role and role not in {r.value for r in Role}:
        role = ""
    pagination = service.search_users(q, role, max(request.args.get("page", 1, type=int), 1))
    return render("users/index.html", "users/_table.html", pagination=pagination, q=q, role=role, roles=list(Role))


@bp.get("/regions")
@access.rule(Permission.USER_MANAGE)
def region_options():
    """Active search of the region field: divisions by name or code (e.g. 新野 → 河南省 南阳市 新野县
    411329), of the level the chosen role needs; picking one fills the hidden region_code."""
    q = request.args.get("region_search", "").strip()
    found = service.find_regions(q, request.args.get("role"), limit=RESULTS + 1)
    return render("users/_region_results.html", q=q, regions=found[:RESULTS], more=len(found) > RESULTS,
                  region_label=region_label)


@bp.get("/unit-options")
@access.rule(Permission.USER_MANAGE)
def unit_options():
    """<option>s of the units of the county whose code was typed (fills the unit select)."""
    units = service.units_of(request.args.get("region_code", "").strip())
    return render("users/_unit_options.html", units=units, selected=request.args.get("unit_id", 0, type=int))


@bp.route("/new", methods=["GET", "POST"])
@access.rule(Permission.USER_MANAGE)
def create():
    """Create an account; errors keep what was typed (422)."""
    form = _prepare(UserForm())
    if form.validate_on_submit():
        try:
            user = service.create_user(current_user, _values(form), form.password.data)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(f"已创建账户 {user.username}", "success")
            return redirect(url_for("users.index"))
    return render("users/form.html", form=form, user=None, status=422 if form.errors else 200)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@access.rule(Permission.USER_MANAGE)
def edit(user_id):
    """Edit an account's name, role, scope and status."""
    user = db.session.get(User, user_id) or abort(404)
    if request.method == "GET":
        form = _saved_form(user)
    else:
        form = _prepare(UserForm(), user)
        form.username.data = user.username
    status = 200
    if request.method == "POST" and form.validate():
        try:
            service.update_user(current_user, user, _values(form), form.version.data)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        except locking.EditConflict as error:
            db.session.rollback()
            status = error.status
            locking.rebase(form, _saved_form(user), user, error)
        else:
            flash(f"已保存账户 {user.username}", "success")
            return redirect(url_for("users.index"))
    return render("users/form.html", form=form, user=user, reset_form=ResetPasswordForm(),
                  status=422 if form.errors else status)


def _saved_form(user: User) -> UserForm:
    """The account form filled from the account as saved (the edit view, and the conflict view's "saved")."""
    form = UserForm(formdata=None, obj=user, region_code=user.region.code if user.region else "")
    form.role.data, form.unit_id.data = user.role.value, user.unit_id or 0   # obj= would give the enum, None
    return _prepare(form, user)


@bp.post("/<int:user_id>/password")
@access.rule(Permission.USER_MANAGE)
def reset_password(user_id):
    """Set a new password for an account (the user's sessions end)."""
    user = db.session.get(User, user_id) or abort(404)
    if not access.can_set_password(current_user, user):
        abort(403)
    form = ResetPasswordForm()
    form.account = user
    if form.validate_on_submit():
        try:
            service.reset_password(current_user, user, form.password.data)
        except DomainError as error:
            db.session.rollback()
            form.password.errors.append(error.message)
        else:
            flash(f"已重置 {user.username} 的密码，该用户下次登录时须修改密码", "success")
            return redirect(url_for("users.edit", user_id=user.id))
    return render("users/form.html", form=_saved_form(user), user=user, reset_form=form, status=422)
