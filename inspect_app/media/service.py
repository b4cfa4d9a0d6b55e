"""Ingesting photos: verify and derive (processing), store (storage), record (Attachment) — all or
nothing, idempotent on the client UUID — and reading them back for access-checked serving."""
from __future__ import annotations

import hashlib
import io

import sqlalchemy as sa
from flask import current_app

from inspect_app.audit.service import record
from inspect_app.documents.images import document_jpeg
from inspect_app.documents.official_docx import AnnexPhoto
from inspect_app.extensions import db
from inspect_app.idempotency import create_once
from inspect_app.media.models import Attachment, AttachmentKind, PhotoStage
from inspect_app.media.processing import RejectedUpload, clean_filename, process_image
from inspect_app.media.storage import FileStorage, Storage, document_key, image_keys, sha256_of_key, store_processed

MSG_UUID_TAKEN = "该照片编号已被其他记录使用，请刷新页面后重试"


def storage() -> Storage:
    """The app's photo and document storage: FileStorage at UPLOAD_FOLDER, or with
    STORAGE_BACKEND=s3 the shared bucket (one boto3 client per app, kept in app.extensions)."""
    config = current_app.config
    if config.get("STORAGE_BACKEND", "file") == "s3":
        from inspect_app.media.s3 import S3Storage

        cached = current_app.extensions.get("s3_storage")
        if cached is None:
            cached = current_app.extensions["s3_storage"] = S3Storage.from_config(config)
        return cached
    return FileStorage(config["UPLOAD_FOLDER"])


def existing_photo(client_uuid: str, owner) -> Attachment | None:
    """The photo already uploaded under this UUID (a retry), or None.

    Raises RejectedUpload (409) when the UUID belongs to a photo of another owner."""
    found = db.session.execute(sa.select(Attachment).where(Attachment.uuid == client_uuid)).scalar_one_or_none()
    if found is None:
        return None
    column = _owner_column(owner)
    if column is None or getattr(found, column) != owner.id:
        raise RejectedUpload(MSG_UUID_TAKEN, status=409)
    return found


def _owner_column(owner) -> str | None:
    from inspect_app.rechecks.models import RecheckSample
    from inspect_app.self_inspections.models import SelfAnswer
    from inspect_app.visits.models import Answer, Finding

    if isinstance(owner, Finding):
        return "finding_id"
    if isinstance(owner, Answer):
        return "answer_id"
    if isinstance(owner, SelfAnswer):
        return "self_answer_id"
    if isinstance(owner, RecheckSample):
        return "recheck_sample_id"
    return None


def store_photo_files(processed, original: bytes) -> set[str]:
    """Write a processed photo's display and thumbnail files and `original` (the bytes as received);
    return the keys this call newly wrote (content addressing: a file already there belongs to an
    earlier upload and is never removed)."""
    files = storage()
    keys = set(image_keys(processed.sha256).values())
    already = {key for key in keys if files.exists(key)}
    store_processed(files, processed, original)
    return keys - already


def store_document_file(data: bytes, ext: str) -> tuple[str, str, set[str]]:
    """Write a verified evidence document; returns (sha256, key, keys newly written)."""
    sha = hashlib.sha256(data).hexdigest()
    key = document_key(sha, ext)
    files = storage()
    if files.exists(key):
        return sha, key, set()
    files.put(key, data)
    return sha, key, {key}


def photo_attachment(processed, *, client_uuid: str, stage: PhotoStage, county_id: int, uploader,
                     filename: str, size: int, **owner) -> Attachment:
    """The Attachment row of a processed photo (`owner` is finding_id=, answer_id= or progress_id=)."""
    keys = image_keys(processed.sha256)
    return Attachment(uuid=client_uuid, kind=AttachmentKind.PHOTO, stage=stage, county_id=county_id,
                      sha256=processed.sha256, mime=processed.mime, filename=clean_filename(filename),
                      size_bytes=size, width=processed.width, height=processed.height,
                      taken_at=processed.taken_at, gps_lat=processed.gps_lat, gps_lon=processed.gps_lon,
                      display_key=keys["display"], thumb_key=keys["thumb"], original_key=keys["original"],
                      uploaded_by_id=uploader.id, phash=processed.phash, dhash=processed.dhash,
                      source_finding_id=owner.get("finding_id"), **owner)


def discard_files(keys) -> list[str]:
    """Remove the files under `keys` that no committed row refers to; return the keys removed.

    Called after the commit that deleted their rows (a deleted draft finding) or after a rolled-back
    upload, for the files it wrote. Storage is content-addressed, so one file may serve several rows:
    a file is kept while any attachment refers to it, and kept on any doubt (the database cannot be
    asked, the key is malformed) — `flask media sweep` finds what is left behind later.
    """
    files = storage()
    removed = []
    for key in sorted(k for k in set(keys) if k):
        if _still_referenced(key):
            continue
        try:
            files.delete(key)
        except (OSError, ValueError):
            continue
        removed.append(key)
    return removed


