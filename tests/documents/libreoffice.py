"""Open our DOCX and XLSX files the way WPS and LibreOffice users see them: convert to PDF with
LibreOffice (headless) and read the characters, lines and images back with pdfplumber.

Each conversion uses its own LibreOffice profile (-env:UserInstallation), so tests running in
parallel, or two checkouts on one machine, never share a profile lock. Without `soffice` the tests
skip on a developer machine and fail on CI (CI=true, or REQUIRE_LIBREOFFICE=1): `.ci/run` installs
it, so a missing one there is a broken set-up, not a reason to pass.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest


def soffice() -> str:
    """The soffice command, or skip (locally) / fail (on CI) when LibreOffice is not installed."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    message = "LibreOffice (soffice) is not installed; .ci/run installs libreoffice-writer-nogui"
    if os.environ.get("CI") or os.environ.get("REQUIRE_LIBREOFFICE"):
        pytest.fail(message)
    pytest.skip(message)


def to_pdf(data: bytes, suffix: str, out_dir: Path) -> Path:
    """Write `data` as document<suffix> in `out_dir`, convert it to PDF there, return the PDF."""
    command = soffice()
    out_dir.mkdir(parents=True, exist_ok=True)
    source = out_dir / f"document{suffix}"
    source.write_bytes(data)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        result = subprocess.run(
            [command, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(out_dir), str(source)],
            capture_output=True, timeout=300, check=False)
    pdf = out_dir / "document.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr.decode(errors="replace")
    return pdf


@dataclass
class Line:
    """One printed line: its page (1-based), top (pt from the page top), text, font size and the
    x of its first and last character (pt)."""
    page: int
    top: float
    text: str
    size: float
    x0: float
    x1: float

    @property
    def width(self) -> float:
        """Width in full-width characters (CJK 1, Latin and digits ½)."""
        return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5 for ch in self.text)


@dataclass
class Pdf:
    lines: list[Line]
    page_width: float
    images_per_page: list[int]
    pages: int

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def read_pdf(path: Path) -> Pdf:
    """Characters grouped into lines (same page, same baseline to ½ pt), in reading order, and the
    images placed on each page."""
    lines: list[Line] = []
    images = []
    with pdfplumber.open(path) as pdf:
        width = float(pdf.pages[0].width)
        for number, page in enumerate(pdf.pages, start=1):
            images.append(len(page.images))
            rows: dict[float, list[dict]] = defaultdict(list)
            for char in page.chars:
                key = next((k for k in rows if abs(k - char["bottom"]) < 0.5), char["bottom"])
                rows[key].append(char)
            for key in sorted(rows):
                for chars in _segments(sorted(rows[key], key=lambda c: c["x0"])):
                    text = "".join(c["text"] for c in chars)
                    if not text.strip():
                        continue
                    lines.append(Line(number, round(min(c["top"] for c in chars), 1), text,
                                      round(max(c["size"] for c in chars), 1), chars[0]["x0"], chars[-1]["x1"]))
        pages = len(pdf.pages)
    return Pdf(lines, width, images, pages)


def _segments(chars: list[dict]) -> list[list[dict]]:
    """A baseline's characters split where a gap wider than two characters separates them (the
    cells of a table row, side by side), so that each cell's text reads as its own line."""
    out: list[list[dict]] = []
    for char in chars:
        if out and char["x0"] - out[-1][-1]["x1"] > 2 * char["size"] and out[-1][-1]["text"].strip():
            out.append([char])
        elif out:
            out[-1].append(char)
        else:
            out.append([char])
    return out


def pdf_pages_to_png(pdf: Path, out_dir: Path, dpi: int = 60) -> list[Path]:
    """Render pages with pdftoppm (poppler-utils), for looking at them; [] when it is missing."""
    if shutil.which("pdftoppm") is None:
        return []
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(out_dir / "page")], check=True, timeout=120)
    return sorted(out_dir.glob("page*.png"))
