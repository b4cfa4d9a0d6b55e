"""Views of the problem list: index, the county's list, inline edits, merge, order, issue, exports.

Every view loads the list through `service.visible_list` (county scope, 404 outside it; drafts only
for the inspection side). Changing views declare `@access.rule(PROBLEM_LIST_MANAGE)`: with the
county already in scope, that role check is the whole of `access.can(MANAGE, county)`.
"""
from datetime import date

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user

from inspect_app import access, locking
from inspect_app.access import Permission
from inspect_app.audit import security
from inspect_app.campaigns.models import Campaign
from inspect_app.documents.download_names import content_disposition
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.problem_lists import bp, service
from inspect_app.problem_lists.forms import FindingForm, IssueForm, MergeForm
from inspect_app.rectification import date_rules, lifecycle, notifications
from inspect_app.rendering import render, wants_fragment
from inspect_app.repeats import service as repeats
from inspect_app.visits.models import Finding

LIST = "/<int:campaign_id>/<code>"


def _sheet(campaign_id, code) -> service.Sheet:
    """The (campaign, county) list the current user may see, or 404."""
    county = access.get_county_or_404(code)
    return service.visible_list(current_user, db.session.get(Campaign, campaign_id), county)


def _finding(ident) -> tuple[Finding, service.Sheet]:
    """A finding in the current user's scope with the list it belongs to, or 404."""
    finding = access.get_or_404(Finding, ident)
    return finding, service.finding_sheet(current_user, finding)


def _prefix(finding) -> str:
    """Field names and ids per finding, so two open inline edits never share an id."""
    return f"f{finding.id}"


def _context(sheet, **extra) -> dict:
    """Everything the list page and its fragments draw from: the open list's drafts (inspection
    side only) and each issued list with its items, the latest first."""
    drafts = service.sheet_drafts(sheet)
    issued = [(plist, service.issued_items(sheet, plist)) for plist in reversed(sheet.issued_lists)]
    items = [item for _plist, list_items in issued for item in list_items]
    children = service.merged_children(sheet.campaign.id, sheet.county.id) if drafts else {}
    ids = [f.id for f in drafts] + [i.finding_id for i in items]
    groups = service.group_numbered(drafts)
    seqs, edges = {}, {}
    for _category, numbered in groups:
        for index, (seq, f) in enumerate(numbered):
            seqs[f.id] = seq
            edges[f.id] = (index == 0, index == len(numbered) - 1)
    number = service.numbering(sheet) if drafts else None
    ctx = dict(sheet=sheet, groups=groups, seqs=seqs, edges=edges, number=number,
               issued=[(plist, service.group_items(list_items), len(list_items)) for plist, list_items in issued],
               children=children, photos=service.photos_by_finding(ids), count=len(drafts),
               repeat_marks=repeats.marks(ids),
               can_link_repeats=access.can_decide_repeats_in(current_user, sheet.campaign.id, sheet.county.id),
               can_manage=bool(drafts) and service.can_manage(current_user, sheet.county.id),
               merge=None, merge_form=None, message=None, ticked=frozenset())
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


def _refused(sheet, error: DomainError, ticked=frozenset()):
    """A rule said no: the message as a toast and in the re-drawn list, with 409/422; the findings
    in `ticked` keep their ticks (a refused merge keeps the user's choice). An access refusal
    (403/404) is not a rule's answer: it goes on to the app's handler."""
    if error.status in (403, 404):
        raise error
    flash(error.message, "error")
    return _list_response(sheet, status=error.status, message=error.message, ticked=ticked)


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
    except DomainError as error:
        return _refused(sheet, error)
    return _finding_form(sheet, finding, _saved_form(finding))


def _saved_form(finding) -> FindingForm:
    """The edit form filled from the finding as saved (the edit view, and the conflict view's "saved")."""
    return FindingForm(formdata=None, obj=finding, prefix=_prefix(finding)).fill(finding)