def ingest_photo(data: bytes, owner, uploader, client_uuid: str, stage: PhotoStage,
                 filename: str = "") -> tuple[Attachment, bool]:
    """Verify, derive, store and record one photo of a finding or an answer; returns (photo, created).

    All or nothing: a rejected file stores nothing (RejectedUpload carries the Chinese message and
    the status, 413 for an oversized file); if recording fails, the files this call stored are
    removed again. The same client UUID twice — one after the other or at the same moment — returns
    the first photo; a racing duplicate's files are the winner's (same content, same keys) and stay.
    """
    column = _owner_column(owner)
    if column is None:
        raise ValueError(f"photos cannot be attached to {type(owner).__name__}")
    owner_id = owner.id

    def create() -> Attachment:
        processed = process_image(data)
        written = store_photo_files(processed, data)
        try:
            county_id = owner.county_id if hasattr(owner, "county_id") else owner.visit.county_id
            photo = photo_attachment(processed, client_uuid=client_uuid, stage=stage, county_id=county_id,
                                     uploader=uploader, filename=filename, size=len(data), **{column: owner_id})
            db.session.add(photo)
            db.session.flush()
            record("photo.upload", user=uploader, obj=photo, label=photo.filename or photo.sha256[:12],
                   after={"owner": f"{column}={owner_id}", "stage": stage, "sha256": photo.sha256,
                          "width": photo.width, "height": photo.height})
            db.session.commit()
        except BaseException:
            db.session.rollback()
            discard_files(written)
            raise
        # A file this upload found already there may have been removed meanwhile by a deletion that
        # saw no row yet; writing again is a no-op when the file is there.
        store_photo_files(processed, data)
        return photo

    return create_once(lambda: existing_photo(client_uuid, owner), create)


def _still_referenced(key: str) -> bool:
    """Whether a committed row uses this file; True when in doubt (the database cannot be asked)."""
    try:
        return bool(referenced_keys([key]))
    except Exception:  # noqa: BLE001 - any failure means "do not know", and unknown means keep
        db.session.rollback()
        return True


def referenced_keys(keys: list[str]) -> set[str]:
    """The keys among `keys` that some attachment row refers to (in any of its key columns).

    A stored name carries its content's sha256, which is indexed: the look-up reads the few rows of
    that content instead of scanning the key columns (10⁷ photos a year nationwide)."""
    columns = key_columns()
    shas = {sha256_of_key(key) for key in keys}
    where = [Attachment.sha256.in_(shas - {None})]
    if None in shas:  # a name of another shape: asked for directly (no index; rare)
        others = [key for key in keys if sha256_of_key(key) is None]
        where += [column.in_(others) for column in columns]
    found: set[str] = set()
    for row in db.session.execute(sa.select(*columns).where(sa.or_(*where))):
        found.update(row)
    return found & set(keys)


def key_columns() -> list:
    """Every attachment column that names a stored file (display_key, thumb_key, file_key, …)."""
    return [column for column in Attachment.__table__.c if column.name.endswith("_key")]


def photos_of_findings(finding_ids) -> dict[int, list[Attachment]]:
    """The photos attached to each of `finding_ids` (a merge moves them to the kept finding), in
    upload order. The caller has checked that the user may see those findings."""
    finding_ids = list(finding_ids)
    if not finding_ids:
        return {}
    out: dict[int, list[Attachment]] = {}
    for photo in db.session.execute(sa.select(Attachment).where(
            Attachment.finding_id.in_(finding_ids), Attachment.kind == AttachmentKind.PHOTO)
            .order_by(Attachment.uploaded_at, Attachment.id)).scalars():
        out.setdefault(photo.finding_id, []).append(photo)
    return out


def annex_photo(photo: Attachment, *labels: str) -> AnnexPhoto | None:
    """One photo as a document annex shows it: its display image shrunk for print
    (documents.images.document_jpeg) and captioned with the caller's `labels` (问题编号, site), the
    time taken (EXIF, in Beijing time, or 无拍摄时间) and the GPS position when the photo carried one.
    None when the stored file is missing or unreadable (the document is still made)."""
    try:
        image = document_jpeg(storage().get(photo.display_key or photo.file_key))
    except (OSError, ValueError):
        current_app.logger.warning("photo %s not readable for a document", photo.id)
        return None
    taken, position = photo.capture_labels
    caption = [label for label in labels if label] + [taken]
    if photo.gps_lat is not None and photo.gps_lon is not None:
        caption.append(position)
    return AnnexPhoto(image, caption)


def backfill_hashes(batch_size: int = 200, limit: int | None = None) -> tuple[int, int]:
    """Compute the perceptual hashes (media.proofs.image_hashes) of photos stored without them, from
    each one's stored thumbnail (as at ingest); returns (photos hashed, photos whose file could not be
    read).

    Keyset batches by id, one commit per batch, so it can be stopped and run again (`flask media
    hashes`). A photo whose file is missing keeps no hash and is counted; it is never deleted.
    """
    from PIL import Image

    from inspect_app.media.proofs import image_hashes

    done = missing = 0
    after = 0
    while limit is None or done + missing < limit:
        rows = list(db.session.execute(sa.select(Attachment).where(
            Attachment.kind == AttachmentKind.PHOTO, Attachment.phash.is_(None), Attachment.id > after)
            .order_by(Attachment.id).limit(batch_size)).scalars())
        if not rows:
            break
        for photo in rows:
            after = photo.id
            try:
                with Image.open(io.BytesIO(storage().get(photo.thumb_key or photo.display_key))) as image:
                    photo.phash, photo.dhash = image_hashes(image.convert("RGB"))
                done += 1
            except (OSError, ValueError):
                missing += 1
        db.session.commit()
    return done, missing
