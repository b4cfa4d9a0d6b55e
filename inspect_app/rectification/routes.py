"""Views of rectification items: the list, the review queue, the item page and its action forms,
evidence files, notifications and the 整改台账 export. Thin: parse, call the service, choose the response."""
import tempfile

from flask import Response, abort, flash, redirect, request, send_file, url_for
from flask_login import current_user

from inspect_app import access, locking
from inspect_app.access import SIGNED_IN, Permission
from inspect_app.audit import security
from inspect_app.documents.download_names import content_disposition
from inspect_app.errors import DomainError
from inspect_app.extensions import utcnow
from inspect_app.idempotency import new_uuid
from inspect_app.jobs import service as jobs_service
from inspect_app.jobs.routes import progress as job_progress
from inspect_app.media.models import AttachmentKind
from inspect_app.org import service as org_service
from inspect_app.rectification import bp, channels, date_rules, lifecycle, notifications, service
from inspect_app.rectification import evidence_jobs, photo_checks
from inspect_app.rectification import ledger as ledger_export
from inspect_app.rectification.forms import (FORMS, BulkAcceptForm, BulkAssignForm, BulkExtensionForm, BulkReturnForm,
                                             MilestoneForm, NoticeEmailForm)
from inspect_app.rectification.lifecycle import Action
from inspect_app.rectification.models import history_dates, history_label
from inspect_app.rendering import render, wants_fragment
from inspect_app.repeats import service as repeats

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page() -> int:
    """The ?page= argument, never below 1."""
    return max(request.args.get("page", 1, type=int), 1)


def _unit_choices(county_id):
    """The unit select's options: a prompt, then the county's active units."""
    return [(0, "请选择责任单位")] + [(u.id, u.name) for u in service.units_for(current_user, county_id)]


def _prepare_assign(form, county_id, unit_id=None, assignee_id=None):
    """Fill an assign form's selects: the county's units, and the chosen unit's accounts as 责任人
    (refilled by `assignee_options` when the unit changes)."""
    form.unit_id.choices = _unit_choices(county_id)
    unit_id = form.unit_id.data if unit_id is None else unit_id
    accounts = service.unit_accounts(unit_id, county_id)
    form.assignee_id.choices = [(0, "（不选账号）" if unit_id else "（请先选择责任单位）")] + [
        (u.id, f"{u.display_name}（{u.username}）") for u in accounts]
    form.assignee_id.no_accounts = bool(unit_id) and not accounts   # the hint: type the name instead
    if assignee_id is not None:
        form.assignee_id.data = assignee_id
    form.unit_id.render_kw = {"hx-get": url_for("rectification.assignee_options"), "hx-target": "#assignee-field",
                              "hx-swap": "outerHTML", "hx-trigger": "change"}
    return form


# ---------------------------------------------------------------- lists

def _index_context(filters, bulk_form=None, ticked=frozenset(), rows_only=False):
    """Everything the items page and its panels draw from; `ticked` are the item ids whose boxes
    stay ticked (a refused bulk action keeps the user's choice). `rows_only`: just #item-rows (a
    search keystroke, a page turn), which draws no filter choices, so none are read."""
    pagination = service.search_items(current_user, filters, _page(), after=request.args.get("after"),
                                      before=request.args.get("before"))
    can_assign = access.can(current_user, Permission.ITEM_ASSIGN)
    if can_assign and bulk_form is None:
        bulk_form = BulkAssignForm()
    if bulk_form is not None and not rows_only:
        _prepare_assign(bulk_form, current_user.region_id)
    choices = {} if rows_only else service.filter_choices(current_user, filters.county)
    return dict(pagination=pagination, filters=filters, choices=choices,
                # 屡查屡犯: one query for the page's items; the list is already in the user's scope, so
                # whoever holds PROBLEM_LIST_MANAGE may decide on what it shows (access.can_decide_repeats_in)
                repeat_marks=repeats.marks(item.finding_id for item in pagination.items),
                can_decide_repeats=access.has(current_user, Permission.PROBLEM_LIST_MANAGE),
                can_assign=can_assign, bulk_form=bulk_form, ticked=ticked, lifecycle=lifecycle,
                dates=service.item_dates(pagination.items),
                show_county=current_user.role not in access.COUNTY_ROLES,
                Status=lifecycle.Status, can_export=access.can(current_user, Permission.LEDGER_EXPORT),
                inline_max=ledger_export.inline_max(),
                waiting=service.WAITING, package_county=service.package_county(current_user, filters))


