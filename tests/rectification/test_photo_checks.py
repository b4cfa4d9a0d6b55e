"""照片核验提示 (issue 15): flags on real photos uploaded through the app, shown beside the accept
button (item page and the accept form) and in the 整改台账; they never block the acceptance."""
import io
import uuid
from datetime import datetime, timezone

from openpyxl import load_workbook
from PIL import Image

from inspect_app.documents.workbook import LEDGER_COLUMNS
from inspect_app.extensions import db
from inspect_app.media import service as media_service
from inspect_app.media.models import PhotoStage
from inspect_app.org.models import Site, SitePositionSource
from inspect_app.rectification import photo_checks
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem
from inspect_app.visits.models import Finding
from tests.conftest import HX
from tests.media import images
from tests.media.test_proofs import camera_photo, cropped
from tests.rectification.factories import make_item, wjw

RECORDED = datetime(2022, 7, 10, 2, 0, tzinfo=timezone.utc)     # the finding: 2022-07-10 10:00 Beijing
SITE = (32.52, 112.36)
# 32.52 N, 112.36 E → about 60 m away; 32.565 N → 5.0 km north.
NEAR_GPS = {1: "N", 2: (32.0, 31.0, 13.9), 3: "E", 4: (112.0, 21.0, 36.0)}
FAR_GPS = {1: "N", 2: (32.0, 33.0, 54.0), 3: "E", 4: (112.0, 21.0, 36.0)}


def photo(name="sugarshack.mpo", frame=0, taken="2022:08:01 10:00:00", gps=None) -> bytes:
    """A real 3DS camera frame as the JPEG a phone would send, with its own time taken and GPS."""
    buffer = io.BytesIO()
    camera_photo(name, frame).save(buffer, "JPEG", quality=92, exif=images.make_exif(taken=taken, gps=gps))
    return buffer.getvalue()


def with_exif(data: bytes, taken="2022:08:01 10:00:00", gps=None) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).save(buffer, "JPEG", quality=90, exif=images.make_exif(taken=taken, gps=gps))
    return buffer.getvalue()


def item_with_before(world, before: bytes | None = None, **kw) -> RectificationItem:
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), **kw)
    finding = db.session.get(Finding, item.finding_id)
    finding.created_at = RECORDED
    db.session.commit()
    if before is not None:
        media_service.ingest_photo(before, finding, world.users["inspector8"], str(uuid.uuid4()), PhotoStage.BEFORE,
                                   "整改前.jpg")
    return item


def post_photo(client, item_id: int, data: bytes, name="整改后.jpg"):
    db.session.expire_all()
    version = db.session.get(RectificationItem, item_id).version
    response = client.post(f"/items/{item_id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                           data={"version": str(version), "text": "已整改到位", "files": [(io.BytesIO(data), name)]})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def submitted(item_id: int) -> None:
    item = db.session.get(RectificationItem, item_id)
    item.status = Status.SUBMITTED
    db.session.commit()


def flag_codes(html: str, section_id: str) -> list[str]:
    if f'id="{section_id}"' not in html:
        return []
    part = html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]
    return [chunk.split('"', 1)[0] for chunk in part.split('data-flag="')[1:]]


