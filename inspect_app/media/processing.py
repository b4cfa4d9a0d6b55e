"""Verify uploaded photos and evidence documents and derive the images we keep.

Everything here is pure: bytes in, values out, no Flask and no storage.
Files are judged by their bytes only, never by name or declared content type.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import re
import struct
import threading
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

import pillow_heif
from PIL import Image, ImageCms, ImageFile
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from inspect_app.documents.workbook import safe_filename
from inspect_app.media.proofs import image_hashes
from inspect_app.rectification.date_rules import beijing_wall_clock

pillow_heif.register_heif_opener()

# A truncated upload must be refused, not silently padded with grey.
ImageFile.LOAD_TRUNCATED_IMAGES = False

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DISPLAY_MAX = 1600
THUMB_MAX = 320
# 60 MP admits every normal phone mode, including the 48 MP (8064x6048) and
# 50 MP (8160x6120) "full resolution" modes, with headroom.  The rarer 108/200 MP
# modes are refused: a non-JPEG image is decoded at full size, and 60 MP RGBA is
# already ~240 MB per worker, which is as much as one upload may cost us.
MAX_PIXELS = 60_000_000
JPEG_QUALITY = 82

MSG_EMPTY = "文件为空，请重新选择"
MSG_TOO_LARGE = "文件超过 20 MB 上限"
MSG_IMAGE_FORMAT = "只能上传 JPEG、PNG、WebP、HEIC、AVIF、GIF 或 TIFF 格式的照片"
#: A combined evidence upload (整改进展) that is neither an accepted photo nor an accepted document.
MSG_EVIDENCE_FORMAT = "只能上传照片（JPEG、PNG、WebP、HEIC、AVIF、GIF、TIFF）或 PDF、Word（.docx）、Excel（.xlsx）文件"
MSG_IMAGE_CORRUPT = "照片文件已损坏或不完整，请重新拍摄或选择"
MSG_IMAGE_TOO_MANY_PIXELS = "照片像素过多（超过 6000 万像素），请调低相机分辨率后重新拍摄"
MSG_DOCUMENT_FORMAT = "只能上传 PDF、Word（.docx）或 Excel（.xlsx）文件"
MSG_DOCUMENT_LEGACY = (
    MSG_DOCUMENT_FORMAT + "。旧版 .doc / .xls 文件请先在 Word 或 Excel 中“另存为” .docx / .xlsx 后再上传"
)
MSG_DOCUMENT_CORRUPT = "文件已损坏或不完整，请重新选择"
MSG_ENCRYPTED = "文件设置了打开密码，请取消密码后再上传"
MSG_PDF_ACTIVE = "PDF 文件含有脚本（JavaScript）或启动程序的动作，不能作为佐证材料；请用“打印为 PDF”重新生成后再上传"
MSG_MACROS = "Office 文件含有宏，不能作为佐证材料；请另存为不含宏的 .docx / .xlsx 后再上传"
MSG_BUSY = "服务器正在处理其他照片，请稍后重试"
MSG_DISK_FULL = "服务器存储空间已满，文件未能保存，请联系系统管理员；已填写的内容仍保留在本页"

MIME_PDF = "application/pdf"
MIME_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MIME_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# HEVC-coded HEIF brands.  "mif1"/"msf1" alone are not enough: AVIF uses them too.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
# AV1-coded HEIF (AVIF): still images and sequences (the first frame is kept), decoded by Pillow's own
# AVIF plugin (Pillow ≥ 11.3 wheels carry libavif).
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*")
_GIF_SIGNATURES = (b"GIF87a", b"GIF89a")

# A PDF action that runs code or another program, and the names under which one hides.
_PDF_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/Launch"})
_PDF_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch"})
# The same names as raw tokens (after #xx escapes are decoded), for the fast path of _verify_pdf.
_PDF_ACTIVE_TOKEN = re.compile(rb"/(?:JS|JavaScript|Launch)(?=[\s/<>\[\]()%{}]|$)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# The directory-entry name of an encrypted Office file (MS-OFFCRYPTO): UTF-16LE in the OLE2 directory.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_TAG_ORIENTATION = 0x0112
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_OFFSET_TIME_ORIGINAL = 0x9011

_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class RejectedUpload(Exception):
    """An upload we refuse; ``message`` is Chinese and shown to the user as-is.

    ``retry_after`` (seconds) is set when trying again later will help (503 busy)."""

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None) -> None:
        """Carry the user-facing ``message`` and the HTTP ``status`` to answer with."""
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


# Decoding a 60 MP image costs ~240 MB; twelve at once took a worker from 388 MB to 2.2 GB (issue 11,
# seen 15). At most this many decodes run at once per process; the others wait a few seconds, then
# are told to retry (503). Set by create_app from IMAGE_DECODE_CONCURRENCY / IMAGE_DECODE_WAIT_SECONDS.
_decode_slots = threading.BoundedSemaphore(2)
_decode_wait_seconds = 5.0


def configure_decoding(concurrency: int, wait_seconds: float) -> None:
    """Bound concurrent image decodes in this process to ``concurrency`` (≥ 1); a decode that finds
    no free slot within ``wait_seconds`` is refused with 503 and Retry-After."""
    global _decode_slots, _decode_wait_seconds
    _decode_slots = threading.BoundedSemaphore(max(1, int(concurrency)))
    _decode_wait_seconds = float(wait_seconds)


@contextlib.contextmanager
def decode_slot():
    """Hold one of the process's image-decode slots; RejectedUpload(503) when none frees in time."""
    slots = _decode_slots
    if not slots.acquire(timeout=_decode_wait_seconds):
        raise RejectedUpload(MSG_BUSY, status=503, retry_after=max(1, round(_decode_wait_seconds)))
    try:
        yield
    finally:
        slots.release()


