"""`flask media sweep`: orphaned files are listed (dry run by default) and, with --delete, removed
once older than the grace period; files a row refers to, recent orphans and files of unknown shape
are never touched."""
import hashlib
import os
import time
from datetime import timedelta

import pytest

from inspect_app.extensions import db, utcnow
from inspect_app.media import service, sweep
from inspect_app.media.models import Attachment, AttachmentKind, PhotoStage
from inspect_app.media.storage import document_key, image_keys, sha256_of_key
from tests.media import images
from tests.visits import factories as f

DAY = 24 * 3600


def _files(app) -> set[str]:
    root = app.config["UPLOAD_FOLDER"]
    return {os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/") for d, _, names in os.walk(root)
            for n in names}


def _put(app, key: str, data: bytes, age_seconds: float) -> str:
    path = os.path.join(app.config["UPLOAD_FOLDER"], key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return key


@pytest.fixture
def store(app, world, setup):
    """A referenced photo (two days old), an old orphan photo pair, an old orphan document, a fresh
    orphan, an unfinished write and a file of unknown shape."""
    _visit, finding, _item = setup
    photo, _ = service.ingest_photo(images.jpeg(), finding, world.users["inspector8"], f.new_uuid(),
                                    PhotoStage.BEFORE)
    for key in (photo.display_key, photo.thumb_key, photo.original_key):
        os.utime(os.path.join(app.config["UPLOAD_FOLDER"], key), (time.time() - 2 * DAY,) * 2)
    old = image_keys(hashlib.sha256(b"crashed upload").hexdigest())
    return {
        "referenced": {photo.display_key, photo.thumb_key, photo.original_key},
        "old": {_put(app, old["display"], b"d", 3 * DAY), _put(app, old["thumb"], b"t", 3 * DAY),
                _put(app, document_key(hashlib.sha256(b"doc").hexdigest(), "pdf"), b"%PDF", 2 * DAY)},
        "temporary": {_put(app, "ab/cd/.tmp-k2j3h4", b"half", 2 * DAY)},
        "fresh": {_put(app, image_keys(hashlib.sha256(b"in flight").hexdigest())["display"], b"f", 60)},
        "unknown": {_put(app, "notes/README.txt", b"keep me", 30 * DAY),
                    _put(app, old["display"].replace(".display.", ".original."), b"o", 30 * DAY)},
    }


def test_dry_run_lists_orphans_and_removes_nothing(app, runner, store):
    before = _files(app)
    result = runner.invoke(args=["media", "sweep"])
    assert result.exit_code == 0, result.output
    assert _files(app) == before
    listed = {line.split("\t")[0]: line for line in result.output.splitlines() if "\t" in line}
    assert set(listed) == store["old"] | store["temporary"] | store["fresh"] | store["unknown"]
    assert all("可删除" in listed[k] for k in store["old"] | store["temporary"])
    assert all("宽限期内" in listed[k] for k in store["fresh"])
    assert all("不是本系统命名的文件" in listed[k] and "保留" in listed[k] for k in store["unknown"])
    assert "孤立文件 5 个" in result.output and "未删除任何文件" in result.output


def test_delete_removes_old_orphans_only(app, runner, store):
    result = runner.invoke(args=["media", "sweep", "--delete"])
    assert result.exit_code == 0, result.output
    assert _files(app) == store["referenced"] | store["fresh"] | store["unknown"]
    assert "已删除 4 个" in result.output
    # A shorter grace period reaches the fresh orphan too (one hour is the least the command takes).
    later = sweep.sweep(delete=True, grace=timedelta(seconds=30), now=utcnow())
    assert {f.key for f in later.removed} == store["fresh"]
    assert _files(app) == store["referenced"] | store["unknown"]


def test_a_file_referenced_again_before_removal_is_kept(app, world, setup, store, monkeypatch):
    """The batch saw no row; by the time of removal one refers to the file (an upload reusing the
    same content committed meanwhile): the re-check keeps it."""
    _visit, finding, _item = setup
    original = service.referenced_keys
    orphan = sorted(store["old"])[0]
    committed = []

    def stale_answer(keys):
        seen = original(keys)
        if not committed:  # the upload commits right after the batch was checked
            db.session.add(Attachment(uuid=f.new_uuid(), kind=AttachmentKind.DOCUMENT, county_id=finding.county_id,
                                      finding_id=finding.id, sha256=sha256_of_key(orphan), mime="application/pdf",
                                      file_key=orphan, uploaded_by_id=world.users["inspector8"].id))
            db.session.commit()
            committed.append(orphan)
        return seen

    monkeypatch.setattr(service, "referenced_keys", stale_answer)
    report = sweep.sweep(delete=True, grace=timedelta(hours=24))
    assert orphan in {f.key for f in report.orphans}
    assert orphan not in {f.key for f in report.removed} and orphan in _files(app)
