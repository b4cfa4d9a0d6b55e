"""The JSON API (/api/v1) and the screen where administrators issue and revoke its tokens.

`GET /api/v1/closure` returns the dashboard's closure figures with the dashboard's access rules.
It accepts the browser session or `Authorization: Bearer <token>`; a token acts as the user it was
issued to, with the role and scope that user had at issue (a changed scope, a disabled owner or the
expiry date end it with 401). Each call with a token is audited. Only GET is token-authenticated, so CSRF (which guards
state-changing requests made with the session cookie) does not apply to it.
"""
from datetime import date

from flask import abort, flash, g, jsonify, render_template, request, url_for
from flask_login import current_user

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.api import bp, service
from inspect_app.api.forms import TokenForm
from inspect_app.audit import security
from inspect_app.dashboard import service as figures
from inspect_app.errors import DomainError
from inspect_app.extensions import utcnow
from inspect_app.rendering import render
from inspect_app.roles import Role

API_GROUPS = tuple(figures.GROUPS)      # the dashboard's breakdowns: city, county, team, category, …
TOKEN_ENDPOINTS = frozenset({"api.closure"})
GROUPS_PER_PAGE = 1000     # groups per answer of /api/closure
ERRORS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found"}


def _json_error(code: int, message: str):
    response = jsonify(error=ERRORS.get(code, "error"), message=message)
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@bp.before_request
def authenticate_bearer():
    """Sign the request in with a bearer token (JSON endpoints only); never touches the session."""
    if request.endpoint not in TOKEN_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        try:
            g._login_user = service.authenticate(header[7:].strip())
        except DomainError as refused:    # a 401 in the API's own shape, with its challenge
            return _json_error(refused.status, refused.message)
        return None
    if not current_user.is_authenticated:
        return _json_error(401, "请先登录或提供 API 令牌")
    return None


@bp.errorhandler(403)
@bp.errorhandler(404)
def api_errors(error):
    """JSON errors for the API; the token screen keeps the app's error page. Both are audited."""
    security.denied(error.code)
    if request.endpoint in TOKEN_ENDPOINTS:
        return _json_error(error.code, "无权访问" if error.code == 403 else "不存在或不在您的查看范围内")
    messages = {403: ("无权访问", "您没有权限执行此操作。"), 404: ("页面不存在", "您要找的内容不存在，或不在您的查看范围内。")}
    title, message = messages[error.code]
    return render_template("errors/error.html", code=error.code, title=title, message=message), error.code


def _date_arg(name):
    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return False


@bp.get("/closure")
@access.rule(Permission.DASHBOARD_VIEW)
def closure():
    """Closure figures grouped by city, county, team, category, severity, type or unit, for the
    caller's scope: the same numbers as the dashboard. The groups come in pages (?page=, ?per_page= at
    most GROUPS_PER_PAGE; "paging.next" is the next page's URL): grouped by unit over all campaigns
    they were 8.3 MB in one answer."""
    group_by = request.args.get("group_by", "county")
    if group_by not in API_GROUPS:
        return _json_error(400, f"group_by 取值应为 {'|'.join(API_GROUPS)}")
    campaign = request.args.get("campaign", "")
    if campaign not in ("", "all") and not campaign.isdigit():
        return _json_error(400, "campaign 应为核查任务编号或 all")
    date_from, date_to = _date_arg("from"), _date_arg("to")
    if date_from is False or date_to is False:
        return _json_error(400, "from / to 应为 YYYY-MM-DD 格式的日期")
    campaigns = figures.campaigns(current_user)
    campaign_id = None if campaign == "all" else int(campaign) if campaign else (campaigns[0].id if campaigns else None)
    drill, scope = {}, None
    if request.args.get("county"):
        scope = access.get_county_or_404(request.args["county"])
        drill["county_id"] = scope.id
    elif request.args.get("city"):
        scope = access.get_city_or_404(request.args["city"])
        drill["city_id"] = scope.id
    elif current_user.role in (*access.COUNTY_ROLES, Role.CITY_VIEWER):
        scope = current_user.region      # the caller's own county or city: named, not null
    filters = figures.Filters(campaign_id=campaign_id, date_from=date_from, date_to=date_to, **drill)
    page, per_page = request.args.get("page", 1, type=int), request.args.get("per_page", GROUPS_PER_PAGE, type=int)
    if page < 1 or not 1 <= per_page <= GROUPS_PER_PAGE:
        return _json_error(400, f"page 应不小于 1，per_page 应在 1 到 {GROUPS_PER_PAGE} 之间")
    totals, rows = figures.closure(current_user, filters, group_by)
    shown = rows[(page - 1) * per_page:page * per_page]
    more = page * per_page < len(rows)
    return jsonify({
        "campaign": campaign_id,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "as_of": filters.today.isoformat(),
        "scope": {"code": scope.code, "name": scope.name} if scope else {"code": None, "name": current_user.scope_label},
        "group_by": group_by,
        "totals": dict(totals.as_dict(), median_days_to_close=totals.median_days, aging=totals.aging),
        "groups": [dict(key=r.key, name=r.name, rag=r.figures.rag, **r.figures.as_dict()) for r in shown],
        "paging": {"page": page, "per_page": per_page, "groups_total": len(rows),
                   "next": url_for("api.closure", **{**request.args.to_dict(), "page": page + 1}) if more else None},
    })


# ---------------------------------------------------------------- token admin screen

def _tokens_page(form=None, secret=None, status=200):
    form = form or TokenForm()
    form.set_users(service.eligible_users())
    return render("api/tokens.html", "api/_tokens.html", status=status, form=form, tokens=service.tokens(),
                  secret=secret, now=utcnow())


@bp.get("/tokens")
@access.rule(Permission.API_TOKEN_MANAGE)
def tokens():
    """Issued tokens (never their secrets) and the form to issue one."""
    return _tokens_page()


@bp.post("/tokens")
@access.rule(Permission.API_TOKEN_MANAGE)
def issue_token():
    """Issue a token for a user; the secret is shown once in the response. Invalid input: 422."""
    form = TokenForm()
    form.set_users(service.eligible_users())
    if form.validate():
        try:
            _token, secret = service.issue(form.user_id.data, form.name.data, current_user, form.valid_days.data)
        except DomainError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash("已签发令牌，请立即复制保存", "success")
            return _tokens_page(secret=secret)
    return _tokens_page(form=form, status=422)


@bp.post("/tokens/<int:ident>/revoke")
@access.rule(Permission.API_TOKEN_MANAGE)
def revoke_token(ident):
    """Revoke a token: requests bearing it are refused from now on."""
    if service.revoke(ident, current_user) is None:
        abort(404)
    flash("令牌已吊销", "success")
    return _tokens_page()
