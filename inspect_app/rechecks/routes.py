"""Views of the re-check rounds (回头看 / 抽查复核): the list, drawing a round, a round's page with
its reproduction check, the tablet re-check screen, recording a result, and the dashboard panel."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.errors import DomainError
from inspect_app.idempotency import new_uuid
from inspect_app.media.processing import MSG_EMPTY, RejectedUpload
from inspect_app.rechecks import bp, figures, service
from inspect_app.rechecks.forms import DrawForm, ResultForm
from inspect_app.rechecks.models import RecheckResult
from inspect_app.rectification import service as items_service
from inspect_app.rendering import render, wants_fragment


@bp.get("/")
@access.rule(Permission.RECHECK_VIEW)
def index():
    """The rounds the user may see, newest first; the draw button for those who may draw."""
    pagination = service.visible_rounds(current_user, request.args.get("page", 1, type=int))
    return render("rechecks/index.html", "rechecks/_rounds.html", pagination=pagination,
                  may_draw=access.has(current_user, Permission.RECHECK_DRAW))


def _draw_form(formdata=None) -> DrawForm:
    form = DrawForm(formdata=formdata)
    form.team_id.choices = [(0, "请选择核查组")] + [(t.id, f"{t.campaign.name} · {t.name}")
                                                   for t in service.drawable_teams(current_user)]
    if formdata is None:
        form.name.data = f"{service.today_label()}抽查复核"
    return form


@bp.route("/new", methods=["GET", "POST"])
@access.rule(Permission.RECHECK_DRAW)
def new():
    """Draw a round: by rate or count, stratified by county and severity, with a recorded seed."""
    form = _draw_form(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        team = next((t for t in service.drawable_teams(current_user) if t.id == form.team_id.data), None)
        try:
            if team is None:
                raise DomainError("请选择核查组", 422, "team_id")
            rate = service.parse_rate(form.rate.data) if form.mode.data == "rate" else None
            count = form.count.data if form.mode.data == "count" else None
            if form.mode.data == "count" and not count:
                raise DomainError("请填写抽查数量", 422, "count")
            rnd = service.draw_round(current_user, team.campaign_id, team.id, form.name.data,
                                     rate=rate, count=count, seed=form.seed.data)
        except DomainError as error:
            if error.status == 404:
                raise
            getattr(form, error.field or "name").errors = [error.message]
        else:
            flash(f"已抽取 {len(rnd.item_ids)} 项，随机种子 {rnd.seed}", "success")
            return redirect(url_for("rechecks.show", round_id=rnd.id))
    return render("rechecks/new.html", status=422 if form.errors else 200, form=form)


@bp.get("/<int:round_id>")
@access.rule(Permission.RECHECK_VIEW)
def show(round_id):
    """A round: parameters, seed, allocation, the reproduction check, and the samples with results
    (county roles: their own scope's samples, read-only)."""
    rnd = service.load_round(round_id, current_user)
    samples = service.samples_of(rnd, current_user)
    return render("rechecks/show.html", "rechecks/_round.html", rnd=rnd, samples=samples,
                  reproduced=service.reproduce(rnd) if request.args.get("reproduce") else None,
                  strata=service.visible_strata(rnd, current_user), counties=service.county_names(rnd),
                  may_record=access.can_record_recheck(current_user, rnd))


@bp.get("/<int:round_id>/field")
@access.rule(Permission.RECHECK_RECORD)
def field(round_id):
    """The tablet re-check screen: each sampled item with its closing evidence and a result form."""
    rnd = service.load_round(round_id, current_user)
    if not access.can_record_recheck(current_user, rnd):
        raise DomainError("您不是该复核轮次的核查组成员", 403)
    samples = service.samples_of(rnd, current_user)
    return render("rechecks/field.html", None, rnd=rnd, samples=samples, cards=_cards(samples))


@bp.get("/<int:round_id>/offline")
@access.rule(Permission.RECHECK_RECORD)
def offline(round_id):
    """离线准备 of a round's re-check screen, in the shape offline.js keeps for a county's visits
    (``kind: "recheck"``): the pages the service worker is to keep (the screen and the round's
    page), ``items`` (how many sampled items the screen shows) and ``photos``, the thumbnail and
    display URLs of every 整改前 / 整改后 photo on the screen, which offline.js puts in the photo
    cache so that the closing evidence shows offline without having been seen online."""
    rnd = service.load_round(round_id, current_user)
    if not access.can_record_recheck(current_user, rnd):
        raise DomainError("您不是该复核轮次的核查组成员", 403)
    return jsonify(kind="recheck", county={"code": f"recheck-{rnd.id}", "name": rnd.name},
                   campaign={"id": rnd.campaign_id, "name": rnd.campaign.name}, sites=[],
                   **service.offline_parts(rnd, current_user))


def _cards(samples, forms=None):
    """Per sample: the item's closing evidence (整改后 photos), the re-check photos and a form."""
    photos = service.photos_of([s.id for s in samples])
    out = []
    for s in samples:
        form = (forms or {}).get(s.id)
        if form is None:
            form = ResultForm(formdata=None)
            form.version.data, form.item_version.data, form.uuid.data = s.version, s.item.version, new_uuid()
        posts = items_service.progress_posts(s.item)
        out.append({"sample": s, "item": s.item, "evidence": items_service.after_photos(posts),
                    "before": items_service.before_photos(s.item), "photos": photos[s.id], "form": form,
                    "latest": posts[0][0] if posts else None})
    return out


@bp.post("/samples/<int:sample_id>/result")
@access.rule(Permission.RECHECK_RECORD)
def record(sample_id):
    """Record one result (idempotent on the form's UUID). htmx: the card replaced by its recorded
    state; the offline queue (Accept: application/json): JSON; a plain post: back to the screen.
    Invalid input re-renders the card with the typed text (422); a stale version answers 409."""
    form = ResultForm(request.form)
    # "photos" from the form ("photo" still accepted: the offline queue now sends the result without
    # files and each photo afterwards to upload_photo).
    photos = [service.Photo(f.filename or "photo.jpg", f.read())
              for f in request.files.getlist("photos") + request.files.getlist("photo") if f and f.filename]
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        if not form.validate():
            raise DomainError(next(e for errs in form.errors.values() for e in errs), 422, None)
        sample, created = service.record_result(
            sample_id, current_user, result=form.result.data, note=form.note.data or "", version=form.version.data,
            item_version=form.item_version.data, client_uuid=form.uuid.data, photos=photos)
    except DomainError as error:
        if error.status in (403, 404) or wants_json:
            if wants_json and error.status not in (403, 404):
                return jsonify(error=error.message, field=error.field), error.status
            raise
        sample = service.load_sample(sample_id, current_user)
        if error.field and hasattr(form, error.field):
            getattr(form, error.field).errors = [error.message]
        return _card(sample, form, error.message, error.status)
    if wants_json:
        return jsonify(id=sample.id, result=sample.result.value, label=sample.result.label,
                       created=created, item_status=sample.item.status.label)
    if not wants_fragment():
        flash(f"已记录复核结果：{sample.result.label}", "success")
        return redirect(url_for("rechecks.field", round_id=sample.round_id))
    return _card(sample)


@bp.post("/samples/<int:sample_id>/photos")
@access.rule(Permission.RECHECK_RECORD)
def upload_photo(sample_id):
    """One photo of a result recorded offline, sent by the queue after the result (form: ``photo``,
    its ``uuid`` and the result's ``result_uuid``); see service.add_photo for the 409 rule. JSON
    like the media uploads: {"id", "uuid", "gallery", "html"} or {"error"} with its status."""
    upload = request.files.get("photo")
    if upload is None:
        return jsonify(error=MSG_EMPTY), 400
    try:
        photo, _created = service.add_photo(sample_id, current_user, data=upload.read(),
                                            filename=upload.filename or "", client_uuid=request.form.get("uuid"),
                                            result_uuid=request.form.get("result_uuid"))
    except RejectedUpload as rejected:
        return jsonify(error=rejected.message), rejected.status
    except DomainError as error:
        if error.status == 404:
            raise
        return jsonify(error=error.message), error.status
    return jsonify(id=photo.id, uuid=photo.uuid, gallery=f"sample-{sample_id}-photos",
                   html=render_template("media/_thumb.html", photo=photo))


def _card(sample, form=None, error=None, status=200):
    card = _cards([sample], {sample.id: form} if form is not None else None)[0]
    return render("rechecks/_sample.html", "rechecks/_sample.html", status=status, card=card, error=error,
                  rnd=sample.round)


@bp.get("/panel")
@access.rule(Permission.DASHBOARD_VIEW)
def panel():
    """The dashboard's re-check panel (lazy-loaded into templates/dashboard/_rechecks.html) for the
    user's scope, optionally one campaign and one city (?city=code) or county (?county=code)."""
    region = None
    if request.args.get("county"):
        region = access.get_county_or_404(request.args["county"])
    elif request.args.get("city"):
        region = access.get_city_or_404(request.args["city"])
    campaign = request.args.get("campaign", 0, type=int) or None
    counties = figures.region_counties(region)
    return render("rechecks/_panel.html", "rechecks/_panel.html", region=region,
                  counties=figures.by_county(current_user, campaign, counties),
                  units=figures.by_unit(current_user, campaign, counties),
                  rounds=figures.by_round(current_user, campaign, counties), results=list(RecheckResult))
