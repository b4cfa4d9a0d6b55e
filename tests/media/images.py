"""Build real image and document files for the media tests (no mocks)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

import openpyxl
import pillow_heif
from docx import Document
from PIL import Image

pillow_heif.register_heif_opener()

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)

# Shanghai, the Bund: 31°14'30.5" N, 121°28'12.25" E.
GPS_NORTH_EAST = {1: "N", 2: (31.0, 14.0, 30.5), 3: "E", 4: (121.0, 28.0, 12.25)}
LAT_NORTH_EAST = 31 + 14 / 60 + 30.5 / 3600
LON_NORTH_EAST = 121 + 28 / 60 + 12.25 / 3600
# Somewhere south and west, to check the signs.
GPS_SOUTH_WEST = {1: "S", 2: (33.0, 51.0, 36.0), 3: "W", 4: (70.0, 30.0, 0.0)}
LAT_SOUTH_WEST = -(33 + 51 / 60 + 36 / 3600)
LON_SOUTH_WEST = -(70 + 30 / 60)


def quadrants(width: int, height: int) -> Image.Image:
    """An RGB image whose quadrants are red (top-left), green (top-right),
    blue (bottom-left) and white (bottom-right), so any rotation or flip shows."""
    image = Image.new("RGB", (width, height), WHITE)
    half_w, half_h = width // 2, height // 2
    image.paste(RED, (0, 0, half_w, half_h))
    image.paste(GREEN, (half_w, 0, width, half_h))
    image.paste(BLUE, (0, half_h, half_w, height))
    return image


def make_exif(
    orientation: int | None = None,
    taken: str | None = None,
    offset: str | None = None,
    gps: dict | None = None,
) -> Image.Exif:
    """An EXIF block with the given orientation, DateTimeOriginal, OffsetTimeOriginal and GPS IFD."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0110] = "Model X secret-serial"
    if orientation is not None:
        exif[0x0112] = orientation
    sub = {}
    if taken is not None:
        sub[0x9003] = taken
    if offset is not None:
        sub[0x9011] = offset
    if sub:
        exif[0x8769] = sub
    if gps is not None:
        exif[0x8825] = dict(gps)
    return exif


def jpeg(
    width: int = 400,
    height: int = 300,
    *,
    exif: Image.Exif | None = None,
    quality: int = 90,
    image: Image.Image | None = None,
) -> bytes:
    """Encode ``image`` (default: quadrants of the given size) as JPEG with optional EXIF."""
    image = image if image is not None else quadrants(width, height)
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format="JPEG", quality=quality, **kwargs)
    return buffer.getvalue()


@lru_cache(maxsize=None)
def camera_jpeg() -> bytes:
    """A 4000x3000 camera JPEG: orientation 6, DateTimeOriginal without offset, GPS N/E."""
    exif = make_exif(orientation=6, taken="2022:07:10 09:30:00", gps=GPS_NORTH_EAST)
    return jpeg(4000, 3000, exif=exif)


@lru_cache(maxsize=None)
def noisy_jpeg(width: int = 1200, height: int = 900) -> bytes:
    """A photographic-ish JPEG (noise over a gradient) whose scan data dominates the file."""
    noise = Image.effect_noise((width, height), 60)
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5)))
    return jpeg(image=image, quality=92)


def jpeg_with_every_kind_of_metadata() -> bytes:
    """A JPEG carrying EXIF with GPS, an ICC profile, XMP and a COM comment."""
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = make_exif(orientation=1, taken="2022:07:10 09:30:00", gps=GPS_NORTH_EAST)
    buffer = io.BytesIO()
    quadrants(2000, 1500).save(
        buffer,
        format="JPEG",
        exif=exif,
        icc_profile=icc,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">TestCam-xmp</x:xmpmeta>',
        comment=b"TestCam comment: inspector phone 13800000000",
    )
    return buffer.getvalue()


def truncated(data: bytes, fraction: float = 0.6) -> bytes:
    """The first ``fraction`` of ``data``, as left by an interrupted upload."""
    return data[: int(len(data) * fraction)]


