"""Views of 自查: the list, a county's sites in a campaign, the answer screen (autosaving answers
with their version, photos), submit, and the comparison with the inspectors' answers per county
and across counties. Thin: parse, validate, call self_inspections.service, pick the response.
Who may see and do what: inspect_app/access.py (SELF_INSPECTION_*)."""
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.campaigns.models import Campaign
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.idempotency import clean_uuid
from inspect_app.media import service as media_service
from inspect_app.media.models import PhotoStage
from inspect_app.media.processing import MSG_EMPTY, RejectedUpload
from inspect_app.org.models import Site
from inspect_app.rendering import render
from inspect_app.self_inspections import bp, comparison, service
from inspect_app.self_inspections.forms import ActionForm, SelfAnswerForm
from inspect_app.visits.models import AnswerResult

OUTCOMES = [comparison.Outcome.OVER, comparison.Outcome.UNDER, comparison.Outcome.OTHER, comparison.Outcome.AGREE]


def _campaign_county_or_404(campaign_id: int, code: str):
    county = access.get_county_or_404(code)
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not service.campaign_covers(campaign, county.id):
        abort(404)
    return campaign, county


@bp.get("/")
@access.rule(Permission.SELF_INSPECTION_VIEW)
def index():
    """自查: a county's campaigns, or the self-inspections (and comparisons) in the user's scope."""
    return render("self_inspections/index.html", rows=service.index_rows(current_user),
                  across=current_user.role not in access.COUNTY_ROLES)


@bp.get("/campaigns/<int:campaign_id>/counties/<code>")
@access.rule(Permission.SELF_INSPECTION_VIEW)
def county(campaign_id, code):
    """One county's sites in a campaign with their self-inspections (drafts to the county only)."""
    campaign, county = _campaign_county_or_404(campaign_id, code)
    if current_user.role not in access.COUNTY_ROLES and not access.can_see_campaign_county(
            current_user, campaign.id, county.id):
        abort(404)
    return render("self_inspections/county.html", campaign=campaign, county=county,
                  rows=service.county_sites(current_user, campaign, county),
                  can_record=access.has(current_user, Permission.SELF_INSPECTION_RECORD),
                  can_compare=access.can_see_self_comparison(current_user, campaign.id, county.id),
                  form=ActionForm())


@bp.post("/campaigns/<int:campaign_id>/sites/<int:site_id>/start")
@access.rule(Permission.SELF_INSPECTION_RECORD)
def start(campaign_id, site_id):
    """Start (or resume) a site's self-inspection; a repeated start opens the same one."""
    site = access.get_or_404(Site, site_id)
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    inspection, created = service.start(current_user, campaign, site)
    if created:
        flash(f"已开始自查：{site.name}", "success")
    return redirect(url_for("self_inspections.show", self_inspection_id=inspection.id), code=303)


def _screen_context(inspection):
    editable = access.can_record_self_inspection(current_user, inspection) and not inspection.submitted
    return {"inspection": inspection, "screen": service.screen(inspection), "editable": editable,
            "results": list(AnswerResult), "form": ActionForm()}


@bp.get("/<int:self_inspection_id>")
@access.rule(Permission.SELF_INSPECTION_VIEW)
def show(self_inspection_id):
    """The answer screen: the site kind's items by section, with the county's answers and photos."""
    inspection = service.load(self_inspection_id, current_user)
    return render("self_inspections/show.html", **_screen_context(inspection))


@bp.post("/<int:self_inspection_id>/items/<int:item_id>/answer")
@access.rule(Permission.SELF_INSPECTION_RECORD)
def answer(self_inspection_id, item_id):
    """Autosave one item (result + note) with the version the screen was drawn from. Answers with the
    item's status fragment (its new version out of band); refused: the fragment with the message
    (409 stale or locked, 422 invalid)."""
    inspection = service.load(self_inspection_id, current_user)
    saved = service.answer_of(inspection, item_id)
    form = SelfAnswerForm()
    context = {"inspection": inspection, "item": saved.item, "answer": saved, "editable": True}
    try:
        if not form.validate():
            raise DomainError(next(iter(e for errors in form.errors.values() for e in errors), "提交内容无效"))
        service.save_answer(inspection, saved, form.result_value(), form.note.data, form.version.data,
                            current_user)
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        return render("self_inspections/_answer_status.html", status=error.status, error=error.message,
                      **context)
    if not request.htmx:
        return redirect(url_for("self_inspections.show", self_inspection_id=inspection.id) + f"#item-{item_id}",
                        code=303)
    screen = service.screen(inspection)
    return render("self_inspections/_answer_saved.html", answered=screen.answered, total=screen.total, **context)


