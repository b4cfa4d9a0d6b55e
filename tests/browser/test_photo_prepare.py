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


def tiff_block(ifds: dict) -> bytes:
    """A big-endian TIFF/EXIF block from {"0th"|"Exif"|"GPS": [(tag, type, count, payload bytes)]},
    written by hand so that it can hold what a camera may write and piexifjs cannot read."""
    import struct
    order = ["0th", "Exif", "GPS"]
    sizes = {name: 2 + 12 * (len(ifds[name]) + (2 if name == "0th" else 0)) + 4 for name in order}
    offsets, at = {}, 8
    for name in order:
        offsets[name] = at
        at += sizes[name]
    data = bytearray()
    data_start = at
    tables = {}
    for name in order:
        entries = list(ifds[name])
        if name == "0th":
            entries += [(34665, 4, 1, struct.pack(">L", offsets["Exif"])), (34853, 4, 1, struct.pack(">L", offsets["GPS"]))]
        table = struct.pack(">H", len(entries))
        for tag, kind, count, payload in sorted(entries):
            if len(payload) <= 4:
                value = payload.ljust(4, b"\0")
            else:
                value = struct.pack(">L", data_start + len(data))
                data += payload + (b"\0" if len(payload) % 2 else b"")
            table += struct.pack(">HHL", tag, kind, count) + value
        tables[name] = table + b"\0\0\0\0"
    return b"MM\0*" + struct.pack(">L", 8) + b"".join(tables[n] for n in order) + bytes(data)


def test_a_block_piexifjs_refuses_still_gives_time_place_and_camera(page, tmp_path):
    """A FLOAT-typed tag (TIFF type 11, which piexifjs 1.0.6 cannot read) sends the page to exifr, which
    keeps the evidence tags: camera, time taken, GPS."""
    import struct

    def rationals(*values):
        return b"".join(struct.pack(">LL", round(v * 1000), 1000) for v in values)

    block = tiff_block({
        "0th": [(271, 2, 7, b"Xiaomi\0"), (272, 2, 11, b"M2012K11AG\0")],
        "Exif": [(36867, 2, 20, b"2024:05:07 09:33:04\0"), (36881, 2, 7, b"+08:00\0"),
                 (37380, 11, 1, struct.pack(">f", 0.5))],
        "GPS": [(1, 2, 2, b"N\0"), (2, 5, 3, rationals(30, 37, 39.54)), (3, 2, 2, b"E\0"),
                (4, 5, 3, rationals(119, 44, 19.572))],
    })
    path = tmp_path / "camera.png"
    phone_image()[0].save(path, format="PNG", exif=b"Exif\0\0" + block)
    name, data, _ = resize(page, path)
    carried = Image.open(io.BytesIO(data)).getexif()
    assert name == "camera.jpg"
    assert (carried.get(271), carried.get(272)) == ("Xiaomi", "M2012K11AG")
    assert carried.get_ifd(0x8769).get(0x9003) == "2024:05:07 09:33:04"
    assert carried.get_ifd(0x8769).get(0x9011) == "+08:00"
    gps = carried.get_ifd(0x8825)
    assert gps.get(1) == "N" and [float(v) for v in gps.get(2)] == pytest.approx([30, 37, 39.54])
    assert gps.get(3) == "E" and [float(v) for v in gps.get(4)] == pytest.approx([119, 44, 19.572])