@bp.post("/findings/<int:ident>")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def update(ident):
    """Save the wording; invalid input comes back in the form with the typed text (422); a save over
    someone else's newer wording comes back with both texts side by side (409, locking.py)."""
    finding, sheet = _finding(ident)
    form = FindingForm(request.form, prefix=_prefix(finding))
    if form.validate():
        try:
            moved = service.update_finding(sheet, finding, form.values(), form.version.data)
        except DomainError as error:
            return _refused(sheet, error)
        except locking.EditConflict as error:
            db.session.rollback()
            locking.rebase(form, _saved_form(finding), finding, error)
            return _finding_form(sheet, finding, form, status=error.status)
        flash("已保存问题表述", "success")
        if moved:   # a new category regroups and renumbers the whole list
            return _list_response(sheet)
        return _finding_card(sheet, finding)
    if sheet.issued:
        return _refused(sheet, DomainError(service.FROZEN_MESSAGE, status=409))
    return _finding_form(sheet, finding, form, status=422)


@bp.post("/findings/<int:ident>/move/<any(up, down):direction>")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def move(ident, direction):
    """Move a finding up or down within its category. For htmx only the two findings that changed
    places come back (replacing the moved one, the neighbour's old card removed out of band) — not
    the whole list, which was 439 KB for a large county; otherwise the whole page."""
    finding, sheet = _finding(ident)
    try:
        neighbour = service.move(sheet, finding, direction)
    except DomainError as error:
        return _refused(sheet, error)
    if not wants_fragment():
        return _list_response(sheet)
    pair = [finding] if neighbour is None else [neighbour, finding] if direction == "down" else [finding, neighbour]
    response = render("problem_lists/show.html", "problem_lists/_moved.html",
                      **_context(sheet, moved=pair, neighbour=neighbour))
    response.headers["HX-Retarget"] = f"#finding-{finding.id}"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.route(LIST + "/merge", methods=["GET", "POST"])
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def merge(campaign_id, code):
    """Merge step: GET shows the selected findings to choose the one kept; POST merges them."""
    sheet = _sheet(campaign_id, code)
    source = request.form if request.method == "POST" else request.args
    ticked = frozenset(source.getlist("finding_ids", type=int))
    try:
        findings = service.drafts_by_ids(sheet, list(ticked))
        if len(findings) < 2:
            raise DomainError("请至少选择两个问题进行合并")
    except DomainError as error:
        return _refused(sheet, error, ticked)
    form = MergeForm(request.form if request.method == "POST" else None).set_choices(findings)
    if request.method == "GET":
        form.keep_id.data = findings[0].id
        form.description.data = findings[0].description
        return render("problem_lists/show.html", "problem_lists/_merge.html",
                      **_context(sheet, merge=findings, merge_form=form))
    status = 422
    if form.validate():
        keep = next(f for f in findings if f.id == form.keep_id.data)
        versions = {f.id: request.form.get(f"version-{f.id}", type=int) for f in findings}  # as the step showed them
        try:
            service.merge(sheet, findings, keep, form.description.data, versions)
        except DomainError as error:
            return _refused(sheet, error, ticked)
        except locking.EditConflict as error:
            # The step comes back with every finding's current wording and version; the typed
            # description stays, with the kept finding's saved one beside it when they differ.
            db.session.rollback()
            status = error.status
            saved = MergeForm(formdata=None, keep_id=keep.id, description=keep.description).set_choices(findings)
            locking.rebase(form, saved, keep, error, only=("description",))
        else:
            flash(f"已合并 {len(findings)} 个问题", "success")
            return _list_response(sheet)
    return render("problem_lists/show.html", "problem_lists/_merge.html", status=status,
                  **_context(sheet, merge=findings, merge_form=form))


@bp.post("/findings/<int:ident>/unmerge")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def unmerge(ident):
    """Undo a merge (before issuing): the finding and its photos return to the list."""
    finding, sheet = _finding(ident)
    try:
        service.unmerge(sheet, finding)
    except DomainError as error:
        return _refused(sheet, error)
    flash("已取消合并", "success")
    return _list_response(sheet)


