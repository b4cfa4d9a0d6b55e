"""Views of site visits: my counties, a county's sites, the visit screen with autosaving answers,
findings in place, submit and reopen. Thin: parse, validate, call visits.service, pick the response."""
import time

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_login import current_user

from inspect_app import access, locking
from inspect_app.access import Permission
from inspect_app.audit import security
from inspect_app.documents.download_names import content_disposition
from inspect_app.documents.dates import to_china
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.org.models import Site
from inspect_app.problem_lists import service as problem_list_service
from inspect_app.rendering import render
from inspect_app.visits import bp, positions, record, service
from inspect_app.visits.forms import AnswerForm, FindingForm, StartVisitForm
from inspect_app.visits.models import AnswerResult, Finding

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _refused(error: DomainError, template: str, **context):
    """A refused change: the fragment with the Chinese message, swapped by htmx (409/422)."""
    return render(template, status=error.status, error=error.message, **context)


def _to_visit(visit_id: int, anchor: str = ""):
    return redirect(url_for("visits.show", visit_id=visit_id) + (f"#{anchor}" if anchor else ""), code=303)


@bp.app_template_filter("hm")
def hour_minute(value) -> str:
    """A UTC timestamp as Beijing HH:MM (the autosave indicator)."""
    return to_china(value).strftime("%H:%M") if value else ""


@bp.get("/")
@access.rule(Permission.VISIT_VIEW)
def index():
    """我的核查: the counties of my teams with their visit counts."""
    return render("visits/index.html", rows=service.my_counties(current_user))


@bp.get("/counties/<code>")
@access.rule(Permission.VISIT_VIEW)
def county(code):
    """One county's sites grouped by kind, with each site's visit status in the county's latest
    campaign, or in the one named by ?campaign= (an older campaign with unfinished visits)."""
    county = access.get_county_or_404(code)
    assignment = service.assignment_for(current_user, county.id, request.args.get("campaign", type=int))
    if assignment is None:
        abort(404)
    return render("visits/county.html", "visits/_sites.html", county=county, assignment=assignment,
                  groups=service.county_sites(county, assignment),
                  county_score=service.county_scores(assignment.campaign.id, [county.id]).get(county.id),
                  can_record=access.can(current_user, Permission.VISIT_RECORD, county.id))


@bp.get("/counties/<code>/offline")
@access.rule(Permission.VISIT_RECORD)
def county_offline(code):
    """离线准备: what the tablet keeps to work in this county without a network, as JSON (the
    county's sites, the campaign's checklist version, the pages to keep). Same scope as the county
    page; only those who may record visits prepare. Besides visits.service.offline_bundle's keys:
    ``rechecks`` (how many open re-check rounds of the user's team with items in this county are
    kept too) and ``photos`` (the evidence photos on their screens, for the photo cache)."""
    county = access.get_county_or_404(code)
    assignment = service.assignment_for(current_user, county.id)
    if assignment is None:
        abort(404)
    bundle = service.offline_bundle(county, assignment)
    # The open re-check rounds (抽查复核) of the user's team with items in this county: their screens
    # and the evidence photos on them are kept too (rechecks.service.offline_parts).
    from inspect_app.rechecks import service as rechecks
    bundle.update(rechecks=0, photos=[])
    for rnd in rechecks.offline_rounds(current_user, assignment.team_id, county.id):
        parts = rechecks.offline_parts(rnd, current_user)
        bundle["pages"] += parts["pages"]
        bundle["photos"] += [u for u in parts["photos"] if u not in bundle["photos"]]
        bundle["rechecks"] += 1
    return jsonify(bundle)


@bp.get("/sites/<int:site_id>/new")
@access.rule(Permission.VISIT_RECORD)
def prepared(site_id):
    """The visit screen of a site not started yet, kept by 离线准备 so that an inspector can start
    the site and answer it offline (offline.js queues the start with its client UUID, then the
    records made on this screen). Same scope as starting the site; once the site is started, its
    visit screen instead."""
    site = access.get_or_404(Site, site_id)
    assignment = service.assignment_for(current_user, site.county_id, request.args.get("campaign", type=int))
    if assignment is None:
        abort(404)
    visit = service.started_visit(site, assignment)
    if visit is not None:
        return redirect(url_for("visits.show", visit_id=visit.id))
    try:
        visit = service.prepared_visit(current_user, site, assignment)
    except DomainError:
        abort(404)
    return render("visits/show.html", **_screen_context(visit), prepared=True)