def ledger_cells(client) -> dict[str, str | None]:
    response = client.get("/items/ledger.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["整改台账"]
    assert [c.value for c in sheet[1]][-1] == "照片核验提示" == LEDGER_COLUMNS[-1]
    return {row[1]: row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_after_photo_that_is_the_before_photo_again_is_shown_beside_accept_and_in_the_ledger(client, world, login_as):
    before = photo()
    item = item_with_before(world, before)
    honest = item_with_before(world, before, description="另一个问题")
    login_as("xinye-wjw")
    post_photo(client, item.id, with_exif(cropped(camera_photo("sugarshack.mpo"))))     # the before photo, cropped
    post_photo(client, honest.id, photo("frozenpond.mpo"))                             # a different photo
    submitted(item.id)
    submitted(honest.id)

    login_as("leader8")
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert flag_codes(page, "photo-checks") == ["same_as_before"]
    assert "整改后照片与整改前照片相同" in page and "与整改前照片 1 是同一张图" in page
    assert 'id="action-accept"' in page                                   # informs, never blocks
    form = client.get(f"/items/{item.id}/actions/accept", headers=HX).get_data(as_text=True)
    assert flag_codes(form, "photo-checks-accept") == ["same_as_before"]
    assert 'id="action-form-submit"' in form
    full_form = client.get(f"/items/{item.id}/actions/accept").get_data(as_text=True)
    assert flag_codes(full_form, "photo-checks-accept") == ["same_as_before"]
    assert 'id="photo-checks"' not in full_form                           # shown once, inside the accept form

    clean = client.get(f"/items/{honest.id}").get_data(as_text=True)
    assert 'id="photo-checks"' not in clean
    assert 'id="photo-checks-accept"' not in client.get(f"/items/{honest.id}/actions/accept", headers=HX).get_data(as_text=True)

    queue = client.get("/items/review").get_data(as_text=True)
    assert queue.count("data-photo-flags=") == 1
    assert queue.split(f'id="review-row-{item.id}"', 1)[1].split("</tr>", 1)[0].count('data-photo-flags="1"') == 1

    cells = ledger_cells(client)
    assert cells[item.number] == "前后照片相同1张"
    assert cells[honest.number] in (None, "")


def test_uploader_and_upload_time_are_shown_with_each_photo(client, world, login_as):
    item = item_with_before(world, photo())
    login_as("xinye-wjw")
    post_photo(client, item.id, photo("frozenpond.mpo"))
    html = client.get(f"/items/{item.id}").get_data(as_text=True)
    compare = html.split('id="before-after"', 1)[1].split("</section>", 1)[0]
    inspector, unit = world.users["inspector8"], world.users["xinye-wjw"]
    assert f"{inspector.display_name}（账号 {inspector.id}）" in compare
    assert f"{unit.display_name}（账号 {unit.id}）" in compare
    assert compare.count("data-photo-upload") == 2


def test_photo_already_used_for_another_item_is_flagged_on_the_later_one_only(client, world, login_as):
    first = item_with_before(world)
    second = item_with_before(world, description="第二个问题")
    evidence = photo("frozenpond.mpo")
    login_as("xinye-wjw")
    post_photo(client, first.id, evidence)
    post_photo(client, second.id, with_exif(cropped(camera_photo("frozenpond.mpo"))))   # a near copy
    checks = photo_checks.check_items([db.session.get(RectificationItem, first.id),
                                       db.session.get(RectificationItem, second.id)])
    assert checks[first.id].flags == []
    assert [f.code for f in checks[second.id].flags] == ["reused"]
    assert first.number in checks[second.id].flags[0].message


def test_photo_far_from_the_site_is_flagged_and_near_one_is_not(client, world, login_as, app):
    item = item_with_before(world)
    site = db.session.get(Site, item.site_id)
    site.latitude, site.longitude, site.position_source = *SITE, SitePositionSource.MANUAL
    db.session.commit()
    login_as("xinye-wjw")
    post_photo(client, item.id, photo(gps=NEAR_GPS))
    assert photo_checks.check_item(db.session.get(RectificationItem, item.id)).flags == []
    post_photo(client, item.id, photo("frozenpond.mpo", gps=FAR_GPS))
    flags = photo_checks.check_item(db.session.get(RectificationItem, item.id)).flags
    assert [f.code for f in flags] == ["far_from_site"]
    assert "5.0 公里" in flags[0].message
    app.config["PHOTO_SITE_MAX_KM"] = 6.0
    try:
        assert photo_checks.check_item(db.session.get(RectificationItem, item.id)).flags == []
    finally:
        app.config["PHOTO_SITE_MAX_KM"] = 1.0


def test_photo_taken_before_the_finding_is_flagged(client, world, login_as):
    item = item_with_before(world)
    login_as("xinye-wjw")
    post_photo(client, item.id, photo(taken="2022:07:10 10:30:00"))                    # after the finding
    assert photo_checks.check_item(db.session.get(RectificationItem, item.id)).flags == []
    post_photo(client, item.id, photo("frozenpond.mpo", taken="2022:07:01 09:00:00"))  # nine days before
    flags = photo_checks.check_item(db.session.get(RectificationItem, item.id)).flags
    assert [f.code for f in flags] == ["taken_before_finding"]


def test_a_photo_from_another_county_with_the_same_bytes_is_found_by_index(client, world, login_as):
    """The exact copy of a photo uploaded earlier in 桐柏县 (a before photo there) is flagged in 新野县."""
    evidence = photo("frozenpond.mpo")
    tongbai = make_item(world, world.tongbai, status=Status.IN_PROGRESS)
    media_service.ingest_photo(evidence, db.session.get(Finding, tongbai.finding_id), world.users["inspector8"],
                               str(uuid.uuid4()), PhotoStage.BEFORE, "桐柏.jpg")
    item = item_with_before(world)
    login_as("xinye-wjw")
    post_photo(client, item.id, evidence)
    flags = photo_checks.check_item(db.session.get(RectificationItem, item.id)).flags
    assert [f.code for f in flags] == ["reused"]
    assert "桐柏县" in flags[0].message and "文件完全相同" in flags[0].message
