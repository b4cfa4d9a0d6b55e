"""Names of every file the app hands out, and the ``Content-Disposition`` header that carries them.

One rule for all downloads (issue 14): a name says *what* the file is and *when* it was made, with
``_`` between the parts, e.g. ``新野县_2022年核查_整改台账_2022-07-25.xlsx``; and the plain-ASCII
fallback that old clients and some mail gateways use says the same in English words and codes,
e.g. ``ledger-411329-2022-07-25.xlsx`` (never an empty ``()_2026-11-30.docx``).

Pure: strings and dates in, strings out.  No Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from .workbook import safe_filename

__all__ = ["DownloadName", "download_name", "content_disposition", "ascii_part"]

_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


@dataclass(frozen=True)
class DownloadName:
    """A download's Chinese file name (``display``) and its plain-ASCII fallback (``ascii``)."""

    display: str
    ascii: str

    def __str__(self) -> str:
        return self.display


def ascii_part(text: str) -> str:
    """``text`` reduced to ASCII letters, digits, ``.`` and ``-`` (accents folded, anything else
    becomes ``-``, runs collapsed, ends trimmed); "" when nothing is left (e.g. all Chinese)."""
    folded = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"-{2,}", "-", _ASCII_UNSAFE.sub("-", folded)).strip("-.")


def _display_part(text: str) -> str:
    # "_" separates the parts, so a part never contains one (nor a path separator or a newline).
    cleaned = re.sub(r"\s+", " ", str(text or "")).replace("_", "-").strip()
    return re.sub(r'[/\\:*?"<>|]', "", cleaned)


def download_name(what: str, what_ascii: str, on: date, ext: str, *, scope: str = "",
                  scope_code: str = "", campaign: str = "", detail: str = "",
                  detail_ascii: str = "") -> DownloadName:
    """The name of a download.

    ``display`` = ``scope_campaign_what_detail_on.ext`` (empty parts left out), made safe for every
    file system by :func:`inspect_app.documents.workbook.safe_filename` (≤ 200 bytes, extension kept).
    ``ascii`` = ``what_ascii-scope_code-detail_ascii-on.ext`` from ASCII parts only.

    ``what`` names the document in Chinese (整改台账); ``what_ascii`` in English (ledger);
    ``on`` is the Beijing date the file stands for (generated, issued); ``scope`` the county, city
    or 全省 and ``scope_code`` its GB/T 2260 code; ``detail`` a further part (问题编号, 讨论稿) with
    ``detail_ascii`` its ASCII form.  ``ext`` without a dot.
    """
    ext = ascii_part(ext).lower() or "bin"
    parts = [_display_part(p) for p in (scope, campaign, what, detail)]
    display = "_".join([p for p in parts if p] + [on.isoformat()])
    fallback = "-".join(p for p in (ascii_part(what_ascii) or "download", ascii_part(scope_code),
                                    ascii_part(detail_ascii), on.isoformat()) if p)
    return DownloadName(safe_filename(f"{display}.{ext}"), f"{fallback[:150]}.{ext}")


def content_disposition(name: DownloadName | str, *, inline: bool = False) -> str:
    """``Content-Disposition`` per RFC 6266 / RFC 5987: ``filename="<ascii>"`` for old clients and
    ``filename*=UTF-8''<percent-encoded display name>``, which browsers and WPS prefer.

    A plain ``str`` is accepted for names that are already what they should be; its fallback is
    its ASCII part, prefixed ``download-`` when that part has no letter (never a bare date)."""
    if isinstance(name, str):
        display = safe_filename(name)
        stem, dot, ext = display.rpartition(".") if "." in display else (display, "", "")
        folded = ascii_part(stem)
        if not re.search(r"[A-Za-z]", folded):
            folded = "-".join(p for p in ("download", folded) if p)
        name = DownloadName(display, f"{folded}.{ascii_part(ext)}" if dot and ascii_part(ext) else folded)
    encoded = quote(name.display, safe="!#$&+-.^_`|~")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{name.ascii}\"; filename*=UTF-8''{encoded}"