@bp.post("/sites/<int:site_id>/start")
@access.rule(Permission.VISIT_RECORD)
def start(site_id):
    """Start (or resume) the visit of a site; idempotent on the client UUID. GPS is optional."""
    site = access.get_or_404(Site, site_id)
    assignment = service.assignment_for(current_user, site.county_id, request.form.get("campaign", type=int))
    if assignment is None:
        abort(404)
    form = StartVisitForm()
    if not form.validate():
        # Only the optional GPS fields can fail (a tampered or broken position): start without them.
        form.lat.data = form.lon.data = form.accuracy.data = None
    client_uuid = service.clean_uuid(form.uuid.data) or service.new_uuid()
    try:
        visit, created = service.start_visit(current_user, site, assignment, client_uuid, lat=form.lat.data,
                                             lon=form.lon.data, accuracy=form.accuracy.data)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("visits.county", code=site.county.code, campaign=assignment.campaign.id))
    if created or visit.uuid == client_uuid:  # this client's own visit, also when a retry raced it
        flash(f"已开始核查：{site.name}", "success")
        notice = problem_list_service.issued_notice(visit.campaign_id, visit.county_id)
        if notice:
            flash(notice, "info")
    return redirect(url_for("visits.show", visit_id=visit.id), code=303)


def _screen_context(visit):
    screen = service.visit_screen(visit)
    editable = service.can_record(current_user, visit)
    # A blank finding form goes with the page, for recording findings while offline (offline.js),
    # and the second it was rendered (ms), so that a kept copy knows which records it predates.
    return {"rendered_at": int(time.time()) * 1000, "visit": visit, "screen": screen, "editable": editable,
            "issued_notice": problem_list_service.issued_notice(visit.campaign_id, visit.county_id) if editable else None,
            "can_reopen": access.can(current_user, Permission.VISIT_REOPEN, visit.county_id),
            "results": list(AnswerResult), "stored_score": service.stored_score(visit),
            "blank_finding": FindingForm(data={**service.finding_defaults(None, None), "uuid": ""})}


@bp.get("/<int:visit_id>")
@access.rule(Permission.VISIT_VIEW)
def show(visit_id):
    """The visit screen: the site kind's items by section, answers, findings and photos."""
    visit = service.load_visit(visit_id)
    return render("visits/show.html", **_screen_context(visit))


@bp.get("/<int:visit_id>/map")
@access.rule(Permission.VISIT_VIEW)
def visit_map(visit_id):
    """核查照片位置图: the county's sites and where this visit's photos were taken (server-drawn SVG),
    for whoever may see the visit (its county; for team roles, their team's campaign)."""
    visit = service.load_visit(visit_id)
    return render("visits/map.html", visit=visit, county=visit.site.county, campaign=visit.campaign,
                  view=positions.visit_map(visit, positions.limit_km()))


@bp.get("/counties/<code>/map")
@access.rule(Permission.VISIT_VIEW)
def county_map(code):
    """The county's sites and the photo positions of every visit of its latest campaign (or the one
    named by ?campaign=); same scope as the county's site list."""
    county = access.get_county_or_404(code)
    assignment = service.assignment_for(current_user, county.id, request.args.get("campaign", type=int))
    if assignment is None:
        abort(404)
    return render("visits/map.html", visit=None, county=county, campaign=assignment.campaign,
                  view=positions.county_map(county, assignment.campaign.id, positions.limit_km()))