@bp.route(LIST + "/issue", methods=["GET", "POST"])
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def issue(campaign_id, code):
    """下发: a confirmation page with the final numbered list, the meeting date, each item's deadline
    (proposed from that date, changeable) and a warning about visits still 核查中; then one
    transaction. A POST with `preview` only redraws the form for a changed date (htmx). A second
    submit answers 409 with the date it was issued; a refused input 422 with everything kept."""
    sheet = _sheet(campaign_id, code)
    if request.method == "GET" and not sheet.drafts and sheet.issued:
        flash(service.already_issued_message(sheet.problem_list), "info")
        return redirect(url_for("problem_lists.show", campaign_id=campaign_id, code=code))
    form = IssueForm(request.form if request.method == "POST" else None)
    drafts = service.sheet_drafts(sheet)
    if request.method == "GET":   # ?issued_on= proposes another meeting date (kept if it is a date)
        form.issued_on.data = _date_arg("issued_on") or date_rules.today()
        form.sequence.data = sheet.next_sequence
    issued_on = form.issued_on.data or date_rules.today()
    typed, raw, errors = form.typed_deadlines(request.form, [f.id for f in drafts])
    deadlines = service.proposed_deadlines(sheet.campaign, drafts, issued_on, typed, form.basis_date())
    errors = {**service.check_deadlines(deadlines, issued_on), **errors}
    status, message = 200, None
    if request.method == "POST" and not request.form.get("preview"):
        status, message = _issue(sheet, form, issued_on, deadlines, errors)
        if status is None:
            return redirect(url_for("problem_lists.show", campaign_id=campaign_id, code=code))
    form.basis.data = issued_on.isoformat()
    visits = service.open_visits(sheet.campaign.id, sheet.county.id) if drafts else []
    return render("problem_lists/issue.html", "problem_lists/_issue_form.html", status=status, sheet=sheet,
                  form=form, message=message, groups=service.group_numbered(drafts), issued_on=issued_on,
                  deadlines=deadlines, raw=raw if status != 200 else {}, errors=errors, open_visits=visits,
                  estimated=lambda f: lifecycle.deadline_is_estimate(f.rectification_type, issued_on, deadlines[f.id]),
                  number=service.numbering(sheet))


def _date_arg(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _issue(sheet, form, issued_on, deadlines, errors) -> tuple[int | None, str | None]:
    """Validate and issue; (None, None) when issued, else the status and message to show."""
    if not form.validate():
        return 422, None
    date_error = service.check_issue_date(service.sheet_drafts(sheet), issued_on)
    if date_error:
        form.issued_on.errors = [*form.issued_on.errors, date_error]
        return 422, date_error
    if errors:
        return 422, "部分完成时限有误，请修改后再下发"
    try:
        plist = service.issue(sheet, current_user, issued_on, deadlines, sequence=form.sequence.data,
                              open_visits_confirmed=form.confirm_open_visits.data)
    except DomainError as error:
        return error.status, error.message
    flash(f"已下发{plist.title}", "success")
    return None, None


def _export(campaign_id, code, ext, build, mimetype):
    """Download the list built by `build` (?list=<sequence> for one issued list; default the open
    list's drafts, else the latest issued list), or back to the list when it has nothing to print."""
    sheet = _sheet(campaign_id, code)
    data = service.export_rows(sheet, request.args.get("list", type=int))
    if not data.rows:
        flash("清单中还没有问题，暂不能导出", "error")
        return redirect(url_for("problem_lists.show", campaign_id=campaign_id, code=code))
    name = service.export_filename(sheet, data, ext)
    response = Response(build(sheet, data), mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(name)
    security.download("export.feedback", object_type="ProblemList", object_id=f"{campaign_id}/{code}",
                      county_id=sheet.county.id, label=name.display)
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