def clean_filename(name: str | None, default: str = "文件") -> str:
    """The client's file name made safe to show and to keep (≤ 200 UTF-8 bytes, extension kept).

    Only the last path part is kept (``../../etc/passwd.jpg`` → ``passwd.jpg``, ``C:\\x\\a.pdf`` →
    ``a.pdf``); bidi controls (a right-to-left override makes ``\u202egpj.exe`` read like a JPEG) and
    other control and format characters are dropped; reserved Windows names get a ``_`` (``CON.jpg``
    → ``_CON.jpg``); see :func:`inspect_app.documents.workbook.safe_filename`. Never empty.
    """
    text = str(name or "")
    text = re.split(r"[/\\]", text)[-1]
    return safe_filename(text, default=default)


@dataclass(frozen=True)
class ProcessedImage:
    """A verified photo: its identity, its metadata and the two derived JPEGs."""

    sha256: str
    mime: str
    width: int
    height: int
    taken_at: datetime | None
    gps_lat: float | None
    gps_lon: float | None
    display: bytes
    thumb: bytes
    display_size: tuple[int, int]
    thumb_size: tuple[int, int]
    # Perceptual hashes of the thumbnail (media.proofs.image_hashes), 16 hex digits each.
    phash: str | None = None
    dhash: str | None = None


def sniff_kind(data: bytes) -> Literal["image", "document"] | None:
    """Guess from the leading bytes whether ``data`` is meant as a photo or a document.

    Only a routing hint for a combined evidence upload: the caller must still
    call :func:`process_image` or :func:`verify_document`, which do the real
    checking.  Returns ``None`` for anything that is neither.
    """
    if _image_format(data) is not None:
        return "image"
    if data.startswith(b"%PDF-") or data.startswith(b"PK\x03\x04") or data.startswith(_OLE2_SIGNATURE):
        return "document"
    return None


def evidence_kind(data: bytes) -> Literal["image", "document"]:
    """Route one file of a combined evidence upload (photos and documents in one field): "image"
    or "document" from its leading bytes, else :class:`RejectedUpload` with a message naming
    every accepted photo and document format (an empty file: ``MSG_EMPTY``).  The caller still
    calls :func:`process_image` or :func:`verify_document`."""
    _check_size(data)
    kind = sniff_kind(data)
    if kind is None:
        raise RejectedUpload(MSG_EVIDENCE_FORMAT)
    return kind


def process_image(data: bytes) -> ProcessedImage:
    """Verify an uploaded photo and build its display image and thumbnail.

    Raises :class:`RejectedUpload` for an empty, oversized, unsupported,
    corrupt or truncated file, or one with too many pixels.  The derived JPEGs
    are upright (EXIF orientation applied), in sRGB (an embedded colour profile
    is converted, see :func:`to_srgb`) and carry no metadata at all.
    """
    _check_size(data)
    detected = _image_format(data)
    if detected is None:
        raise RejectedUpload(MSG_IMAGE_FORMAT)
    pil_format, mime = detected
    with decode_slot():
        return _process_image(data, pil_format, mime)


