"""The page's photo preparation (static/js/photo-prepare.js behind inspectPhotos.resize) run in
Chromium on files chosen in a file input, without a server: EXIF carried from WebP and PNG, orientation
applied exactly once, small upright JPEGs and HEIC sent as they are."""
import base64
import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from tests.media import images

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ["static/js/app.js", "static/vendor/piexif.js", "static/vendor/exifr.umd.js",
           "static/js/photo-prepare.js", "static/js/photos.js"]


@pytest.fixture
def page(landscape):
    landscape.set_content("<!doctype html><body><input type=file id=photo></body>")
    for path in SCRIPTS:
        landscape.add_script_tag(path=str(ROOT / path))
    return landscape


def resize(page, path: Path) -> tuple[str, bytes, bool]:
    """(name, bytes, whether the very same File came back) of inspectPhotos.resize on `path`."""
    page.set_input_files("#photo", str(path))
    out = page.evaluate("""async () => {
        const file = document.getElementById("photo").files[0];
        const out = await window.inspectPhotos.resize(file);
        const bytes = new Uint8Array(await out.arrayBuffer());
        let text = "";
        for (let i = 0; i < bytes.length; i += 0x8000) { text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)); }
        return {name: out.name, same: out === file, data: btoa(text)};
    }""")
    return out["name"], base64.b64decode(out["data"]), out["same"]


def phone_image(size=(600, 450)) -> tuple[Image.Image, Image.Exif]:
    """The Xiaomi phone photo's pixels (scaled) and its real EXIF block, orientation set to 6."""
    source = Image.open(images.real_file("xiaomi.heic"))
    exif = source.getexif()
    for ifd in (0x8769, 0x8825):
        exif.get_ifd(ifd)
    exif[0x0112] = 6
    return source.convert("RGB").resize(size), exif


def difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_webp_and_png_exif_is_carried_and_orientation_applied_once(page, tmp_path, fmt):
    pixels, exif = phone_image()
    path = tmp_path / f"现场照片.{fmt.lower()}"
    pixels.save(path, format=fmt, exif=exif.tobytes(), **({"quality": 95} if fmt == "WEBP" else {}))
    name, data, _ = resize(page, path)
    out = Image.open(io.BytesIO(data))
    carried = out.getexif()
    assert name == "现场照片.jpg" and out.format == "JPEG"
    assert out.size == (450, 600)                              # turned by orientation 6, once
    assert difference(out, pixels.transpose(Image.Transpose.ROTATE_270)) < 8
    assert carried.get(0x0112) == 1
    assert carried.get_ifd(0x8769).get(0x9003) == "2023:04:27 19:44:18"
    assert carried.get_ifd(0x8825).get(2) == exif.get_ifd(0x8825).get(2)
    assert carried.get(0x0110) == "M2012K11AG"


def test_small_upright_jpeg_is_sent_as_taken(page, tmp_path):
    path = tmp_path / "IMG_2.jpg"
    path.write_bytes(images.jpeg(800, 600, exif=images.make_exif(taken="2024:05:07 09:33:04")))
    name, data, same = resize(page, path)
    assert same and name == "IMG_2.jpg" and data == path.read_bytes()


def test_heic_is_sent_as_it_is(page):
    name, data, same = resize(page, images.real_file("empty_icc.heic"))
    assert same and name == "empty_icc.heic"
    assert data == images.real_file("empty_icc.heic").read_bytes()


def test_jpeg_orientation_is_not_applied_twice(page, tmp_path):
    pixels, exif = phone_image((2700, 2025))                 # > 2560 px: redrawn
    path = tmp_path / "IMG_1.jpg"
    pixels.save(path, format="JPEG", quality=90, exif=exif.tobytes())
    name, data, _ = resize(page, path)
    out = Image.open(io.BytesIO(data))
    assert name == "IMG_1.jpg" and out.size == (1920, 2560)
    assert difference(out, ImageOps.exif_transpose(Image.open(path)).resize(out.size)) < 8
    assert out.getexif().get(0x0112) == 1
