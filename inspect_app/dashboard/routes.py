"""Views of the dashboards: province → city → county → items → item, each a bookmarkable URL that
renders the full page, or just the #dashboard panel for an htmx drill-down (hx-get + hx-push-url)."""
from flask import Response, current_app, redirect, request, url_for
from flask_login import current_user

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.audit import security
from inspect_app.dashboard import bp, charts, report_jobs, reports, service
from inspect_app.dashboard.forms import filter_form, report_form
from inspect_app.documents.download_names import content_disposition
from inspect_app.rectification import date_rules
from inspect_app.rectification.service import load_item
from inspect_app.errors import DomainError
from inspect_app.jobs import service as jobs_service
from inspect_app.jobs.routes import progress as job_progress
from inspect_app.rendering import render, wants_fragment
from inspect_app.roles import Role

RANKING_LIMIT = 60      # above this many counties the page shows the most behind (and a "show all" link)
RANKING_PAGE = 100      # "show all" pages the ranking: 3,000 counties in one page were 1.9 MB


bp.add_app_template_filter(charts.percent, "pct")     # 0.8567 → 85.7%, in the figures tables


def _drill_link(endpoint: str, args: dict):
    """For the charts: key (region code) → the drill-down URL of that region, keeping the filters."""
    return lambda code: url_for(endpoint, code=code, **args)


def _filters(form, **drill) -> service.Filters:
    date_from, date_to = form.dates()
    return service.Filters(campaign_id=form.campaign_id(), date_from=date_from, date_to=date_to, **drill)