def png_with_transparency() -> bytes:
    """A 200x100 RGBA PNG: left half fully transparent, right half opaque red."""
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (100, 0, 200, 100))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def palette_png_with_transparency() -> bytes:
    """A 'P' mode PNG whose transparent index must come out white."""
    image = Image.new("P", (64, 64), 0)
    image.putpalette([0, 0, 0, 0, 0, 255] + [0] * (254 * 3))
    image.paste(1, (32, 0, 64, 64))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=0)
    return buffer.getvalue()


def webp(exif: Image.Exif | None = None) -> bytes:
    """A 2000x1000 WebP of quadrants, optionally with EXIF."""
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    quadrants(2000, 1000).save(buffer, format="WEBP", quality=80, **kwargs)
    return buffer.getvalue()


def heic(exif: Image.Exif | None = None, size: tuple[int, int] = (2000, 1500)) -> bytes:
    """A HEIC (HEVC-coded HEIF) of quadrants written by pillow_heif, optionally with EXIF."""
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    quadrants(*size).save(buffer, format="HEIF", quality=80, **kwargs)
    return buffer.getvalue()


def encoded(format: str, mode: str = "RGB", size: tuple[int, int] = (32, 32)) -> bytes:
    """A small real image in any Pillow-writable ``format`` (for the refused ones: GIF, BMP, TIFF...)."""
    buffer = io.BytesIO()
    if mode == "I;16":
        image = Image.new(mode, size, 30000)
    else:
        image = Image.new("RGB", size, (10, 20, 30)).convert(mode)
    image.save(buffer, format=format)
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(width: int = 50000, height: int = 50000) -> bytes:
    """A tiny, well-formed PNG whose IHDR claims ``width`` x ``height`` RGB pixels.

    Its IDAT holds a few bytes only, so decoding it would fail as truncated:
    being refused for its size proves the size was checked before decoding.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def oversized(prefix: bytes = b"\xff\xd8\xff\xe0") -> bytes:
    """More than 20 MB of bytes, starting like a JPEG."""
    return prefix + b"\x00" * (20 * 1024 * 1024 + 1 - len(prefix))


def pdf() -> bytes:
    """A minimal valid one-page PDF."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx() -> bytes:
    """A real .docx written by python-docx."""
    document = Document()
    document.add_paragraph("整改报告")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx() -> bytes:
    """A real .xlsx written by openpyxl."""
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "整改台账"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def docm() -> bytes:
    """The python-docx file relabelled as macro-enabled (.docm) in [Content_Types].xml."""
    source = zipfile.ZipFile(io.BytesIO(docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info)
            if info.filename == "[Content_Types].xml":
                payload = payload.replace(
                    b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
                )
            target.writestr(info, payload)
    return buffer.getvalue()


def plain_zip() -> bytes:
    """An ordinary zip archive that is neither Word nor Excel."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an office document")
    return buffer.getvalue()


def legacy_doc() -> bytes:
    """The start of an OLE2 compound file, as an old Word .doc / Excel .xls begins."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le")


DATA = Path(__file__).resolve().parent.parent / "data"


def real_file(name: str) -> Path:
    """A real camera or program file from tests/data (see its README for origin and licence)."""
    return DATA / name


def phone_jpeg_from_heic(name: str, quality: int = 95) -> bytes:
    """The JPEG a phone writes for the photo in tests/data/``name``: its pixels, its own EXIF block
    (time, GPS, camera; the HEIC's embedded thumbnail IFD dropped, as a JPEG APP1 holds 64 kB) and
    its ICC profile."""
    image = Image.open(real_file(name))
    exif = image.getexif()
    for ifd in (0x8769, 0x8825):
        exif.get_ifd(ifd)   # loaded sub-IFDs are written back by tobytes()
    buffer = io.BytesIO()
    extra = {"icc_profile": image.info["icc_profile"]} if image.info.get("icc_profile") else {}
    image.save(buffer, format="JPEG", quality=quality, exif=exif.tobytes(), **extra)
    return buffer.getvalue()
