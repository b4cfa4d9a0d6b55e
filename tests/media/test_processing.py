import io
import struct
from datetime import datetime, timezone

import pytest
from PIL import Image, ImageFile, ImageOps

from inspect_app.media import processing
from inspect_app.media.processing import (
    DISPLAY_MAX,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    MIME_DOCX,
    MIME_PDF,
    MIME_XLSX,
    THUMB_MAX,
    ProcessedImage,
    RejectedUpload,
    process_image,
    sniff_kind,
    verify_document,
)

from . import images
from .images import BLUE, GREEN, RED, WHITE

FORMAT_MSG = "只能上传 JPEG、PNG、WebP、HEIC、AVIF、GIF 或 TIFF 格式的照片"
CORRUPT_MSG = "照片文件已损坏或不完整，请重新拍摄或选择"
TOO_LARGE_MSG = "文件超过 20 MB 上限"
DOC_FORMAT_MSG = "只能上传 PDF、Word（.docx）或 Excel（.xlsx）文件"


def close_to(actual, expected, tolerance=40):
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


def jpeg_segments(data: bytes) -> list[int]:
    """Marker bytes of every segment before the image data (SOS)."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length


def assert_stripped(jpeg_bytes: bytes) -> None:
    markers = jpeg_segments(jpeg_bytes)
    # APP0 (JFIF) only: no APP1 (EXIF/XMP), APP2 (ICC/MPF), APP13 (IPTC), COM.
    assert not [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE], [hex(m) for m in markers]
    image = Image.open(io.BytesIO(jpeg_bytes))
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert b"Exif" not in jpeg_bytes and b"TestCam" not in jpeg_bytes


def rejected(data: bytes) -> RejectedUpload:
    with pytest.raises(RejectedUpload) as info:
        process_image(data)
    return info.value


# --- the camera photo ---------------------------------------------------------


@pytest.fixture(scope="module")
def camera() -> ProcessedImage:
    return process_image(images.camera_jpeg())


def test_camera_photo_is_rotated_upright_and_sized(camera):
    assert camera.mime == "image/jpeg"
    assert (camera.width, camera.height) == (3000, 4000)
    assert camera.display_size == (1200, 1600)
    assert camera.thumb_size == (240, 320)
    display = Image.open(io.BytesIO(camera.display))
    thumb = Image.open(io.BytesIO(camera.thumb))
    assert display.size == camera.display_size and thumb.size == camera.thumb_size
    # Orientation 6 = rotate 90° clockwise: the stored top-left (red) lands top-right.
    for image in (display, thumb):
        w, h = image.size
        assert close_to(image.getpixel((w * 3 // 4, h // 4)), RED)
        assert close_to(image.getpixel((w // 4, h // 4)), BLUE)
        assert close_to(image.getpixel((w * 3 // 4, h * 3 // 4)), GREEN)
        assert close_to(image.getpixel((w // 4, h * 3 // 4)), WHITE)


def test_camera_photo_metadata(camera):
    assert camera.taken_at == datetime(2022, 7, 10, 1, 30, tzinfo=timezone.utc)
    assert camera.taken_at.utcoffset().total_seconds() == 0
    assert camera.gps_lat == pytest.approx(images.LAT_NORTH_EAST, abs=1e-9)
    assert camera.gps_lon == pytest.approx(images.LON_NORTH_EAST, abs=1e-9)
    assert camera.gps_lat == pytest.approx(31.2418056, abs=1e-6)


def test_derived_images_carry_no_metadata(camera):
    assert_stripped(camera.display)
    assert_stripped(camera.thumb)


def test_icc_xmp_and_comment_are_stripped_too():
    data = images.jpeg_with_every_kind_of_metadata()
    source = Image.open(io.BytesIO(data))
    assert {"exif", "icc_profile", "xmp", "comment"} <= set(source.info)
    result = process_image(data)
    assert result.gps_lat == pytest.approx(images.LAT_NORTH_EAST)
    for derived in (result.display, result.thumb):
        assert_stripped(derived)
        assert b"13800000000" not in derived and b"xmpmeta" not in derived


def test_sha256_is_of_the_original_bytes_and_stable(camera):
    import hashlib

    data = images.camera_jpeg()
    assert camera.sha256 == hashlib.sha256(data).hexdigest()
    again = process_image(bytes(data))
    assert again.sha256 == camera.sha256
    other = process_image(images.jpeg(400, 300))
    assert other.sha256 != camera.sha256


def test_processed_image_is_frozen(camera):
    with pytest.raises(Exception):
        camera.sha256 = "x"


# --- orientation ----------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_pillows_exif_transpose(orientation):
    # 3200x2400 also exercises the draft path (decoded at 1/2 before resizing).
    for size in ((400, 300), (3200, 2400)):
        data = images.jpeg(*size, exif=images.make_exif(orientation=orientation))
        result = process_image(data)
        expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        swapped = orientation in (5, 6, 7, 8)
        assert (result.width, result.height) == ((size[1], size[0]) if swapped else size)
        display = Image.open(io.BytesIO(result.display)).convert("RGB")
        assert (display.size[0] > display.size[1]) == (expected.size[0] > expected.size[1])
        for fx, fy in ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)):
            got = display.getpixel((int(display.size[0] * fx), int(display.size[1] * fy)))
            want = expected.getpixel((int(expected.size[0] * fx), int(expected.size[1] * fy)))
            assert close_to(got, want), (orientation, size, fx, fy, got, want)


def test_orientation_8_turns_counter_clockwise():
    result = process_image(images.jpeg(800, 600, exif=images.make_exif(orientation=8)))
    display = Image.open(io.BytesIO(result.display))
    assert display.size == (600, 800)
    # Rotate 90° counter-clockwise: the stored top-left (red) lands bottom-left.
    assert close_to(display.getpixel((150, 600)), RED)
    assert close_to(display.getpixel((150, 200)), GREEN)


# --- metadata edge cases --------------------------------------------------------


def test_offset_time_original_is_used_when_present():
    exif = images.make_exif(taken="2023:01:02 23:15:10", offset="-05:00")
    result = process_image(images.jpeg(exif=exif))
    assert result.taken_at == datetime(2023, 1, 3, 4, 15, 10, tzinfo=timezone.utc)


def test_south_west_gps_is_negative():
    result = process_image(images.jpeg(exif=images.make_exif(gps=images.GPS_SOUTH_WEST)))
    assert result.gps_lat == pytest.approx(images.LAT_SOUTH_WEST, abs=1e-9)
    assert result.gps_lon == pytest.approx(images.LON_SOUTH_WEST, abs=1e-9)
    assert result.gps_lat < 0 and result.gps_lon < 0


def test_no_exif_gives_no_metadata_and_small_images_are_not_enlarged():
    result = process_image(images.jpeg(300, 200))
    assert result.taken_at is None and result.gps_lat is None and result.gps_lon is None
    assert result.display_size == (300, 200)
    assert result.thumb_size == (300, 200)


def test_malformed_metadata_is_ignored_not_fatal():
    exif = images.make_exif(taken="0000:00:00 00:00:00", offset="bogus", gps={1: "X", 2: (1.0, 2.0, 3.0)})
    result = process_image(images.jpeg(exif=exif))
    assert result.taken_at is None
    assert (result.gps_lat, result.gps_lon) == (None, None)


def test_bad_offset_falls_back_to_china_time():
    exif = images.make_exif(taken="2022:07:10 09:30:00", offset="+99:00")
    assert process_image(images.jpeg(exif=exif)).taken_at == datetime(2022, 7, 10, 1, 30, tzinfo=timezone.utc)


# --- other accepted formats -----------------------------------------------------


def test_png_transparency_is_composited_on_white():
    result = process_image(images.png_with_transparency())
    assert result.mime == "image/png"
    assert result.display_size == (200, 100)
    display = Image.open(io.BytesIO(result.display))
    assert display.mode == "RGB"
    assert close_to(display.getpixel((50, 50)), WHITE, 10)
    assert close_to(display.getpixel((150, 50)), RED, 10)
    assert_stripped(result.display)


def test_palette_png_transparency_is_white():
    result = process_image(images.palette_png_with_transparency())
    display = Image.open(io.BytesIO(result.display))
    assert close_to(display.getpixel((8, 32)), WHITE, 10)
    assert close_to(display.getpixel((56, 32)), BLUE, 10)


@pytest.mark.parametrize("mode", ["L", "CMYK", "RGBA", "LA", "I;16", "1"])
def test_other_modes_become_plain_jpeg(mode):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    result = process_image(images.encoded(fmt, mode=mode, size=(2400, 100)))
    display = Image.open(io.BytesIO(result.display))
    assert display.mode in ("RGB", "L")
    assert result.display_size == (DISPLAY_MAX, 67)


def test_webp_with_exif():
    exif = images.make_exif(orientation=6, taken="2022:07:10 09:30:00", gps=images.GPS_NORTH_EAST)
    result = process_image(images.webp(exif=exif))
    assert result.mime == "image/webp"
    assert (result.width, result.height) == (1000, 2000)
    assert result.display_size == (800, 1600)
    assert result.thumb_size == (160, 320)
    assert result.gps_lat == pytest.approx(images.LAT_NORTH_EAST)
    assert_stripped(result.display)
    assert_stripped(result.thumb)


def test_heic_is_accepted_with_its_metadata():
    exif = images.make_exif(taken="2022:07:10 09:30:00", gps=images.GPS_SOUTH_WEST)
    data = images.heic(exif=exif)
    assert data[4:12] == b"ftypheic"
    result = process_image(data)
    assert result.mime == "image/heic"
    assert (result.width, result.height) == (2000, 1500)
    assert result.display_size == (1600, 1200)
    assert result.taken_at == datetime(2022, 7, 10, 1, 30, tzinfo=timezone.utc)
    assert result.gps_lat == pytest.approx(images.LAT_SOUTH_WEST)
    assert result.gps_lon == pytest.approx(images.LON_SOUTH_WEST)
    display = Image.open(io.BytesIO(result.display))
    assert close_to(display.getpixel((400, 300)), RED)
    assert_stripped(result.display)


def test_heic_exif_orientation_is_not_applied_twice():
    # In HEIF the irot/imir boxes are authoritative; libheif applies them and
    # pillow_heif resets EXIF orientation to 1, so an EXIF tag alone rotates nothing.
    result = process_image(images.heic(exif=images.make_exif(orientation=6), size=(400, 300)))
    assert (result.width, result.height) == (400, 300)
    display = Image.open(io.BytesIO(result.display))
    assert close_to(display.getpixel((100, 75)), RED)


# --- refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(images.encoded("BMP"), id="bmp"),
        pytest.param(images.encoded("ICO"), id="ico"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', id="svg"),
        pytest.param(b"this is a text file someone named photo.jpg\n", id="text-named-jpg"),
        pytest.param(images.pdf(), id="pdf"),
        pytest.param(images.plain_zip(), id="zip"),
    ],
)
def test_unsupported_formats_are_refused(data):
    error = rejected(data)
    assert error.message == FORMAT_MSG
    assert error.status == 400
    assert str(error) == FORMAT_MSG


def test_empty_file_is_refused():
    error = rejected(b"")
    assert error.status == 400
    assert "为空" in error.message


def test_oversized_file_is_refused_with_413():
    data = images.oversized()
    assert len(data) > MAX_UPLOAD_BYTES
    error = rejected(data)
    assert (error.message, error.status) == (TOO_LARGE_MSG, 413)


def test_truncated_camera_jpeg_is_refused_even_when_draft_decoded():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    error = rejected(images.truncated(images.camera_jpeg(), 0.6))
    assert (error.message, error.status) == (CORRUPT_MSG, 400)


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9, 0.99])
def test_truncated_noisy_jpeg_is_refused(fraction):
    # 1200x900 needs no reduction; the 3600x2700 one is decoded at 1/2 via draft.
    for data in (images.noisy_jpeg(), images.noisy_jpeg(3600, 2700)):
        error = rejected(images.truncated(data, fraction))
        assert error.message == CORRUPT_MSG


def test_truncated_png_webp_and_heic_are_refused():
    for data in (images.png_with_transparency(), images.webp(), images.heic()):
        assert rejected(images.truncated(data, 0.6)).message == CORRUPT_MSG


def test_jpeg_header_with_garbage_is_refused():
    assert rejected(b"\xff\xd8\xff\xe0" + b"garbage" * 100).message == CORRUPT_MSG


def test_png_with_bad_crc_is_refused():
    data = bytearray(images.png_with_transparency())
    data[-20] ^= 0xFF
    assert rejected(bytes(data)).message == CORRUPT_MSG


@pytest.mark.parametrize("size", [(50000, 50000), (9000, 9000)])
def test_pixel_bomb_is_refused_before_decoding(size):
    # 50000² trips Pillow's own DecompressionBombError; 9000² (81 MP) is below
    # Pillow's limit, so only our header check can catch it.  The IDAT is a few
    # bytes, so had either been decoded the message would be the corrupt one.
    data = images.png_bomb(*size)
    assert len(data) < 200
    error = rejected(data)
    assert error.status == 400
    assert "像素过多" in error.message


def test_just_under_the_pixel_limit_is_not_a_bomb():
    # Same tiny IDAT, but few enough pixels: it gets decoded and fails as corrupt.
    assert 5000 * 5000 <= MAX_PIXELS
    assert rejected(images.png_bomb(5000, 5000)).message == CORRUPT_MSG


def test_rejected_upload_defaults_to_400():
    error = RejectedUpload("测试")
    assert (error.message, error.status) == ("测试", 400)


def test_truncated_image_setting_is_still_off_after_import():
    assert processing.ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- documents -------------------------------------------------------------------


def test_pdf_docx_xlsx_are_accepted():
    assert verify_document(images.pdf(), "报告.pdf") == (MIME_PDF, "pdf")
    assert verify_document(images.docx(), "整改报告.docx") == (MIME_DOCX, "docx")
    assert verify_document(images.xlsx(), "台账.xlsx") == (MIME_XLSX, "xlsx")


def test_documents_are_judged_by_bytes_not_name():
    assert verify_document(images.docx(), "scan.pdf") == (MIME_DOCX, "docx")
    assert verify_document(images.xlsx(), "noname") == (MIME_XLSX, "xlsx")
    with pytest.raises(RejectedUpload) as info:
        verify_document(b"just text", "报告.pdf")
    assert info.value.message == DOC_FORMAT_MSG


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(images.plain_zip(), id="plain-zip"),
        pytest.param(b"MZ\x90\x00\x03" + b"\x00" * 100, id="exe"),
        pytest.param(b"<!DOCTYPE html><html><body>hi</body></html>", id="html"),
        pytest.param(images.camera_jpeg(), id="jpeg"),
    ],
)
def test_other_documents_are_refused(data):
    with pytest.raises(RejectedUpload) as info:
        verify_document(data, "file.docx")
    assert info.value.message == DOC_FORMAT_MSG
    assert info.value.status == 400


def test_macro_enabled_docm_is_refused_as_macros():
    """Issue 11: a .docm is refused for what it is — macros — not as an unknown format."""
    with pytest.raises(RejectedUpload) as info:
        verify_document(images.docm(), "file.docx")
    assert "含有宏" in info.value.message and info.value.status == 400


def test_legacy_doc_is_refused_with_a_hint():
    with pytest.raises(RejectedUpload) as info:
        verify_document(images.legacy_doc(), "old.docx")
    assert info.value.message.startswith(DOC_FORMAT_MSG)
    assert "另存为" in info.value.message


def test_corrupt_zip_document_is_refused():
    with pytest.raises(RejectedUpload) as info:
        verify_document(images.truncated(images.docx(), 0.5), "a.docx")
    assert info.value.status == 400
    assert "损坏" in info.value.message


def test_document_size_limits():
    with pytest.raises(RejectedUpload) as info:
        verify_document(images.oversized(b"%PDF-"), "big.pdf")
    assert (info.value.message, info.value.status) == (TOO_LARGE_MSG, 413)
    with pytest.raises(RejectedUpload) as info:
        verify_document(b"", "empty.pdf")
    assert info.value.status == 400


def test_sniff_kind():
    assert sniff_kind(images.camera_jpeg()) == "image"
    assert sniff_kind(images.png_with_transparency()) == "image"
    assert sniff_kind(images.webp()) == "image"
    assert sniff_kind(images.heic(size=(64, 64))) == "image"
    assert sniff_kind(images.pdf()) == "document"
    assert sniff_kind(images.docx()) == "document"
    assert sniff_kind(images.legacy_doc()) == "document"
    assert sniff_kind(images.encoded("GIF", mode="P")) == "image"
    assert sniff_kind(images.encoded("AVIF")) == "image" and sniff_kind(images.encoded("TIFF")) == "image"
    assert sniff_kind(images.encoded("BMP")) is None
    assert sniff_kind(b"hello") is None
    assert sniff_kind(b"") is None


def test_limits_are_as_documented():
    assert MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    assert (DISPLAY_MAX, THUMB_MAX) == (1600, 320)
    assert 48_000_000 < MAX_PIXELS < 100_000_000


# --- AVIF, GIF and TIFF (issue 14, seen 6: the formats the visit screen accepts) --------------------


@pytest.mark.parametrize(("fmt", "mode", "mime"), [
    ("AVIF", "RGB", "image/avif"),
    ("GIF", "P", "image/gif"),
    ("TIFF", "RGB", "image/tiff"),
    ("TIFF", "I;16", "image/tiff"),
    ("TIFF", "CMYK", "image/tiff"),
])
def test_avif_gif_and_tiff_are_accepted(fmt, mode, mime):
    result = process_image(images.encoded(fmt, mode=mode, size=(64, 48)))
    assert result.mime == mime and (result.width, result.height) == (64, 48)
    display = Image.open(io.BytesIO(result.display))
    assert display.format == "JPEG" and display.size == (64, 48)


def test_animated_gif_keeps_its_first_frame():
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((200, 0, 0), (0, 0, 200))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    display = Image.open(io.BytesIO(process_image(buffer.getvalue()).display))
    red, _green, blue = display.convert("RGB").getpixel((20, 15))
    assert red > 150 and blue < 80


def test_tiff_keeps_time_taken_and_gps():
    exif = images.make_exif(taken="2024:05:07 09:33:04", offset="+08:00",
                            gps={1: "N", 2: (30.0, 37.0, 39.54), 3: "E", 4: (119.0, 44.0, 19.572)})
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(buffer, format="TIFF", exif=exif.tobytes())
    result = process_image(buffer.getvalue())
    assert result.taken_at is not None and result.taken_at.isoformat().startswith("2024-05-07T01:33:04")
    assert abs(result.gps_lat - 30.62765) < 1e-4 and abs(result.gps_lon - 119.73877) < 1e-4


def test_avif_that_is_not_an_image_is_corrupt():
    fake = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64
    assert rejected(fake).message == CORRUPT_MSG


def test_evidence_kind_names_every_accepted_format():
    from inspect_app.media.processing import MSG_EVIDENCE_FORMAT, evidence_kind

    assert evidence_kind(images.encoded("AVIF")) == "image" and evidence_kind(images.pdf()) == "document"
    with pytest.raises(RejectedUpload) as refused:
        evidence_kind(images.encoded("BMP"))
    assert refused.value.message == MSG_EVIDENCE_FORMAT
    assert all(name in MSG_EVIDENCE_FORMAT for name in ("JPEG", "PNG", "WebP", "HEIC", "AVIF", "GIF", "TIFF", "PDF",
                                                        "Word", "Excel"))