@bp.get("/")
@access.rule(Permission.ITEM_VIEW)
def index():
    """整改事项: the items in the user's scope, filtered, searchable and paged."""
    filters = service.Filters.from_args(request.args)
    rows_only = request.htmx.target == "item-rows" and wants_fragment()
    fragment = "rectification/_rows.html" if rows_only else "rectification/_items_panel.html"
    return render("rectification/index.html", fragment, **_index_context(filters, rows_only=rows_only))


COUNTY_PICKERS = ("items-county", "review-county")


@bp.get("/county-options")
@access.rule(Permission.ITEM_VIEW)
def county_options():
    """The county filter's active search: at most 20 counties in the user's scope whose name contains
    (or code starts with) ?county_q=, as the picker's radios (#<picker>-options)."""
    picker = request.args.get("picker", "")
    if picker not in COUNTY_PICKERS:
        abort(404)
    opts = org_service.county_options(current_user, request.args.get("county_q", ""),
                                      request.args.get("county", 0, type=int))
    return render("rectification/_county_options.html", picker=picker, opts=opts)


def _bulk(form, action: Action, verb: str, none_ticked: str, required, missing: str, data) -> tuple[bool, frozenset]:
    """Apply `action` to the ticked items (each checked and recorded on its own) and flash the
    outcome. Returns (done, ticked): done is False, with the reason flashed or set on the `required`
    field (None: nothing is required), when there is nothing to do (no item ticked, invalid input
    or that field left empty); ticked are the ids whose boxes stay ticked on the re-drawn list — all
    of them when nothing was done, else the items that could not be handled, so the user can retry
    just those."""
    ids = request.form.getlist("item_ids", type=int)
    if not ids:
        flash(none_ticked, "error")
        return False, frozenset()
    if not form.validate():     # over-long or NUL text: the errors are drawn under the fields
        return False, frozenset(ids)
    if required is not None and not required.data:
        required.errors = [missing]
        return False, frozenset(ids)
    versions = {i: request.form.get(f"version-{i}", type=int) for i in ids}   # as each row showed it
    result = service.bulk_apply(ids, current_user, action, data, versions)
    flash(result.summary(verb), "success" if not result.failed else "error")
    return True, frozenset(item_id for item_id, _message in result.failed)


@bp.post("/assign")
@access.rule(Permission.ITEM_ASSIGN)
def bulk_assign():
    """Assign the ticked items to one unit; each item is checked and recorded on its own."""
    filters = service.Filters.from_args(request.args)
    form = BulkAssignForm()
    done, ticked = _bulk(form, Action.ASSIGN, "指派", "请先勾选要指派的事项", form.unit_id, "请选择责任单位",
                         service.ActionInput(unit_id=form.unit_id.data, person=form.person.data,
                                             assignee_id=form.assignee_id.data or None))
    if done and not wants_fragment():
        return redirect(url_for("rectification.index", **filters.args()))
    return render("rectification/index.html", "rectification/_items_panel.html", status=200 if done else 422,
                  **_index_context(filters, form, ticked))


@bp.get("/assignee-options")
@access.rule(Permission.ITEM_ASSIGN)
def assignee_options():
    """The 责任人 select for the unit just chosen (#assignee-field): that unit's active accounts. Only
    units of the coordinator's own county list any."""
    form = _prepare_assign(BulkAssignForm(formdata=None), current_user.region_id,
                           unit_id=request.args.get("unit_id", 0, type=int), assignee_id=0)
    return render("rectification/_assignee_field.html", f=form.assignee_id)


@bp.get("/review")
@access.rule(Permission.ITEM_REVIEW)
def review_queue():
    """待验收: submitted items across the reviewer's counties, with bulk acceptance and bulk return; below,
    the extension requests waiting, with bulk approval."""
    return _review(service.Filters.from_args(request.args))