def _dashboard(level: str, region=None):
    """Compute the figures of one drill-down level and render the page or its #dashboard panel."""
    form = filter_form(request.args, service.campaigns(current_user))
    drill = {"county_id": region.id} if level == "county" else {"city_id": region.id} if level == "city" else {}
    filters = _filters(form, **drill)
    data = service.overview(current_user, filters, level)
    groups = data.groups
    counties = groups.get("county", [])
    show_all = request.args.get("all") == "1" or len(counties) <= RANKING_LIMIT
    ranked = list(enumerate(counties, start=1))
    rank_pages = max(1, -(-len(ranked) // RANKING_PAGE)) if len(counties) > RANKING_LIMIT else 1
    rank_page = min(max(request.args.get("rank_page", 1, type=int), 1), rank_pages)
    if show_all and rank_pages > 1:
        ranked = ranked[(rank_page - 1) * RANKING_PAGE:rank_page * RANKING_PAGE]
    return render("dashboard/index.html", "dashboard/_dashboard.html", level=level, region=region,
                  city=region.parent if level == "county" else region if level == "city" else None,
                  form=form, args=form.args(), filters=filters, figures=data.headline,
                  burnup=data.burnup, groups=groups, labels=service.GROUPS,
                  ranked=ranked if show_all else ranked[-30:], ranking_total=len(counties), show_all=show_all,
                  rank_page=rank_page, rank_pages=rank_pages,
                  worst_first=list(reversed(counties)), aging_labels=service.aging_labels(), charts=charts, drill_link=_drill_link,
                  rag_labels=service.RAG_LABELS, scores=list(enumerate(service.score_ranking(current_user, filters), start=1)))


@bp.get("/")
@access.rule(Permission.DASHBOARD_VIEW)
def index():
    """The top of the drill-down for the user's scope. City viewers and county coordinators start at
    their own city or county (the figures are scoped by the query either way)."""
    if current_user.role in access.COUNTY_ROLES and current_user.region is not None:
        return redirect(url_for("dashboard.county", code=current_user.region.code, **request.args))
    if current_user.role == Role.CITY_VIEWER and current_user.region is not None:
        return redirect(url_for("dashboard.city", code=current_user.region.code, **request.args))
    return _dashboard("province")


@bp.get("/city/<code>")
@access.rule(Permission.DASHBOARD_VIEW)
def city(code):
    """One city: its counties ranked, by team, category, severity and type (404 outside the scope).
    A county's own users are sent to their county: a city page would show only that county under
    the city's name."""
    city_region = access.get_city_or_404(code)
    if current_user.role in access.COUNTY_ROLES and current_user.region is not None:
        return redirect(url_for("dashboard.county", code=current_user.region.code, **request.args))
    return _dashboard("city", city_region)


@bp.get("/county/<code>")
@access.rule(Permission.DASHBOARD_VIEW)
def county(code):
    """One county: its figures by responsible unit, category, severity and type; the item buckets."""
    return _dashboard("county", access.get_county_or_404(code))


@bp.get("/county/<code>/items")
@access.rule(Permission.DASHBOARD_VIEW)
def items(code):
    """The items behind a county's figures, filtered by aging bucket or status, paged."""
    county = access.get_county_or_404(code)
    form = filter_form(request.args, service.campaigns(current_user))
    filters = _filters(form, county_id=county.id)
    bucket = request.args.get("bucket", "")
    page = max(request.args.get("page", 1, type=int), 1)
    pagination = service.items_page(current_user, filters, bucket, page, current_app.config["PAGE_SIZE"])
    return render("dashboard/items.html", "dashboard/_items.html", county=county, city=county.parent, form=form,
                  args=form.args(), bucket=bucket, pagination=pagination,
                  dates={it.id: date_rules.item_dates(it, filters.today) for it in pagination.items},
                  bucket_labels=BUCKETS, item_url=item_url)


BUCKETS = {"": "全部", "overdue": "已超期", "le10": "剩余≤10天", "le20": "剩余≤20天", "gt20": "剩余>20天",
           "submitted": "待验收", "closed": "已销号", "returned": "有退回", "reopened": "曾重新打开"}


def item_url(item) -> str:
    """The last drill-down step: the rectification item page (its timeline, evidence and actions)."""
    return url_for("rectification.detail", item_id=item.id)


@bp.get("/items/<int:ident>")
@access.rule(Permission.DASHBOARD_VIEW)
def item(ident):
    """One item, read-only, inside the dashboard (404 outside the scope)."""
    obj = load_item(ident, current_user)
    form = filter_form(request.args, service.campaigns(current_user))
    return render("dashboard/item.html", "dashboard/_item.html", item=obj, county=obj.county,
                  city=obj.county.parent, args=form.args(), dates=date_rules.item_dates(obj, service.today()))


# ---------------------------------------------------------------- 周报 / 月报

def _report_request(args, fmt: str = "docx"):
    """(form, report_jobs.Request) from a report's arguments (query string or posted form)."""
    campaigns = service.campaigns(current_user)
    form = report_form(args, campaigns)
    campaign_id = None if form.campaign.data == "all" else int(form.campaign.data)
    return form, report_jobs.Request(fmt, form.kind.data, form.day_or_today(), campaign_id, _scope_region(args))


def _report():
    form, asked = _report_request(request.args)
    return form, report_jobs.build(current_user, asked)


def _scope_region(args):
    """The county or city asked for (?county= / ?city=, 404 outside the scope); None: the user's own."""
    code = args.get("county") or ""
    if code:
        return access.get_county_or_404(code)
    code = args.get("city") or ""
    if code:
        return access.get_city_or_404(code)
    return None


@bp.get("/reports")
@access.rule(Permission.DASHBOARD_VIEW)
def report_page():
    """The weekly or monthly report for a period and scope, with DOCX and XLSX downloads."""
    form, report = _report()
    return render("dashboard/reports.html", "dashboard/_report.html", form=form, report=report,
                  download_args=request.args.to_dict(), labels=reports.BREAKDOWN_LABELS,
                  signed_points=reports.signed_points)


@bp.get("/reports/download.<any(docx, xlsx):fmt>")
@access.rule(Permission.DASHBOARD_VIEW)
def report_download(fmt):
    """The report as a DOCX (official circular layout) or an XLSX (the figures). Over more than
    report_jobs.inline_max() items, a page offering it as a background job instead (a GET changes
    nothing)."""
    _form, asked = _report_request(request.args, fmt)
    if report_jobs.is_large(current_user, asked):
        return render("dashboard/report_large.html", asked=asked, title=report_jobs.title(current_user, asked),
                      items=report_jobs.item_count(current_user, asked))
    report = report_jobs.build(current_user, asked)
    body = report_jobs.render_file(report, fmt, current_user)
    name = report.download_name(fmt)
    security.download("export.report", object_type="Report", label=name.display)
    return Response(body, mimetype=report_jobs.MIMETYPES[fmt],
                    headers={"Content-Disposition": content_disposition(name)})


@bp.post("/report-jobs")
@access.rule(Permission.REPORT_EXPORT)
def report_job():
    """Start a 周报/月报 download as a background job over the posted arguments (format, kind, day,
    campaign, county or city: 404 outside the scope); answers its progress fragment (htmx) or page."""
    fmt = request.form.get("fmt", "")
    if fmt not in report_jobs.MIMETYPES:
        raise DomainError("请选择 Word 或 Excel 格式", status=422, field="fmt")
    _form, asked = _report_request(request.form, fmt)
    job = jobs_service.create(current_user, "report", asked.params(), report_jobs.title(current_user, asked))
    if not wants_fragment():
        return redirect(url_for("jobs.detail", job_id=job.id))
    return job_progress(job, status=201)
