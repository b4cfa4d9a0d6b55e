"""The item page shows when and where each photo was taken (issue 9): the before/after comparison and
the progress posts say 拍摄时间 and 位置 from the photo's EXIF, or 无拍摄时间 / 无位置信息."""
import io
import re
import uuid

import pytest

from inspect_app.extensions import db
from inspect_app.media import processing, storage
from inspect_app.media.models import Attachment, AttachmentKind, PhotoStage
from inspect_app.rectification.lifecycle import Status
from tests.conftest import HX
from tests.media import images
from tests.rectification.factories import make_item, wjw

# The issue's Android photo: taken 2024-05-07 09:33:04 +08:00 at 30.62765 N 119.73877 E.
ISSUE_GPS = {1: "N", 2: (30.0, 37.0, 39.54), 3: "E", 4: (119.0, 44.0, 19.572)}


def issue_photo() -> bytes:
    exif = images.make_exif(taken="2024:05:07 09:33:04", offset="+08:00", gps=ISSUE_GPS)
    return images.jpeg(640, 480, exif=exif)


def section(html: str, section_id: str) -> str:
    """The text of one section of the page, tags removed (values sit in their own spans)."""
    return re.sub(r"<[^>]+>", "", html.split(f'id="{section_id}"')[1].split("</section>")[0])


def test_before_after_and_progress_show_time_and_place(client, world, login_as, app):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    bare = processing.process_image(images.noisy_jpeg())     # no EXIF at all
    keys = storage.store_processed(storage.FileStorage(app.config["UPLOAD_FOLDER"]), bare)
    db.session.add(Attachment(uuid=str(uuid.uuid4()), kind=AttachmentKind.PHOTO, stage=PhotoStage.BEFORE,
                              county_id=world.xinye.id, finding_id=item.finding_id, sha256=bare.sha256,
                              mime="image/jpeg", display_key=keys["display"], thumb_key=keys["thumb"],
                              uploaded_by_id=world.users["inspector8"].id))
    db.session.commit()
    login_as("xinye-wjw")
    response = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                           data={"version": "1", "text": "已整改", "files": [(io.BytesIO(issue_photo()), "现场.jpg")]})
    assert response.status_code == 200

    html = client.get(f"/items/{item.id}").get_data(as_text=True)
    compare = section(html, "before-after")
    before, after = compare.split("整改后", 1)
    assert "无拍摄时间" in before and "无位置信息" in before
    assert "拍摄时间 2024-05-07 09:33" in after and "位置 30.62765°N 119.73877°E" in after
    posts = section(html, "progress-posts")
    assert "照片：现场.jpg" in posts and "拍摄时间 2024-05-07 09:33" in posts and "位置 30.62765°N 119.73877°E" in posts


@pytest.mark.parametrize(("lat", "lon", "expected"), [
    (30.627651, 119.738769, "位置 30.62765°N 119.73877°E"),
    (-33.86, -70.5, "位置 33.86000°S 70.50000°W"),
    (None, None, "无位置信息"),
    (30.6, None, "无位置信息"),
])
def test_position_label(lat, lon, expected):
    assert Attachment(gps_lat=lat, gps_lon=lon).capture_labels[1] == expected


def test_time_label_is_beijing_time():
    from datetime import datetime, timezone
    taken = datetime(2024, 5, 7, 1, 33, 4, tzinfo=timezone.utc)
    assert Attachment(taken_at=taken).capture_labels[0] == "拍摄时间 2024-05-07 09:33"
    assert Attachment().capture_labels[0] == "无拍摄时间"