def _process_image(data: bytes, pil_format: str, mime: str) -> ProcessedImage:
    image, original_size = _decode(data, pil_format)
    try:
        exif = image.getexif()
    except Exception:
        exif = Image.Exif()
    # For HEIC, libheif has already applied the authoritative irot/imir boxes and
    # pillow_heif reset this tag to 1, so nothing is rotated twice.
    orientation = _orientation(exif)
    taken_at = _taken_at(exif)
    gps_lat, gps_lon = _gps(exif)

    width, height = original_size
    if orientation in (5, 6, 7, 8):
        width, height = height, width

    icc = image.info.get("icc_profile")
    # CMYK stays CMYK until its profile has turned it into RGB (a naive convert shifts every colour).
    display = image if image.mode == "CMYK" and icc else _normalise_mode(image)
    target = _fit(original_size, DISPLAY_MAX)
    if display.size != target:
        display = display.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    # Converted after the reduction: a transform of the 1600 px image costs a fraction of the original's.
    display = _flatten(_normalise_mode(to_srgb(display, icc)))
    # Rotating after the reduction costs a fraction of rotating the original.
    if orientation in _TRANSPOSE_FOR_ORIENTATION:
        display = display.transpose(_TRANSPOSE_FOR_ORIENTATION[orientation])

    # Pillow's JPEG writer falls back to info["comment"], and resize/transpose
    # copy info over, so a COM marker would otherwise survive.
    display.info = {}

    thumb_target = _fit(display.size, THUMB_MAX)
    thumb = display if display.size == thumb_target else display.resize(
        thumb_target, Image.Resampling.LANCZOS, reducing_gap=2.0
    )

    # Of the 320 px thumbnail: the same upright sRGB picture, hashed in ~10 ms instead of ~500 ms for
    # the 1600 px image (the hashes reduce to 32×32 and 9×8 pixels anyway; measured equal on pug.heic).
    phashes = image_hashes(thumb)
    return ProcessedImage(
        sha256=hashlib.sha256(data).hexdigest(),
        mime=mime,
        width=width,
        height=height,
        taken_at=taken_at,
        gps_lat=gps_lat,
        gps_lon=gps_lon,
        display=_encode_jpeg(display),
        thumb=_encode_jpeg(thumb),
        display_size=display.size,
        thumb_size=thumb.size,
        # Of the upright sRGB thumbnail, so that a rotated or re-profiled copy hashes alike.
        phash=phashes[0],
        dhash=phashes[1],
    )


def verify_document(data: bytes, filename: str) -> tuple[str, str]:
    """Check an evidence document and return its ``(mime, extension)``.

    Accepts PDF, Word .docx and Excel .xlsx, recognised from the bytes alone;
    ``filename`` is the client's name for the file and is deliberately never
    used to decide (a renamed file is judged by what it is).  The extension is
    returned without a dot.  Raises :class:`RejectedUpload` otherwise.
    """
    del filename
    _check_size(data)
    if data.startswith(b"%PDF-"):
        _verify_pdf(data)
        return MIME_PDF, "pdf"
    if data.startswith(_OLE2_SIGNATURE):
        # Word and Excel wrap an encrypted .docx/.xlsx in an OLE2 file holding "EncryptedPackage";
        # telling its owner to 另存为 would be wrong advice.
        if _ENCRYPTED_PACKAGE in data:
            raise RejectedUpload(MSG_ENCRYPTED)
        raise RejectedUpload(MSG_DOCUMENT_LEGACY)
    if data.startswith(b"PK\x03\x04"):
        return _verify_ooxml(data)
    raise RejectedUpload(MSG_DOCUMENT_FORMAT)


def _check_size(data: bytes) -> None:
    if not data:
        raise RejectedUpload(MSG_EMPTY)
    if len(data) > MAX_UPLOAD_BYTES:
        raise RejectedUpload(MSG_TOO_LARGE, status=413)


