"""Photo upload and serving routes: real files, idempotency, bad input leaving no trace, access."""
import os

import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.visits.models import Answer, VisitStatus
from tests.media import images
from tests.visits import factories as f


def stored_files(app):
    root = app.config["UPLOAD_FOLDER"]
    return [n for _, _, names in os.walk(root) for n in names]


def photo_count():
    return db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one()


def upload(client, url, data, key=None, **extra):
    import io
    form = {"uuid": key or f.new_uuid(), "photo": (io.BytesIO(data), "photo.jpg"), **extra}
    return client.post(url, data=form, content_type="multipart/form-data")


def test_upload_real_camera_jpeg(client, login_as, setup, app):
    visit, finding, _ = setup
    login_as("inspector8")
    response = upload(client, f"/media/findings/{finding.id}/photos", images.camera_jpeg())
    assert response.status_code == 200
    data = response.get_json()
    photo = db.session.get(Attachment, data["id"])
    assert f'/media/{photo.id}/thumb' in data["html"] and data["gallery"] == f"gallery-finding-{finding.id}"
    assert (photo.width, photo.height) == (3000, 4000) and photo.stage.value == "before"
    assert photo.gps_lon == pytest.approx(images.LON_NORTH_EAST) and photo.taken_at is not None
    assert len(stored_files(app)) == 3  # display, thumbnail and the photo as received (issue 11)
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "photo.upload")).scalar_one()


def test_upload_heic(client, login_as, setup):
    _, finding, _ = setup
    login_as("inspector8")
    response = upload(client, f"/media/findings/{finding.id}/photos", images.heic(size=(800, 600)))
    assert response.status_code == 200
    assert db.session.get(Attachment, response.get_json()["id"]).mime == "image/heic"


def test_same_photo_uuid_twice(client, login_as, setup):
    _, finding, _ = setup
    login_as("inspector8")
    key = f.new_uuid()
    first = upload(client, f"/media/findings/{finding.id}/photos", images.jpeg(), key)
    second = upload(client, f"/media/findings/{finding.id}/photos", images.jpeg(), key)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    assert photo_count() == 1


@pytest.mark.parametrize("kind, status, message", [
    ("non-image", 400, "只能上传"),
    ("truncated", 400, "已损坏或不完整"),
    ("bomb", 400, "像素过多"),
    ("over-20mb", 413, "20 MB"),
    ("over-21mb", 413, "20 MB"),
])
def test_bad_files_leave_no_trace(client, login_as, setup, app, kind, status, message):
    _, finding, _ = setup
    data = {"non-image": lambda: images.pdf(),
            "truncated": lambda: images.truncated(images.noisy_jpeg()),
            "bomb": lambda: images.png_bomb(),
            "over-20mb": lambda: images.oversized(),
            "over-21mb": lambda: b"\xff\xd8\xff\xe0" + b"\0" * (22 * 1024 * 1024)}[kind]()
    login_as("inspector8")
    response = upload(client, f"/media/findings/{finding.id}/photos", data)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert photo_count() == 0 and stored_files(app) == []


def test_item_photo_creates_answer_once(client, login_as, setup):
    visit, _, item = setup
    login_as("inspector8")
    answer_key = f.new_uuid()
    url = f"/media/visits/{visit.id}/items/{item.id}/photos"
    assert upload(client, url, images.jpeg(), answer_uuid=answer_key).status_code == 200
    assert upload(client, url, images.jpeg(image=images.quadrants(300, 300)), answer_uuid=answer_key).status_code == 200
    answer = db.session.execute(sa.select(Answer)).scalar_one()
    assert answer.uuid == answer_key and answer.result is None
    assert photo_count() == 2
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert page.count('class="gallery-item"') == 2


def test_upload_forbidden(client, login_as, setup, world):
    visit, finding, item = setup
    for user, status in (("xinye", 403), ("viewer", 403)):
        login_as(user)
        assert upload(client, f"/media/findings/{finding.id}/photos", images.jpeg()).status_code == status
    other = f.make_finding(f.make_visit(f.office_site(world.dancheng), world.users["province"]))
    login_as("inspector8")
    assert upload(client, f"/media/findings/{other.id}/photos", images.jpeg()).status_code == 404
    assert photo_count() == 0


def test_upload_refused_on_submitted_visit(client, login_as, setup):
    visit, finding, item = setup
    visit.status = VisitStatus.SUBMITTED
    db.session.commit()
    login_as("inspector8")
    response = upload(client, f"/media/findings/{finding.id}/photos", images.jpeg())
    assert response.status_code == 409 and "只读" in response.get_json()["error"]
    response = upload(client, f"/media/visits/{visit.id}/items/{item.id}/photos", images.jpeg(),
                      answer_uuid=f.new_uuid())
    assert response.status_code == 409
    assert photo_count() == 0


def test_serving_headers_and_conditional(client, login_as, setup):
    _, finding, _ = setup
    login_as("inspector8")
    photo_id = upload(client, f"/media/findings/{finding.id}/photos", images.jpeg()).get_json()["id"]
    photo = db.session.get(Attachment, photo_id)
    for variant in ("thumb", "display"):
        response = client.get(f"/media/{photo_id}/{variant}")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Cache-Control"] == "private, no-cache"  # issue 11: shared tablets
        assert response.headers["ETag"] == f'"{photo.sha256}"'
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.data[:3] == b"\xff\xd8\xff"
        again = client.get(f"/media/{photo_id}/{variant}", headers={"If-None-Match": f'"{photo.sha256}"'})
        assert again.status_code == 304


def test_county_side_cannot_see_draft_finding_photo(client, login_as, setup, world):
    _, finding, _ = setup
    login_as("inspector8")
    photo_id = upload(client, f"/media/findings/{finding.id}/photos", images.jpeg()).get_json()["id"]
    for user in ("xinye", "xinye-wjw", "tongbai"):
        login_as(user)
        assert client.get(f"/media/{photo_id}/thumb").status_code == 404, user
        assert client.get(f"/media/{photo_id}/display").status_code == 404, user
    login_as("viewer")
    assert client.get(f"/media/{photo_id}/display").status_code == 200
    other = f.make_finding(f.make_visit(f.office_site(world.dancheng), world.users["province"]))
    from inspect_app.media import service
    from inspect_app.media.models import PhotoStage
    other_photo, _ = service.ingest_photo(images.jpeg(), other, world.users["province"], f.new_uuid(),
                                          PhotoStage.BEFORE)
    login_as("inspector8")                                       # not a county of the inspector's team
    assert client.get(f"/media/{other_photo.id}/thumb").status_code == 404
    login_as("viewer")
    client.post("/auth/logout")
    with client.session_transaction() as sess:
        sess.clear()
    assert client.get(f"/media/{photo_id}/thumb").status_code in (302, 401)