def _review(filters, status=200, ticked=frozenset(), **forms):
    """The review queue page, or its #review-panel fragment for htmx. `forms` are the bulk forms as
    submitted (with their errors); the others are drawn empty. `ticked` boxes stay ticked."""
    pagination = service.review_queue(current_user, filters, _page())
    extensions = service.extension_queue(current_user, filters, 1)
    forms = {"form": BulkAcceptForm(formdata=None), "return_form": BulkReturnForm(formdata=None),
             "extension_form": BulkExtensionForm(formdata=None), **forms}
    return render("rectification/review.html", "rectification/_review_panel.html", status=status,
                  pagination=pagination, extensions=extensions, lifecycle=lifecycle, ticked=ticked, filters=filters,
                  dates=service.item_dates([*pagination.items, *extensions.items]),
                  proofs=photo_checks.check_items(pagination.items),
                  choices=service.filter_choices(current_user, filters.county), **forms)


def _bulk_review(action: Action, form, form_name: str, verb: str, none_ticked: str, required, missing: str, data):
    """One bulk decision of the review page (accept, return, approve extensions): each ticked item is
    checked and recorded on its own; the page comes back with the outcome flashed, or 422 with the form
    kept when nothing was ticked or the shared text is missing."""
    filters = service.Filters.from_args(request.args)
    done, ticked = _bulk(form, action, verb, none_ticked, required, missing, data)
    if not done:
        return _review(filters, 422, ticked, **{form_name: form})
    if not wants_fragment():
        return redirect(url_for("rectification.review_queue", **filters.args()))
    # The shared text stays for the items that could not be handled; cleared once all went through.
    return _review(filters, 200, ticked, **({form_name: form} if ticked else {}))


@bp.post("/review/accept")
@access.rule(Permission.ITEM_REVIEW)
def bulk_accept():
    """Accept the ticked items with one opinion; each is checked and recorded individually."""
    form = BulkAcceptForm()
    return _bulk_review(Action.ACCEPT, form, "form", "验收通过", "请先勾选要验收的事项", form.opinion,
                        "请填写验收意见", service.ActionInput(opinion=form.opinion.data))


@bp.post("/review/return")
@access.rule(Permission.ITEM_REVIEW)
def bulk_return():
    """退回 the ticked items with one reason; each is checked and recorded individually."""
    form = BulkReturnForm()
    return _bulk_review(Action.RETURN, form, "return_form", "退回", "请先勾选要退回的事项", form.reason,
                        "请填写退回原因", service.ActionInput(reason=form.reason.data))


@bp.post("/review/extensions/approve")
@access.rule(Permission.ITEM_REVIEW)
def bulk_approve_extensions():
    """同意延期 for the ticked requests (an optional shared opinion); each is checked and recorded alone."""
    form = BulkExtensionForm()
    return _bulk_review(Action.APPROVE_EXTENSION, form, "extension_form", "同意延期", "请先勾选要同意的延期申请",
                        None, "", service.ActionInput(opinion=form.opinion.data))


# ---------------------------------------------------------------- the item page

def _form_for(item, action, formdata=None, keep=None):
    """The action's form, with choices for this item; `version` is the item's current one."""
    form = FORMS[action](formdata=formdata)
    if hasattr(form, "unit_id"):
        if formdata is None:
            form.unit_id.data = item.unit_id or 0
            form.assignee_id.data = item.assignee_id or 0
            form.person.data = "" if item.assignee_id else item.responsible_person
        _prepare_assign(form, item.county_id)
    if hasattr(form, "milestone_id"):
        form.milestone_id.choices = [(0, "请选择阶段目标")] + [
            (m.id, f"{m.due_date.isoformat()} {m.expected_result}") for m in service.milestones(item)
            if m.accepted_at is None]
    if action is Action.WRITE_MEASURES and formdata is None:
        form.text.data, form.new_date.data = item.measures, item.planned_date
    if formdata is None:
        form.version.data = item.version
        if hasattr(form, "uuid"):
            form.uuid.data = new_uuid()
    return form


# The fields of an action's form that hold the item's saved state, compared in the conflict view;
# other fields (a reason, an opinion) are the user's new words, not an overwrite of someone's text.
SAVED_STATE = {Action.ASSIGN: ("unit_id", "person"), Action.WRITE_MEASURES: ("text", "new_date"),
               Action.POST_PROGRESS: ("text",)}


def _saved_form(item, action):
    """The action's form filled from the item as saved; for progress, the latest progress posted."""
    form = _form_for(item, action)
    if action is Action.POST_PROGRESS:
        form.text.data = item.latest_progress
    return form