@bp.get("/<int:visit_id>/record.docx")
@access.rule(Permission.VISIT_VIEW)
def record_docx(visit_id):
    """The visit's 现场核查记录表 (Word), for whoever may see the visit (its county, and for team roles
    their team's campaign); audited like every export."""
    visit = service.load_visit(visit_id)
    content = record.record_docx(visit)
    name = record.record_filename(visit)
    response = Response(content, mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(name)
    security.download("export.visit_record", object_type="SiteVisit", object_id=visit.id,
                      county_id=visit.county_id, label=name.display)
    return response


def _item_or_404(visit, item_id):
    item = service.applicable_item(visit, item_id)
    if item is None:
        abort(404)
    return item


@bp.post("/<int:visit_id>/items/<int:item_id>/answer")
@access.rule(Permission.VISIT_RECORD)
def answer(visit_id, item_id):
    """Autosave one item's answer (result + note): upsert per (visit, item), idempotent.

    Answers with the row's status fragment and, out of band, the progress count."""
    visit = service.load_visit(visit_id)
    item = _item_or_404(visit, item_id)
    form = AnswerForm()
    context = {"visit": visit, "item": item, "editable": True}
    if not form.validate():
        message = next(iter(e for errors in form.errors.values() for e in errors), "提交内容无效")
        return _refused(DomainError(message), "visits/_answer_status.html", answer=None, **context)
    try:
        saved, _changed = service.save_answer(visit, item, service.clean_uuid(form.uuid.data),
                                              form.result_value(), form.note.data, current_user)
    except DomainError as error:
        db.session.rollback()
        return _refused(error, "visits/_answer_status.html", answer=None, **context)
    if not request.htmx:
        return _to_visit(visit.id, f"item-{item.id}")
    answered, total = service.progress(visit)
    return render("visits/_answer_saved.html", answer=saved, answered=answered, total=total, **context)


def _finding_form_response(visit, form, item, status=200, finding=None):
    return render("visits/_finding_form.html", status=status, visit=visit, form=form, item=item, finding=finding)


@bp.get("/<int:visit_id>/findings/new")
@access.rule(Permission.VISIT_RECORD)
def finding_new(visit_id):
    """The finding form, in place under an answer (?item=) or free-standing, prefilled."""
    visit = service.load_visit(visit_id)
    if not request.htmx:
        return _to_visit(visit.id)
    item_id = request.args.get("item", type=int)
    item = _item_or_404(visit, item_id) if item_id else None
    answer = service.answer_of(visit, item) if item is not None else None
    note = request.args.get("note")            # what is typed now, even if its autosave is pending
    form = FindingForm(data={**service.finding_defaults(item, answer, note), "uuid": ""})
    return _finding_form_response(visit, form, item)


@bp.post("/<int:visit_id>/findings")
@access.rule(Permission.VISIT_RECORD)
def finding_create(visit_id):
    """Record a finding; idempotent on its client UUID. The form goes away and the finding card is
    appended to its list out of band; invalid input re-renders the form with errors (422)."""
    visit = service.load_visit(visit_id)
    item_id = request.form.get("item_id", type=int)
    item = _item_or_404(visit, item_id) if item_id else None
    form = FindingForm()
    if not form.validate():
        return _finding_form_response(visit, form, item, status=422)
    try:
        finding, _created = service.create_finding(visit, form.values(), service.clean_uuid(form.uuid.data),
                                                   current_user, item)
    except DomainError as error:
        db.session.rollback()
        form.description.errors.append(error.message)
        return _finding_form_response(visit, form, item, status=error.status)
    # A retry is answered as the first request was (its response may never have arrived).
    flash("已记录问题", "success")
    if not request.htmx:
        return _to_visit(visit.id, f"finding-{finding.id}")
    return render("visits/_finding_created.html", visit=visit, finding=finding,
                     photos=service.finding_photos(finding), editable=True)


def _finding_or_404(finding_id) -> Finding:
    finding = access.get_or_404(Finding, finding_id)
    if finding.visit_id is None:
        abort(404)
    return finding


def _card(finding, status=200):
    """The finding card; _finding.html shows the edit buttons only on a draft of an editable visit."""
    if not request.htmx:
        return _to_visit(finding.visit_id, f"finding-{finding.id}")
    return render("visits/_finding.html", status=status, visit=finding.visit, finding=finding,
                     photos=service.finding_photos(finding),
                     editable=service.can_record(current_user, finding.visit))


@bp.get("/findings/<int:finding_id>")
@access.rule(Permission.VISIT_VIEW)
def finding(finding_id):
    """One finding card (also what "cancel" on an edit returns)."""
    finding = _finding_or_404(finding_id)
    return _card(finding)


@bp.get("/findings/<int:finding_id>/edit")
@access.rule(Permission.VISIT_RECORD)
def finding_edit(finding_id):
    """A draft finding as an inline edit form."""
    finding = _finding_or_404(finding_id)
    if not request.htmx:
        return _to_visit(finding.visit_id, f"finding-{finding.id}")
    try:
        service.ensure_finding_editable(finding)
    except DomainError as error:
        flash(error.message, "error")
        return _card(finding, status=409)
    return _finding_form_response(finding.visit, _saved_form(finding), finding.item, finding=finding)


@bp.app_template_global("finding_edit_form")
def _saved_form(finding) -> FindingForm:
    """The edit form filled from the finding as saved (the edit view, and the conflict view's "saved")."""
    form = FindingForm(formdata=None, obj=finding, data={"uuid": finding.uuid})
    form.severity.data = finding.severity.value
    form.rectification_type.data = finding.rectification_type.value
    return form


@bp.post("/findings/<int:finding_id>")
@access.rule(Permission.VISIT_RECORD)
def finding_update(finding_id):
    """Save an edited draft finding: the card comes back, or the form with errors (422), or — when
    someone saved it since the form was drawn — the form with both texts side by side (409)."""
    finding = _finding_or_404(finding_id)
    form = FindingForm()
    if not form.validate():
        return _finding_form_response(finding.visit, form, finding.item, status=422, finding=finding)
    try:
        if service.update_finding(finding, form.values(), current_user, form.version.data):
            flash("已保存问题", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _card(finding, status=409)
    except locking.EditConflict as error:
        db.session.rollback()
        locking.rebase(form, _saved_form(finding), finding, error)
        return _finding_form_response(finding.visit, form, finding.item, status=error.status, finding=finding)
    return _card(finding)


@bp.post("/findings/<int:finding_id>/delete")
@access.rule(Permission.VISIT_RECORD)
def finding_delete(finding_id):
    """Delete a draft finding of a visit that is not submitted; the card disappears. Idempotent: a
    finding this user could see that is deleted already answers as the delete did. With `version`
    (a delete queued offline), an edit saved since refuses it (409) with the current card."""
    gone = db.session.get(Finding, finding_id) is None and service.deleted_finding_visit(finding_id, current_user)
    if gone:          # deleted already (a repeated delete): answered as the first one was
        return "" if request.htmx else redirect(url_for("visits.show", visit_id=gone), code=303)
    finding = _finding_or_404(finding_id)
    visit_id = finding.visit_id
    try:
        service.delete_finding(finding, current_user, request.form.get("version", type=int))
    except (DomainError, locking.EditConflict) as error:
        db.session.rollback()
        flash(error.message, "error")
        db.session.refresh(finding)
        return _card(finding, status=error.status)
    flash("已删除问题", "success")
    if request.htmx:
        return ""
    return redirect(url_for("visits.show", visit_id=visit_id), code=303)


@bp.get("/<int:visit_id>/submit")
@access.rule(Permission.VISIT_RECORD)
def submit_confirm(visit_id):
    """Confirmation before submitting: each unanswered item and each required photo missing asks
    for a reason; the score as answered now."""
    visit = service.load_visit(visit_id)
    if not service.can_record(current_user, visit):
        return redirect(url_for("visits.show", visit_id=visit.id))
    return render("visits/submit.html", visit=visit, screen=service.visit_screen(visit), reasons={}, errors={})


@bp.post("/<int:visit_id>/submit")
@access.rule(Permission.VISIT_RECORD)
def submit(visit_id):
    """Submit the visit: read-only to inspectors from now on (a repeated submit changes nothing).
    Missing reasons re-render the confirmation with the typed reasons kept (422)."""
    visit = service.load_visit(visit_id)
    reasons = {key: value for key, value in request.form.items() if key.startswith("reason-")}
    try:
        if service.submit_visit(visit, current_user, reasons):
            flash("核查已提交", "success")
    except DomainError as error:
        db.session.rollback()
        if error.status != 422:
            flash(error.message, "error")
            return redirect(url_for("visits.show", visit_id=visit.id), code=303)
        return render("visits/submit.html", status=422, visit=visit, screen=service.visit_screen(visit),
                      reasons=reasons, errors=service.reason_errors(visit, reasons), error=error.message)
    return redirect(url_for("visits.show", visit_id=visit.id), code=303)


@bp.post("/<int:visit_id>/reopen")
@access.rule(Permission.VISIT_REOPEN)
def reopen(visit_id):
    """The team leader reopens a submitted visit so that it can be corrected (audited)."""
    visit = service.load_visit(visit_id)
    try:
        service.reopen_visit(visit, current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("已退回该核查，核查员可继续修改", "success")
    return redirect(url_for("visits.show", visit_id=visit.id), code=303)