def _image_format(data: bytes) -> tuple[str, str] | None:
    """Return (Pillow format id, mime) for the image types we accept, from magic bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG", "image/jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "PNG", "image/png"
    if len(data) >= 12 and data[0:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP", "image/webp"
    if data[:6] in _GIF_SIGNATURES:
        return "GIF", "image/gif"        # an animation keeps its first frame
    if data[:4] in _TIFF_SIGNATURES:
        return "TIFF", "image/tiff"      # a multi-page file keeps its first page
    if len(data) >= 16 and data[4:8] == b"ftyp":
        box_size = struct.unpack(">I", data[0:4])[0]
        box_end = min(box_size, len(data), 4096)
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, box_end - 3, 4)}
        if brands & _HEIC_BRANDS:
            return "HEIF", "image/heic"
        if brands & _AVIF_BRANDS:
            return "AVIF", "image/avif"
    return None


def _decode(data: bytes, pil_format: str) -> tuple[Image.Image, tuple[int, int]]:
    """Open, bomb-check and fully decode; JPEGs are decoded at reduced scale.

    Returns the loaded image and the original (header) size.
    """
    try:
        image = Image.open(io.BytesIO(data), formats=[pil_format])
        original_size = image.size
        if original_size[0] < 1 or original_size[1] < 1:
            raise RejectedUpload(MSG_IMAGE_CORRUPT)
        # The header is all Pillow has read so far: refuse bombs before decoding.
        if original_size[0] * original_size[1] > MAX_PIXELS:
            raise RejectedUpload(MSG_IMAGE_TOO_MANY_PIXELS)
        if pil_format == "PNG":
            # verify() checks every chunk CRC; it consumes the image, so reopen.
            image.verify()
            image = Image.open(io.BytesIO(data), formats=[pil_format])
        if pil_format == "JPEG":
            # libjpeg decodes at 1/2, 1/4 or 1/8 scale (DCT scaling) while still
            # reading every byte of scan data, so truncation is still detected.
            image.draft("RGB", _fit(original_size, DISPLAY_MAX))
        image.load()
    except RejectedUpload:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RejectedUpload(MSG_IMAGE_TOO_MANY_PIXELS) from exc
    except Exception as exc:
        # Image parsers fail on hostile or damaged input with every kind of
        # exception (OSError, SyntaxError, ValueError, struct.error, ...).
        raise RejectedUpload(MSG_IMAGE_CORRUPT) from exc
    return image, original_size


def _fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """Scale ``size`` so its long side is at most ``limit``; never enlarge."""
    width, height = size
    scale = limit / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Bring any decoded mode to L, RGB or RGBA so resampling is meaningful."""
    mode = image.mode
    if mode in ("RGB", "L", "RGBA"):
        return image
    if mode in ("LA", "La", "PA", "RGBa") or (mode == "P" and "transparency" in image.info):
        return image.convert("RGBA")
    if mode.startswith("I") or mode == "F":
        # 16-bit (and float) greyscale: scale to 8 bits instead of clipping to white.
        return image.point(lambda value: value / 256).convert("L")
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# The image modes a profile of each ICC colour space can describe.
_MODES_FOR_SPACE = {"RGB": ("RGB", "RGBA"), "CMYK": ("CMYK",), "GRAY": ("L",)}


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """``image`` converted from its embedded ICC profile ``icc`` to sRGB (mode RGB, or RGBA with alpha).

    The served copies carry no profile, and a browser shows an untagged image as sRGB: a Display P3
    (iPhone, Samsung) or Adobe RGB (many cameras) photo whose numbers were not converted looks
    washed out. Relative colorimetric, as colour-managed browsers render. Returns ``image``
    unchanged when there is no profile, the profile cannot be read, or it does not match the mode
    (the photo is still worth keeping).
    """
    if not icc:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = source.profile.xcolor_space.strip()
        if image.mode not in _MODES_FOR_SPACE.get(space, ()):
            return image
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, _SRGB, renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                                         outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _flatten(image: Image.Image) -> Image.Image:
    """Composite transparency onto white: JPEG has no alpha channel."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def _encode_jpeg(image: Image.Image) -> bytes:
    # No exif=, icc_profile= or comment= is passed, so nothing of the original's
    # metadata is written.  Measured on the 1600 px display image: optimize costs
    # ~5 ms and saves ~10 %; progressive saves 2 % more but costs ~25 ms.
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False)
    return buffer.getvalue()


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(_TAG_ORIENTATION, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _taken_at(exif: Image.Exif) -> datetime | None:
    """EXIF DateTimeOriginal as aware UTC; local China time unless an offset is recorded."""
    try:
        sub = exif.get_ifd(_EXIF_IFD)
        raw = sub.get(_TAG_DATETIME_ORIGINAL)
        if not isinstance(raw, str):
            return None
        local = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
        offset = sub.get(_TAG_OFFSET_TIME_ORIGINAL)
        tzinfo = _parse_offset(offset) if isinstance(offset, str) else None
        return local.replace(tzinfo=tzinfo).astimezone(timezone.utc) if tzinfo else beijing_wall_clock(local)
    except Exception:
        # Metadata is a bonus; a malformed date must not cost the user the photo.
        return None


def _parse_offset(text: str) -> timezone | None:
    text = text.strip("\x00 ")
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    sign = 1 if text[0] == "+" else -1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    """Decimal degrees, negative for S and W; ``(None, None)`` if absent or malformed."""
    try:
        gps = exif.get_ifd(_GPS_IFD)
        lat = _degrees(gps.get(2), gps.get(1), "N", "S", 90)
        lon = _degrees(gps.get(4), gps.get(3), "E", "W", 180)
    except Exception:
        return None, None
    if lat is None or lon is None:
        return None, None
    return lat, lon


def _degrees(dms, ref, positive: str, negative: str, limit: float) -> float | None:
    if dms is None or ref is None:
        return None
    ref = ref.strip("\x00 ").upper() if isinstance(ref, str) else ""
    if ref not in (positive, negative):
        return None
    parts = [float(part) for part in dms]
    if len(parts) != 3 or not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    value = parts[0] + parts[1] / 60 + parts[2] / 3600
    if value > limit:
        return None
    return -value if ref == negative else value


def _verify_ooxml(data: bytes) -> tuple[str, str]:
    """Tell a .docx from an .xlsx from any other zip by its package parts."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                raise RejectedUpload(MSG_DOCUMENT_FORMAT)
            info = archive.getinfo("[Content_Types].xml")
            # Guards against a zip bomb hiding in the one part we read.
            if info.file_size > 1024 * 1024:
                raise RejectedUpload(MSG_DOCUMENT_FORMAT)
            content_types = archive.read(info)
    except RejectedUpload:
        raise
    except Exception as exc:
        raise RejectedUpload(MSG_DOCUMENT_CORRUPT) from exc

    # Macros: a VBA project part in any package, or the macro-enabled main types of .docm/.xlsm.
    if any(os.path.basename(name).lower() == "vbaproject.bin" for name in names) \
            or b"macroEnabled" in content_types or b"vbaProject" in content_types:
        raise RejectedUpload(MSG_MACROS)
    # Matching the main-part content type (not just the part name) also turns
    # away templates, which use other types.
    if "word/document.xml" in names and b"wordprocessingml.document.main+xml" in content_types:
        return MIME_DOCX, "docx"
    if "xl/workbook.xml" in names and b"spreadsheetml.sheet.main+xml" in content_types:
        return MIME_XLSX, "xlsx"
    raise RejectedUpload(MSG_DOCUMENT_FORMAT)


