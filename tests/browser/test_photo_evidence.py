"""Issue 9, point 4 in Chromium: photos chosen on the visit page go through the real
inspectPhotos.resize (static/js/photo-prepare.js) and keep their evidence value — a phone JPEG over
1 MB and 2560 px keeps its time taken, GPS and file name; transparent areas come out white; the
EXIF orientation of a WebP and of an ImageMagick PNG is applied; the viewer shows time and place."""
import io
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from PIL import Image, ImageChops, ImageOps, ImageStat
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.media import service
from inspect_app.media.models import Attachment
from tests.browser.support import sign_in
from tests.media import images
from tests.visits import factories as f

pytestmark = pytest.mark.browser

# Xiaomi M2012K11AG: DateTimeOriginal 2023:04:27 19:44:18, no offset recorded (so Beijing time),
# GPS 47°13'38.240039" N.
TAKEN_UTC = datetime(2023, 4, 27, 11, 44, 18, tzinfo=timezone.utc)
LAT = 47 + 13 / 60 + 38.240039 / 3600


def served(photo: Attachment) -> Image.Image:
    return Image.open(service.storage().path(photo.display_key)).convert("RGB")


def difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def upright(name: str, size) -> Image.Image:
    return ImageOps.exif_transpose(Image.open(images.real_file(name))).convert("RGB").resize(size)


@pytest.mark.parametrize("viewport", ["portrait", "landscape"])
def test_photos_chosen_on_the_page_keep_their_evidence(live_server, world, password, tmp_path, request, viewport):
    page = request.getfixturevalue(viewport)
    version = f.make_version(n_items=2)
    item = f.items_of(version)[0]
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    phone = tmp_path / "IMG_20230427_194418.jpg"
    phone.write_bytes(images.phone_jpeg_from_heic("xiaomi.heic"))
    assert phone.stat().st_size > 1024 * 1024          # so the browser must shrink it
    files = [phone] + [images.real_file(name) for name in
                       ("transparent.png", "hopper_orientation_6.webp", "exif_imagemagick_orientation.png")]

    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/visits/{visit.id}")
    row = page.locator(f"#item-{item.id}")
    with page.expect_response(lambda r: r.url.endswith(f"/items/{item.id}/photos") and r.request.method == "POST"):
        row.locator("input[data-photo-input]").set_input_files([str(p) for p in files])
    # The offline queue shows each photo at once as a queued thumbnail (data-local-photo) and sends
    # them one by one: wait for the four the server stored, the queued ones gone.
    expect(row.locator(".gallery-item:not([data-local-photo])")).to_have_count(4, timeout=30_000)
    expect(row.locator(".gallery-item[data-local-photo]")).to_have_count(0)

    db.session.expire_all()
    photos = {p.filename: p for p in db.session.execute(sa.select(Attachment)).scalars()}
    assert set(photos) == {"IMG_20230427_194418.jpg", "transparent.jpg", "hopper_orientation_6.jpg",
                           "exif_imagemagick_orientation.jpg"}

    shot = photos["IMG_20230427_194418.jpg"]
    assert shot.taken_at == TAKEN_UTC
    assert shot.gps_lat == pytest.approx(LAT, abs=1e-6) and shot.gps_lon is not None
    assert (shot.width, shot.height) == (2560, 1920) and shot.size_bytes <= 1024 * 1024

    # Transparent areas on white, not black: the PNG's top-left corner is fully transparent.
    for name in ("transparent.jpg",):
        assert min(served(photos[name]).getpixel((2, 2))) >= 245

    # Orientation applied by the page (Chromium's decoder ignores these two tags).
    for stored, original in (("hopper_orientation_6.jpg", "hopper_orientation_6.webp"),
                             ("exif_imagemagick_orientation.jpg", "exif_imagemagick_orientation.png")):
        image = served(photos[stored])
        as_decoded = Image.open(images.real_file(original)).convert("RGB").resize(image.size)
        assert difference(image, upright(original, image.size)) < 6
        assert difference(image, as_decoded) > 3 * difference(image, upright(original, image.size))

    # The viewer says when and where each photo was taken.
    row.locator(f"#photo-{shot.id} .gallery-thumb").click()
    meta = page.locator("#photo-viewer [data-viewer-meta]")
    expect(meta).to_contain_text("拍摄时间 2023-04-27 19:44")
    expect(meta).to_contain_text("位置 47.22729°N")
    page.locator("[data-viewer-next]").click()
    expect(meta).to_have_text("无拍摄时间 · 无位置信息")
    page.screenshot(path=str(tmp_path / "viewer.png"))
    page.locator("[data-viewer-close]").click()
    assert page.errors == []


def test_a_transparent_webp_comes_out_on_white(live_server, portrait, world, password):
    version = f.make_version(n_items=1)
    item = f.items_of(version)[0]
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    sign_in(portrait, live_server, "inspector8", password)
    portrait.goto(f"{live_server}/visits/{visit.id}")
    row = portrait.locator(f"#item-{item.id}")
    with portrait.expect_response(lambda r: r.url.endswith(f"/items/{item.id}/photos")) as response:
        row.locator("input[data-photo-input]").set_input_files(str(images.real_file("transparent.webp")))
    assert response.value.ok
    db.session.expire_all()
    photo = db.session.execute(sa.select(Attachment)).scalar_one()
    original = Image.open(images.real_file("transparent.webp"))
    assert original.getpixel((0, 0))[3] == 0 and photo.filename == "transparent.jpg"
    assert min(served(photo).getpixel((2, 2))) >= 245