def _detail(item, status=200, action=None, form=None, error=None, milestone_form=None):
    """The item page, or its #item-detail fragment for htmx."""
    posts = service.progress_posts(item)
    return render("rectification/item.html", "rectification/_detail.html", status=status, item=item,
                  actions=service.allowed_actions(item, current_user), open_action=action, form=form, error=error,
                  timeline=service.timeline(item), posts=posts,
                  before=service.before_photos(item), after=service.after_photos(posts),
                  milestones=service.milestones(item), milestone_form=milestone_form or MilestoneForm(formdata=None),
                  can_add_milestone=service.can_add_milestone(item, current_user), lifecycle=lifecycle,
                  dates=service.item_dates([item])[item.id], proofs=photo_checks.check_item(item),
                repeat_mark=repeats.marks([item.finding_id]).get(item.finding_id),
                can_decide_repeat=access.can_decide_repeats_in(current_user, item.campaign_id, item.county_id),
                  history_label=history_label, history_dates=history_dates)


def _action(name) -> Action:
    """The lifecycle action named in the URL, or 404 (also for an action taken on another screen,
    e.g. the re-check result, which only rechecks/ applies)."""
    try:
        action = Action(name)
    except ValueError:
        abort(404)
    if lifecycle.TRANSITIONS[action].screen != lifecycle.ITEM_SCREEN:
        abort(404)
    return action


@bp.get("/<int:item_id>")
@access.rule(Permission.ITEM_VIEW)
def detail(item_id):
    """One item: its fields, the actions the user may take, evidence before/after, the timeline."""
    return _detail(service.load_item(item_id, current_user))


@bp.get("/<int:item_id>/actions/<name>")
@access.rule(Permission.ITEM_VIEW)
def action_form(item_id, name):
    """The small form of one action, opened in place (#action-form)."""
    item = service.load_item(item_id, current_user)
    action = _action(name)
    if action not in service.allowed_actions(item, current_user):
        flash(f"当前不能{action.label}", "error")
        response = _detail(item, status=409)
        response.headers["HX-Retarget"] = "#item-detail"
        return response
    form = _form_for(item, action)
    if wants_fragment():
        return render("rectification/item.html", "rectification/_action_form.html", item=item,
                      open_action=action, form=form, error=None,
                      proofs=photo_checks.check_item(item) if action is Action.ACCEPT else None)
    return _detail(item, action=action, form=form)


def _first_error(form) -> str:
    """One line above the form; the field errors are drawn under each field."""
    return next((e for errors in form.errors.values() for e in errors), "提交内容无效，请修改后重试")


