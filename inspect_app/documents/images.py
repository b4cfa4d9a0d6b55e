"""Photos made small enough for a Word document.

A finding carries 3–10 photos (domain: /work/shared/domain.md §7) and the stored display image is up
to 1600 px; ten of those in a feedback document make it tens of megabytes.  A printed photo 7–8 cm
wide needs no more than 1200 px on its long side (≈ 400 dpi), and JPEG quality 80 keeps it sharp on
paper at a fifth of the size.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

ANNEX_LONG_SIDE = 1200  # px
ANNEX_JPEG_QUALITY = 80


@dataclass(frozen=True)
class DocumentImage:
    """A JPEG ready to embed: its bytes and pixel size."""
    data: bytes
    width: int
    height: int


def document_jpeg(data: bytes, long_side: int = ANNEX_LONG_SIDE, quality: int = ANNEX_JPEG_QUALITY) -> DocumentImage:
    """`data` (any image Pillow opens) turned upright by its EXIF orientation, converted to RGB,
    shrunk so its long side is at most `long_side` px (never enlarged) and saved as a baseline JPEG
    of `quality` without metadata (no GPS or device leaves with the document).

    Raises `PIL.UnidentifiedImageError` (an `OSError`) for bytes that are not an image.
    """
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, optimize=True)
        return DocumentImage(out.getvalue(), image.width, image.height)
