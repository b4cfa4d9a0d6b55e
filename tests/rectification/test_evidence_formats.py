"""Progress evidence accepts the photo formats the visit screen accepts (issue 14, seen 6): AVIF, GIF,
TIFF, HEIC, WebP, PNG and JPEG, generated here with Pillow; anything else is refused with a message
that names the accepted photo and document formats, never a documents-only message."""
import io

import pytest
import sqlalchemy as sa
from PIL import Image

from inspect_app.extensions import db
from inspect_app.media.models import Attachment, AttachmentKind
from inspect_app.media.processing import MSG_DOCUMENT_FORMAT, MSG_EVIDENCE_FORMAT
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ProgressPost
from tests.conftest import HX
from tests.media import images
from tests.rectification.factories import make_item, wjw


def post(client, item, *named):
    return client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                       data={"version": "1", "text": "已整改",
                             "files": [(io.BytesIO(data), name) for name, data in named]})


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (48, 32), c) for c in ((200, 0, 0), (0, 200, 0))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "mime"), [
    ("现场.avif", images.encoded("AVIF", size=(64, 48)), "image/avif"),
    ("现场.gif", animated_gif(), "image/gif"),
    ("扫描.tif", images.encoded("TIFF", size=(64, 48)), "image/tiff"),
    ("现场.heic", images.heic(size=(64, 48)), "image/heic"),
    ("现场.webp", images.webp(), "image/webp"),
    ("现场.png", images.png_with_transparency(), "image/png"),
    ("现场.jpg", images.camera_jpeg(), "image/jpeg"),
])
def test_every_photo_format_of_the_visit_screen_is_evidence(client, world, login_as, name, data, mime):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    response = post(client, item, (name, data))
    assert response.status_code == 200, response.get_data(as_text=True)
    photo = db.session.execute(sa.select(Attachment)).scalar_one()
    assert photo.kind is AttachmentKind.PHOTO and photo.mime == mime and photo.filename == name
    thumb = client.get(f"/media/{photo.id}/thumb")
    assert thumb.status_code == 200 and thumb.data[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(("name", "data"), [
    ("现场.bmp", images.encoded("BMP")),
    ("图标.ico", images.encoded("ICO")),
    ("说明.txt", "整改说明".encode()),
])
def test_other_files_are_refused_naming_photos_and_documents(client, world, login_as, name, data):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    response = post(client, item, (name, data))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"文件“{name}”未能上传：{MSG_EVIDENCE_FORMAT}" in html
    assert MSG_DOCUMENT_FORMAT not in html
    assert db.session.execute(sa.select(sa.func.count(ProgressPost.id))).scalar_one() == 0


def test_the_form_says_which_formats_it_takes(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    html = client.get(f"/items/{item.id}/actions/post_progress", headers=HX).get_data(as_text=True)
    assert "AVIF、GIF、TIFF" in html and 'accept="image/*,.pdf,.docx,.xlsx"' in html