@bp.post("/<int:self_inspection_id>/items/<int:item_id>/photos")
@access.rule(Permission.SELF_INSPECTION_RECORD)
def upload_photo(self_inspection_id, item_id):
    """Upload one photo of an item (idempotent on the photo's client UUID); JSON like the visit
    screen's uploads: the thumbnail's HTML, or {"error": message} with its status."""
    inspection = service.load(self_inspection_id, current_user)
    try:
        upload, client_uuid = request.files.get("photo"), clean_uuid(request.form.get("uuid"))
    except RequestEntityTooLarge:
        return jsonify(error="上传内容过大，请分几次上传"), 413
    if client_uuid is None or upload is None:
        return jsonify(error=MSG_EMPTY if client_uuid else "缺少照片编号，请刷新页面后重试"), 400
    try:
        owner = service.answer_of(inspection, item_id)
        if media_service.existing_photo(client_uuid, owner) is None:
            service.ensure_editable(inspection, current_user)
        photo, _created = media_service.ingest_photo(upload.read(), owner, current_user, client_uuid,
                                                     PhotoStage.OTHER, filename=upload.filename or "")
    except RejectedUpload as rejected:
        return jsonify(error=rejected.message), rejected.status
    except DomainError as error:
        db.session.rollback()
        return jsonify(error=error.message), error.status
    return jsonify(id=photo.id, uuid=photo.uuid, gallery=f"gallery-self-{item_id}",
                   html=render_template("media/_thumb.html", photo=photo))


@bp.post("/<int:self_inspection_id>/submit")
@access.rule(Permission.SELF_INSPECTION_RECORD)
def submit(self_inspection_id):
    """Submit the self-inspection (locked from now on); unanswered items refuse it with a message
    on the screen (the status stays draft)."""
    inspection = service.load(self_inspection_id, current_user)
    try:
        if service.submit(inspection, current_user):
            flash("自查已提交，内容已锁定", "success")
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
    return redirect(url_for("self_inspections.show", self_inspection_id=inspection.id), code=303)


@bp.get("/campaigns/<int:campaign_id>/counties/<code>/comparison")
@access.rule(Permission.SELF_INSPECTION_VIEW)
def county_comparison(campaign_id, code):
    """自查对照: the county's agreement rate, its over- and under-reported items and worst items;
    ?outcome= picks the list shown (an htmx request gets only that list)."""
    campaign, county = _campaign_county_or_404(campaign_id, code)
    if not access.can_see_self_comparison(current_user, campaign.id, county.id):
        abort(404)
    outcome = next((o for o in OUTCOMES if o.value == request.args.get("outcome")), comparison.Outcome.OVER)
    found = service.county_comparison(campaign.id, county.id)
    return render("self_inspections/comparison.html", "self_inspections/_pairs.html", campaign=campaign,
                  county=county, found=found, outcome=outcome, outcomes=OUTCOMES, pairs=found.of(outcome))


@bp.get("/campaigns/<int:campaign_id>/comparison")
@access.rule(Permission.SELF_INSPECTION_VIEW)
def campaign_comparison(campaign_id):
    """The comparison across the counties in the user's scope (province, city, team) in a campaign."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    lines, worst = service.campaign_overview(current_user, campaign)
    if not lines and not access.sees_every_county(current_user):
        abort(404)
    return render("self_inspections/overview.html", campaign=campaign, lines=lines, worst=worst,
                  scope=access.scope_name(current_user))
