"""Views of the problem list: index, the county's list, inline edits, merge, order, issue, exports.

Every view loads the list through `service.visible_list` (county scope, 404 outside it; drafts only
for the inspection side). Changing views declare `@access.rule(PROBLEM_LIST_MANAGE)`: with the
county already in scope, that role check is the whole of `access.can(MANAGE, county)`.
"""
from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.audit import security
from inspect_app.campaigns.models import Campaign
from inspect_app.documents.dates import today_china
from inspect_app.extensions import db
from inspect_app.problem_lists import bp, service
from inspect_app.problem_lists.forms import FindingForm, IssueForm, MergeForm
from inspect_app.rendering import render, wants_fragment
from inspect_app.visits.models import Finding

LIST = "/<int:campaign_id>/<code>"


def _sheet(campaign_id, code) -> service.Sheet:
    """The (campaign, county) list the current user may see, or 404."""
    county = access.get_county_or_404(code)
    try:
        return service.visible_list(current_user, db.session.get(Campaign, campaign_id), county)
    except service.NotVisible:
        abort(404)


def _finding(ident) -> tuple[Finding, service.Sheet]:
    """A finding in the current user's scope with the list it belongs to, or 404."""
    finding = access.get_or_404(Finding, ident)
    try:
        return finding, service.finding_sheet(current_user, finding)
    except service.NotVisible:
        abort(404)


def _prefix(finding) -> str:
    """Field names and ids per finding, so two open inline edits never share an id."""
    return f"f{finding.id}"


def _context(sheet, **extra) -> dict:
    """Everything the list page and its fragments draw from."""
    drafts = service.sheet_drafts(sheet)
    items = service.issued_items(sheet) if sheet.issued else []
    children = service.merged_children(sheet.campaign.id, sheet.county.id)
    ids = [f.id for f in drafts] + [i.finding_id for i in items]
    groups = service.group_numbered(drafts)
    seqs, edges = {}, {}
    for _category, numbered in groups:
        for index, (seq, f) in enumerate(numbered):
            seqs[f.id] = seq
            edges[f.id] = (index == 0, index == len(numbered) - 1)
    ctx = dict(sheet=sheet, groups=groups, seqs=seqs, edges=edges, item_groups=service.group_items(items),
               children=children, photos=service.photo_ids(ids), count=len(drafts) or len(items),
               can_manage=not sheet.issued and service.can_manage(current_user, sheet.county.id),
               merge=None, merge_form=None, message=None)
    ctx.update(extra)
    return ctx


def _list_response(sheet, status=200, **extra):
    """The list page, or its #problem-list fragment for htmx (retargeted there when needed)."""
    response = render("problem_lists/show.html", "problem_lists/_list.html", status=status,
                      **_context(sheet, **extra))
    if wants_fragment() and request.htmx.target != "problem-list":
        response.headers["HX-Retarget"] = "#problem-list"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def _finding_card(sheet, finding):
    """One finding in display mode (#finding-<id>), inside the list page for a full request."""
    return render("problem_lists/show.html", "problem_lists/_finding.html", **_context(sheet, f=finding))


def _finding_form(sheet, finding, form, status=200):
    """One finding as its inline edit form, with `form`'s values and errors."""
    return render("problem_lists/show.html", "problem_lists/_finding_edit.html", status=status,
                  **_context(sheet, f=finding, form=form, editing=finding.id))


def _refused(sheet, error: service.ProblemListError):
    """A rule said no: the message as a toast and in the re-drawn list, with 409/422."""
    flash(error.message, "error")
    return _list_response(sheet, status=error.status, message=error.message)


@bp.get("")
@access.rule(Permission.PROBLEM_LIST_VIEW)
def index():
    """Counties in scope for one campaign, with finding counts and list status (整理中/已下发)."""
    campaigns = service.campaigns_for(current_user)
    campaign = next((c for c in campaigns if c.id == request.args.get("campaign", type=int)),
                    campaigns[0] if campaigns else None)
    q = request.args.get("q", "").strip()
    pagination, rows = (service.index_page(current_user, campaign, q, max(request.args.get("page", 1, type=int), 1))
                        if campaign else (None, []))
    return render("problem_lists/index.html", "problem_lists/_index_table.html", campaigns=campaigns,
                  campaign=campaign, q=q, pagination=pagination, rows=rows)


@bp.get(LIST)
@access.rule(Permission.PROBLEM_LIST_VIEW)
def show(campaign_id, code):
    """One county's list: the drafts grouped and numbered (leader tools), or the issued list."""
    return _list_response(_sheet(campaign_id, code))


@bp.get("/findings/<int:ident>")
@access.rule(Permission.PROBLEM_LIST_VIEW)
def finding(ident):
    """One draft finding in display mode (also the cancel of an inline edit)."""
    finding, sheet = _finding(ident)
    return _finding_card(sheet, finding)


@bp.get("/findings/<int:ident>/edit")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def edit(ident):
    """One draft finding as an inline edit form."""
    finding, sheet = _finding(ident)
    try:
        service.ensure_editable(sheet, finding)
    except service.ProblemListError as error:
        return _refused(sheet, error)
    return _finding_form(sheet, finding, FindingForm(obj=finding, prefix=_prefix(finding)).fill(finding))