@bp.post("/<int:item_id>/actions/<name>")
@access.rule(Permission.ITEM_VIEW)
def act(item_id, name):
    """Apply one action. Errors re-render the item with the form open and the typed text kept:
    422 for invalid input, 409 when someone else changed the item (the latest state is shown)."""
    action = _action(name)
    item = service.load_item(item_id, current_user)
    service.check_may_act(item, current_user, action)  # permission before the input is read
    form = _form_for(item, action, request.form)
    if not form.validate():
        return _detail(item, status=422, action=action, form=form, error=_first_error(form))
    data = service.ActionInput(**form.inputs())
    if hasattr(form, "files"):
        data.uploads = [service.Upload(f.filename or "file", f.read()) for f in request.files.getlist("files")
                        if f and f.filename]
    try:
        service.apply_action(item_id, current_user, action, data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        item = service.load_item(item_id, current_user)
        # The latest state is on screen now; the form moves to its version, the text stays as typed.
        form.version.data, form.version.raw_data = item.version, [str(item.version)]
        if error.message in (lifecycle.STALE_MESSAGE, service.MISSING_VERSION_MESSAGE):
            locking.rebase(form, _saved_form(item, action), item, locking.EditConflict(error.message, error.status),
                           only=SAVED_STATE.get(action, ()))
            error.field = None
        if error.field and hasattr(form, error.field):
            getattr(form, error.field).errors = [error.message]
        if error.status == 409:
            flash(error.message, "error")
        return _detail(item, status=error.status, action=action, form=form, error=error.message)
    flash(f"已{action.label}", "success")
    if not wants_fragment():
        return redirect(url_for("rectification.detail", item_id=item_id))
    return _detail(service.load_item(item_id, current_user))


@bp.post("/<int:item_id>/milestones")
@access.rule(Permission.ITEM_VIEW)
def add_milestone(item_id):
    """Add a checkpoint (date + expected result) to a 长期坚持 item."""
    item = service.load_item(item_id, current_user)
    service.check_may_set_milestones(item, current_user)
    form = MilestoneForm()
    if not form.validate():
        return _detail(item, status=422, milestone_form=form)
    try:
        service.add_milestone(item_id, current_user, form.due_date.data, form.expected_result.data or "")
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if error.field and hasattr(form, error.field):
            getattr(form, error.field).errors = [error.message]
        else:
            flash(error.message, "error")
        return _detail(item, status=422 if error.status != 409 else 409, milestone_form=form)
    flash("已新增阶段目标", "success")
    if not wants_fragment():
        return redirect(url_for("rectification.detail", item_id=item_id))
    return _detail(item)


# ---------------------------------------------------------------- files

@bp.get("/<int:item_id>/documents/<int:att_id>")
@access.rule(Permission.ITEM_VIEW)
def document(item_id, att_id):
    """An evidence document of this item, as a download (never rendered inline)."""
    item = service.load_item(item_id, current_user)
    att = service.attachment_of_item(item, att_id, current_user)
    if att.kind != AttachmentKind.DOCUMENT:
        abort(404)
    body = service.read_file(att.file_key)
    name = service.evidence_download_name(item, att)
    security.download("download.evidence", obj=att, label=name.display, county_id=item.county_id)
    return Response(body, mimetype=att.mime, headers={
        "Content-Disposition": content_disposition(name),
        "Cache-Control": "private, no-store"})


# ---------------------------------------------------------------- the ledger

@bp.get("/ledger.xlsx")
@access.rule(Permission.LEDGER_EXPORT)
def ledger():
    """整改台账 XLSX of what the user may see and has filtered, with a summary sheet. Up to
    ledger.inline_max() rows it is written now; a larger one gets a page offering the background job
    (a GET changes nothing)."""
    filters = service.Filters.from_args(request.args)
    now = utcnow()
    rows = ledger_export.count_rows(current_user, filters, now)
    if rows > ledger_export.inline_max():
        return render("rectification/ledger_large.html", rows=rows, filters=filters,
                      title=service.ledger_title(current_user, filters))
    name = service.ledger_download_name(current_user, filters, date_rules.today(now))
    data = ledger_export.build_bytes(current_user, filters, now)
    security.download("export.ledger", object_type="Ledger", label=name.display)
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": content_disposition(name)})


# ---------------------------------------------------------------- evidence packages (整改材料归档)

def _zip_response(package_items, title: str, name, now, **audit):
    """Spool the package to a temporary file (memory stays flat however large the files) and send it."""
    spool = tempfile.TemporaryFile()
    try:
        stats = service.write_package(spool, package_items, title, now)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    security.download("export.evidence_package", object_type="EvidencePackage", label=name.display,
                      summary=f"下载整改材料包（{stats['items']}个问题，{stats['files']}个文件）", **audit)
    response = send_file(spool, mimetype="application/zip", max_age=0)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/evidence/county/<int:county_id>.zip")
@access.rule(Permission.LEDGER_EXPORT)
def county_evidence_package(county_id):
    """A ZIP of the county's evidence files and photos, a folder per 问题编号, with an index workbook;
    narrowed by the list filters (e.g. ?campaign=). 404 for a county outside the user's scope."""
    filters = service.Filters.from_args(request.args)
    region, package_items = service.county_package_items(current_user, county_id, filters)
    if evidence_jobs.is_large(package_items):
        return _evidence_large(package_items, f"{region.name}整改材料",
                               evidence_jobs.county_params(county_id, filters))
    now = utcnow()
    name = service.county_package_name(region, filters, date_rules.today(now))
    return _zip_response(package_items, f"{region.name}整改材料", name, now,
                         object_id=region.code, county_id=region.id)


@bp.get("/<int:item_id>/evidence.zip")
@access.rule(Permission.ITEM_VIEW)
def item_evidence_package(item_id):
    """A ZIP of one item's evidence files and photos with an index workbook."""
    item = service.load_item(item_id, current_user)
    package_items = service.evidence_package_items(current_user, [item])
    if evidence_jobs.is_large(package_items):
        return _evidence_large(package_items, f"{item.number}整改材料", evidence_jobs.item_params(item.id))
    now = utcnow()
    name = service.item_package_name(item, date_rules.today(now))
    return _zip_response(package_items, f"{item.number}整改材料", name, now,
                         object_id=item.number, county_id=item.county_id)


def _evidence_large(package_items, title: str, params: dict):
    """The page offering a large package as a background job (a GET changes nothing)."""
    files, size = evidence_jobs.size(package_items)
    return render("rectification/evidence_large.html", title=title, files=files,
                  megabytes=round(size / 1024 / 1024, 1), params=params)


@bp.post("/evidence-jobs")
@access.rule(Permission.ITEM_VIEW)
def evidence_job():
    """Start a 整改材料包 as a background job: of one item (item_id, in the user's scope) or of a county
    (county_id and the list filters; needs the ledger-export permission and the county in scope).
    Answers the job's progress fragment (htmx) or its page."""
    if request.form.get("item_id", "").isdigit():
        item = service.load_item(int(request.form["item_id"]), current_user)
        params, title = evidence_jobs.item_params(item.id), f"{item.number}整改材料"
    elif request.form.get("county_id", "").isdigit():
        if not access.has(current_user, Permission.LEDGER_EXPORT):
            abort(403)
        filters = service.Filters.from_args(request.form)
        region, _items = service.county_package_items(current_user, int(request.form["county_id"]), filters)
        params, title = evidence_jobs.county_params(region.id, filters), f"{region.name}整改材料"
    else:
        abort(404)   # no package named: nothing to make, as for an item or county out of scope
    job = jobs_service.create(current_user, "evidence", params, title)
    if not wants_fragment():
        return redirect(url_for("jobs.detail", job_id=job.id))
    return job_progress(job, status=201)


@bp.post("/ledger-jobs")
@access.rule(Permission.LEDGER_EXPORT)
def ledger_job():
    """Start the 整改台账 export as a background job over the posted filters; answers its progress
    fragment (htmx) or its page."""
    filters = service.Filters.from_args(request.form)
    job = jobs_service.create(current_user, "ledger", filters.args(), service.ledger_title(current_user, filters))
    if not wants_fragment():
        return redirect(url_for("jobs.detail", job_id=job.id))
    return job_progress(job, status=201)


# ---------------------------------------------------------------- notifications

@bp.get("/notifications")
@access.rule(SIGNED_IN)
def notification_list(email_form=None, status=200):
    """The user's notifications, unread first; handled ones marked 已处理. With the e-mail channel on,
    the user's own address for e-mail notices."""
    if email_form is None and channels.enabled()["email"]:
        email_form = NoticeEmailForm(formdata=None, email=current_user.email or "")
    return render("rectification/notifications.html", "rectification/_notifications.html", status=status,
                  pagination=notifications.recent(current_user, _page()), kinds=notifications.KIND_LABELS,
                  is_handled=notifications.is_handled, target=notifications.target, email_form=email_form,
                  bell_count=notifications.unread_count(current_user) if wants_fragment() else None)


@bp.post("/notifications/email")
@access.rule(SIGNED_IN)
def notification_email():
    """Save the user's own address for e-mail notices (422 with the typed text kept when invalid)."""
    form = NoticeEmailForm()
    if not form.validate():
        return notification_list(email_form=form, status=422)
    notifications.set_email(current_user, form.email.data or "")
    flash("通知邮箱已保存" if form.email.data else "已关闭邮件通知", "success")
    if not wants_fragment():
        return redirect(url_for("rectification.notification_list"))
    return notification_list()


@bp.get("/notifications/bell")
@access.rule(SIGNED_IN)
def bell():
    """The bell's unread count (polled by the top bar)."""
    return render("rectification/_bell.html", count=notifications.unread_count(current_user))


@bp.post("/notifications/<int:notification_id>/read")
@access.rule(SIGNED_IN)
def mark_read(notification_id):
    """Mark one of the user's own notifications read (someone else's answers 404)."""
    if not notifications.mark_read(current_user, notification_id) \
            and not notifications.is_own(current_user, notification_id):
        abort(404)
    if not wants_fragment():
        return redirect(url_for("rectification.notification_list"))
    return notification_list()


@bp.post("/notifications/read")
@access.rule(SIGNED_IN)
def mark_all_read():
    """Mark all of the user's notifications read."""
    count = notifications.mark_read(current_user)
    flash(f"已将 {count} 条通知标为已读", "success")
    if not wants_fragment():
        return redirect(url_for("rectification.notification_list"))
    return notification_list()
