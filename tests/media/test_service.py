"""ingest_photo: verify → store → record, all or nothing, idempotent on the client UUID."""
import os

import pytest
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.media import service
from inspect_app.media.models import Attachment, PhotoStage
from inspect_app.media.processing import RejectedUpload
from tests.media import images
from tests.visits import factories as f


def stored_files(app) -> list[str]:
    root = app.config["UPLOAD_FOLDER"]
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names)


@pytest.fixture
def finding(app, world):
    import shutil
    shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)
    f.make_version(n_items=4)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    return f.make_finding(visit)


def test_ingest_stores_two_files_and_one_row(app, world, finding):
    photo, created = service.ingest_photo(images.camera_jpeg(), finding, world.users["inspector8"], f.new_uuid(),
                                          PhotoStage.BEFORE, filename="IMG_0001.JPG")
    assert created and photo.finding_id == finding.id and photo.county_id == finding.county_id
    assert photo.width == 3000 and photo.height == 4000             # EXIF orientation 6 applied
    assert photo.gps_lat == pytest.approx(images.LAT_NORTH_EAST)
    assert stored_files(app) == sorted([photo.display_key, photo.thumb_key, photo.original_key])


def test_same_uuid_twice_creates_once(app, world, finding):
    key = f.new_uuid()
    first, created1 = service.ingest_photo(images.jpeg(), finding, world.users["inspector8"], key, PhotoStage.BEFORE)
    second, created2 = service.ingest_photo(images.jpeg(), finding, world.users["inspector8"], key, PhotoStage.BEFORE)
    assert (created1, created2) == (True, False) and first.id == second.id
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one() == 1


def test_uuid_of_another_owner_is_refused(app, world, finding):
    key = f.new_uuid()
    service.ingest_photo(images.jpeg(), finding, world.users["inspector8"], key, PhotoStage.BEFORE)
    other = f.make_finding(finding.visit)
    with pytest.raises(RejectedUpload) as refused:
        service.ingest_photo(images.jpeg(), other, world.users["inspector8"], key, PhotoStage.BEFORE)
    assert refused.value.status == 409


@pytest.mark.parametrize("data", [b"not an image at all", images.truncated(images.noisy_jpeg()), images.png_bomb()],
                         ids=["non-image", "truncated", "bomb"])
def test_rejected_file_leaves_nothing(app, world, finding, data):
    with pytest.raises(RejectedUpload):
        service.ingest_photo(data, finding, world.users["inspector8"], f.new_uuid(), PhotoStage.BEFORE)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one() == 0
    assert stored_files(app) == []


def test_failed_insert_removes_the_files_it_stored(app, world, finding, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")
    monkeypatch.setattr(service, "record", broken)
    with pytest.raises(RuntimeError):
        service.ingest_photo(images.jpeg(), finding, world.users["inspector8"], f.new_uuid(), PhotoStage.BEFORE)
    assert stored_files(app) == []
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one() == 0


def test_failed_insert_keeps_files_of_an_earlier_identical_photo(app, world, finding, monkeypatch):
    photo, _ = service.ingest_photo(images.jpeg(), finding, world.users["inspector8"], f.new_uuid(), PhotoStage.BEFORE)
    before = stored_files(app)
    monkeypatch.setattr(service, "record", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        service.ingest_photo(images.jpeg(), finding, world.users["inspector8"], f.new_uuid(), PhotoStage.BEFORE)
    assert stored_files(app) == before
