"""Views of the media package: photo upload for findings and checklist items, and access-checked
serving of thumbnails and display images (never from a public static folder)."""
from flask import abort, current_app, jsonify, render_template, request, send_file
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from inspect_app import access
from inspect_app.access import SIGNED_IN, Permission
from inspect_app.audit import security
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.media import bp, service
from inspect_app.media.models import Attachment, PhotoStage
from inspect_app.media.processing import MSG_EMPTY, RejectedUpload
from inspect_app.visits import service as visits
from inspect_app.visits.models import Finding

MSG_NO_UUID = "缺少照片编号，请刷新页面后重试"


def _refuse(message: str, status: int, retry_after: int | None = None):
    response = jsonify(error=message)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response, status


def _request_too_large():
    """The whole request is over MAX_CONTENT_LENGTH (a single photo over 20 MB is refused by
    processing with its own message)."""
    from inspect_app import request_limit_mb
    return _refuse(f"本次上传的内容合计超过 {request_limit_mb(current_app)} MB 上限，请分几次上传", 413)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """A body over MAX_CONTENT_LENGTH is refused before the view runs (the CSRF check reads the
    form first); uploads still get their JSON answer."""
    return _request_too_large()


def _read_upload():
    """(client uuid, uploaded file) of the request, or an error response (413 for an oversized body)."""
    try:
        upload = request.files.get("photo")
        client_uuid = visits.clean_uuid(request.form.get("uuid"))
    except RequestEntityTooLarge:
        return None, None, _request_too_large()
    if client_uuid is None:
        return None, None, _refuse(MSG_NO_UUID, 400)
    if upload is None:
        return None, None, _refuse(MSG_EMPTY, 400)
    return client_uuid, upload, None


def _ingest(owner, client_uuid, upload, stage: PhotoStage, gallery_id: str, check_editable):
    """Answer a retry with the photo it created; otherwise check the owner may still change, then
    ingest. JSON with the thumbnail's HTML, or {"error": Chinese message} with its status."""
    try:
        if service.existing_photo(client_uuid, owner) is None:
            check_editable()
        photo, _created = service.ingest_photo(upload.read(), owner, current_user, client_uuid, stage,
                                               filename=upload.filename or "")
    except RejectedUpload as rejected:
        return _refuse(rejected.message, rejected.status, rejected.retry_after)
    except DomainError as error:
        db.session.rollback()
        return _refuse(error.message, error.status)
    html = render_template("media/_thumb.html", photo=photo)
    return jsonify(id=photo.id, uuid=photo.uuid, gallery=gallery_id, html=html)


@bp.post("/findings/<int:finding_id>/photos")
@access.rule(Permission.VISIT_RECORD)
def upload_finding_photo(finding_id):
    """Upload one 整改前 photo of a draft finding (idempotent on the photo's client UUID)."""
    finding = access.get_or_404(Finding, finding_id)
    client_uuid, upload, error = _read_upload()
    if error:
        return error
    return _ingest(finding, client_uuid, upload, PhotoStage.BEFORE, f"gallery-finding-{finding.id}",
                   lambda: visits.ensure_finding_editable(finding))


@bp.post("/visits/<int:visit_id>/items/<int:item_id>/photos")
@access.rule(Permission.VISIT_RECORD)
def upload_item_photo(visit_id, item_id):
    """Upload one on-site photo of a checklist item; the item's answer row is created if needed
    (with the answer's client UUID sent as answer_uuid)."""
    visit = visits.load_visit(visit_id)
    item = visits.applicable_item(visit, item_id)
    if item is None:
        abort(404)
    client_uuid, upload, error = _read_upload()
    if error:
        return error
    answer_uuid = visits.clean_uuid(request.form.get("answer_uuid"))
    if answer_uuid is None:
        return _refuse(MSG_NO_UUID, 400)
    try:
        answer = visits.ensure_answer(visit, item, answer_uuid, current_user)
    except DomainError as error:
        db.session.rollback()
        return _refuse(error.message, error.status)
    return _ingest(answer, client_uuid, upload, PhotoStage.OTHER, f"gallery-item-{item.id}",
                   lambda: visits.ensure_editable(visit))


def _serve(attachment_id: int, variant: str):
    photo = db.session.get(Attachment, attachment_id)
    if photo is None or not access.can_see_attachment(current_user, photo):
        abort(404)
    key = photo.thumb_key if variant == "thumb" else photo.display_key
    if not key:
        abort(404)
    # Streamed through this process after the access check, whichever the backend (never a redirect
    # to the bucket: clients may not reach it, and a signed URL would outlive the access decision).
    try:
        stream = service.storage().open(key)
    except (ValueError, FileNotFoundError):
        abort(404)
    security.photo_viewed(photo)
    # A tablet may be shared: the browser keeps the photo but asks every time whether this user may
    # still see it (a 304 when the ETag matches costs no body).
    response = send_file(stream, mimetype="image/jpeg", etag=photo.sha256, conditional=True,
                         last_modified=None)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<int:attachment_id>/thumb")
@access.rule(SIGNED_IN)
def thumb(attachment_id):
    """A photo's thumbnail, for whoever may see what it is attached to (404 otherwise)."""
    return _serve(attachment_id, "thumb")


@bp.get("/<int:attachment_id>/display")
@access.rule(SIGNED_IN)
def display(attachment_id):
    """A photo's display image (≤ 1600 px), for whoever may see what it is attached to."""
    return _serve(attachment_id, "display")