@bp.post("/findings/<int:ident>")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def update(ident):
    """Save the wording; invalid input comes back in the form with the typed text (422)."""
    finding, sheet = _finding(ident)
    form = FindingForm(request.form, prefix=_prefix(finding))
    if form.validate():
        try:
            moved = service.update_finding(sheet, finding, form.values())
        except service.ProblemListError as error:
            return _refused(sheet, error)
        flash("已保存问题表述", "success")
        if moved:   # a new category regroups and renumbers the whole list
            return _list_response(sheet)
        return _finding_card(sheet, finding)
    if sheet.issued:
        return _refused(sheet, service.Frozen(service.FROZEN_MESSAGE))
    return _finding_form(sheet, finding, form, status=422)


@bp.post("/findings/<int:ident>/move/<any(up, down):direction>")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def move(ident, direction):
    """Move a finding up or down within its category; the renumbered list comes back."""
    finding, sheet = _finding(ident)
    try:
        service.move(sheet, finding, direction)
    except service.ProblemListError as error:
        return _refused(sheet, error)
    return _list_response(sheet)


@bp.route(LIST + "/merge", methods=["GET", "POST"])
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def merge(campaign_id, code):
    """Merge step: GET shows the selected findings to choose the one kept; POST merges them."""
    sheet = _sheet(campaign_id, code)
    source = request.form if request.method == "POST" else request.args
    try:
        findings = service.drafts_by_ids(sheet, source.getlist("finding_ids", type=int))
        if len(findings) < 2:
            raise service.ProblemListError("请至少选择两个问题进行合并")
    except service.NotVisible:
        abort(404)
    except service.ProblemListError as error:
        return _refused(sheet, error)
    form = MergeForm(request.form if request.method == "POST" else None).set_choices(findings)
    if request.method == "GET":
        form.keep_id.data = findings[0].id
        form.description.data = findings[0].description
        return render("problem_lists/show.html", "problem_lists/_merge.html",
                      **_context(sheet, merge=findings, merge_form=form))
    if form.validate():
        keep = next(f for f in findings if f.id == form.keep_id.data)
        try:
            service.merge(sheet, findings, keep, form.description.data)
        except service.ProblemListError as error:
            return _refused(sheet, error)
        flash(f"已合并 {len(findings)} 个问题", "success")
        return _list_response(sheet)
    return render("problem_lists/show.html", "problem_lists/_merge.html", status=422,
                  **_context(sheet, merge=findings, merge_form=form))


@bp.post("/findings/<int:ident>/unmerge")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def unmerge(ident):
    """Undo a merge (before issuing): the finding and its photos return to the list."""
    finding, sheet = _finding(ident)
    try:
        service.unmerge(sheet, finding)
    except service.ProblemListError as error:
        return _refused(sheet, error)
    flash("已取消合并", "success")
    return _list_response(sheet)


@bp.route(LIST + "/issue", methods=["GET", "POST"])
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def issue(campaign_id, code):
    """下发: a confirmation page with the final numbered list and the meeting date, then one
    transaction. A second submit answers 409 with the date it was issued."""
    sheet = _sheet(campaign_id, code)
    form = IssueForm(request.form if request.method == "POST" else None)
    status, message = 200, None
    if request.method == "GET" and sheet.issued:
        flash(service.already_issued_message(sheet.problem_list), "info")
        return redirect(url_for("problem_lists.show", campaign_id=campaign_id, code=code))
    if request.method == "GET":
        form.issued_on.data = today_china()
    elif form.validate():
        try:
            service.issue(sheet, current_user, form.issued_on.data)
        except service.ProblemListError as error:
            status, message = error.status, error.message
        else:
            flash(f"已下发{sheet.county.name}反馈问题清单", "success")
            return redirect(url_for("problem_lists.show", campaign_id=campaign_id, code=code))
    else:
        status = 422
    issued_on = form.issued_on.data or today_china()
    return render("problem_lists/issue.html", status=status, sheet=sheet, form=form, message=message,
                  groups=service.group_numbered(service.sheet_drafts(sheet)), issued_on=issued_on,
                  deadline=lambda f: service.effective_deadline(f, issued_on),
                  number=service.numbering(sheet))


def _export(campaign_id, code, ext, build, mimetype):
    """Download the list built by `build`, or back to the list when it has nothing to print."""
    sheet = _sheet(campaign_id, code)
    data = service.export_rows(sheet)
    if not data.rows:
        flash("清单中还没有问题，暂不能导出", "error")
        return redirect(url_for("problem_lists.show", campaign_id=campaign_id, code=code))
    response = Response(build(sheet, data), mimetype=mimetype)
    response.headers["Content-Disposition"] = service.content_disposition(service.export_filename(sheet, data, ext))
    security.download("export.feedback", object_type="ProblemList", object_id=f"{campaign_id}/{code}",
                      county_id=sheet.county.id, label=service.export_filename(sheet, data, ext))
    return response


@bp.get(LIST + "/feedback.docx")
@access.rule(Permission.PROBLEM_LIST_VIEW)
def export_docx(campaign_id, code):
    """The feedback document (Word); drafts are marked 讨论稿."""
    return _export(campaign_id, code, "docx", service.feedback_docx,
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@bp.get(LIST + "/list.xlsx")
@access.rule(Permission.PROBLEM_LIST_VIEW)
def export_xlsx(campaign_id, code):
    """The list as an Excel sheet; drafts are marked 讨论稿."""
    return _export(campaign_id, code, "xlsx", service.feedback_xlsx,
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