def _verify_pdf(data: bytes) -> None:
    """Refuse a PDF that reviewers cannot open (a password to open it) or that runs code.

    An owner password alone (printing or copying restricted) opens with the empty password and is
    accepted. Every object is looked at, compressed object streams included, for JavaScript and
    launch actions (``/JS``, ``/JavaScript``, ``/S /Launch``), wherever they hang (``/OpenAction``,
    ``/AA``, the ``/Names`` tree, annotations). Raises :class:`RejectedUpload`.

    Fast path: a file without object streams and without encryption has every dictionary in plain
    bytes, so when no active name appears in them (escapes decoded) nothing needs parsing. pypdf
    reads about 3,000 objects a second; a scanned report has a few hundred.
    """
    if b"/ObjStm" not in data and b"/Encrypt" not in data:
        plain = _PDF_NAME_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), data)
        if not _PDF_ACTIVE_TOKEN.search(plain):
            return
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
            except Exception:  # noqa: BLE001 - e.g. AES-256 needs a crypto library: its content cannot be checked
                opened = False
            if not opened:
                raise RejectedUpload(MSG_ENCRYPTED)
        objects = [reader.trailer]
        for generation, numbers in reader.xref.items():
            objects += [IndirectObject(number, generation, reader) for number in numbers]
        objects += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
        for reference in objects:
            if _pdf_active(reference.get_object() if isinstance(reference, IndirectObject) else reference):
                raise RejectedUpload(MSG_PDF_ACTIVE)
    except RejectedUpload:
        raise
    except DependencyError as exc:
        # AES encryption that pypdf cannot even try without a crypto library: its content cannot be
        # checked, and a reviewer would most likely be asked for a password.
        raise RejectedUpload(MSG_ENCRYPTED) from exc
    except Exception as exc:  # noqa: BLE001 - a parser fails on damaged input with every kind of error
        raise RejectedUpload(MSG_DOCUMENT_CORRUPT) from exc


def _pdf_active(value, depth: int = 0) -> bool:
    """Whether a PDF object, or a direct object inside it, is a JavaScript or launch action.
    Indirect references are not followed: every indirect object is looked at on its own."""
    if depth > 32:  # deeper nesting is not written by any real producer
        return True
    if isinstance(value, DictionaryObject):
        if _PDF_ACTIVE_KEYS & set(value.keys()) or value.get("/S") in _PDF_ACTIVE_ACTIONS:
            return True
        return any(_pdf_active(item, depth + 1) for item in value.values()
                   if isinstance(item, (DictionaryObject, ArrayObject)))
    if isinstance(value, ArrayObject):
        return any(_pdf_active(item, depth + 1) for item in value
                   if isinstance(item, (DictionaryObject, ArrayObject)))
    return False
