"""One photo sent more than once at the same moment (a tablet retrying over a weak connection): every
request answers with the one photo, one row is recorded, and its two files stay on disk — the
losers' clean-up must not take the winner's files, which have the same content and so the same keys.

Real parallel requests (tests/parallel.py), on the SQLite file or on PostgreSQL (TEST_DATABASE_URL).
"""
import io
import os

import pytest
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.visits.models import Answer, AnswerResult
from tests.conftest import HX
from tests.media import images
from tests.parallel import client_for, race
from tests.visits import factories as f


def stored_files(app) -> list[str]:
    root = app.config["UPLOAD_FOLDER"]
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names)


def photo_form(key, **extra):
    data = images.camera_jpeg()
    return lambda: {"uuid": key, "photo": (io.BytesIO(data), "IMG_0001.JPG"), **extra}


@pytest.mark.parametrize("n", [2, 5])
def test_same_finding_photo_at_once_is_one_photo(app, world, setup, n):
    _visit, finding, _item = setup
    key = f.new_uuid()
    tablet = client_for(app, world.users["inspector8"])
    results = race(app, [(tablet, f"/media/findings/{finding.id}/photos", photo_form(key), None)] * n)
    assert [r.status for r in results] == [200] * n, [(r.status, r.body[:200]) for r in results]
    assert {r.body for r in results} == {results[0].body}
    db.session.expire_all()
    photo = db.session.execute(sa.select(Attachment)).scalar_one()
    assert photo.uuid == key and photo.finding_id == finding.id
    assert stored_files(app) == sorted([photo.display_key, photo.thumb_key, photo.original_key])


@pytest.mark.parametrize("n", [2, 5])
def test_same_item_photo_at_once_is_one_photo_and_one_answer(app, world, setup, n):
    visit, _finding, item = setup
    key, answer_key = f.new_uuid(), f.new_uuid()
    tablet = client_for(app, world.users["inspector8"])
    url = f"/media/visits/{visit.id}/items/{item.id}/photos"
    results = race(app, [(tablet, url, photo_form(key, answer_uuid=answer_key), None)] * n)
    assert [r.status for r in results] == [200] * n, [(r.status, r.body[:200]) for r in results]
    assert {r.body for r in results} == {results[0].body}
    db.session.expire_all()
    answer = db.session.execute(sa.select(Answer)).scalar_one()
    photo = db.session.execute(sa.select(Attachment)).scalar_one()
    assert answer.uuid == answer_key and photo.answer_id == answer.id
    assert stored_files(app) == sorted([photo.display_key, photo.thumb_key, photo.original_key])


def test_item_photo_racing_the_answer_never_empties_it(app, world, setup):
    """The first photo of an item creates its (empty) answer row; the answer saved at the same moment
    with the same answer UUID keeps its result and note whichever request wins."""
    visit, _finding, item = setup
    answer_key = f.new_uuid()
    tablet = client_for(app, world.users["inspector8"])
    results = race(app, [
        (tablet, f"/visits/{visit.id}/items/{item.id}/answer",
         {"uuid": answer_key, "result": "nonconforming", "note": "未见文件"}, HX),
        (tablet, f"/media/visits/{visit.id}/items/{item.id}/photos",
         photo_form(f.new_uuid(), answer_uuid=answer_key), None),
    ])
    assert [r.status for r in results] == [200, 200], [(r.status, r.body[:200]) for r in results]
    db.session.expire_all()
    answer = db.session.execute(sa.select(Answer)).scalar_one()
    assert (answer.result, answer.note) == (AnswerResult.NONCONFORMING, "未见文件")


def test_a_racing_retry_with_other_bytes_leaves_no_file(app, world, setup):
    """A retry whose browser shrank the photo again (other bytes, other keys) loses the race: its
    files are removed, only the winner's two remain."""
    _visit, finding, _item = setup
    key = f.new_uuid()
    tablet = client_for(app, world.users["inspector8"])
    url = f"/media/findings/{finding.id}/photos"
    first, second = images.jpeg(800, 600), images.jpeg(640, 480)
    results = race(app, [
        (tablet, url, lambda: {"uuid": key, "photo": (io.BytesIO(first), "a.jpg")}, None),
        (tablet, url, lambda: {"uuid": key, "photo": (io.BytesIO(second), "a.jpg")}, None),
    ])
    assert [r.status for r in results] == [200, 200] and results[0].body == results[1].body
    db.session.expire_all()
    photo = db.session.execute(sa.select(Attachment)).scalar_one()
    assert stored_files(app) == sorted([photo.display_key, photo.thumb_key, photo.original_key])
