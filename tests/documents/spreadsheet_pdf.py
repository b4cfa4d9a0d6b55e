"""Open a generated workbook the way a WPS / LibreOffice user prints it: LibreOffice converts it to
PDF, pdfplumber reads the words back with their boxes. A small local helper for the spreadsheet
tests (the Word-document tests have their own)."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The LibreOffice binary; skips the test when it is not installed, fails instead when
    REQUIRE_LIBREOFFICE=1 (as .ci/run sets after installing it)."""
    if SOFFICE is None:
        if os.environ.get("REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice (soffice) is required but not installed")
        pytest.skip("LibreOffice (soffice) is not installed")
    return SOFFICE


def to_pdf(data: bytes, directory: Path, name: str = "sheet.xlsx") -> Path:
    """Convert ``data`` (an .xlsx) to PDF with a private LibreOffice profile under ``directory``."""
    soffice = require_soffice()
    source = directory / name
    source.write_bytes(data)
    profile = (directory / "lo-profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(directory), str(source)], check=True, capture_output=True, timeout=180)
    return source.with_suffix(".pdf")


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


def words(pdf_path: Path) -> tuple[list[Word], list[tuple[float, float]]]:
    """Every word of the PDF (pdfplumber boxes, points from the page top) and each page's size."""
    found, sizes = [], []
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            sizes.append((float(page.width), float(page.height)))
            for w in page.extract_words(x_tolerance=1.5, y_tolerance=1.5, extra_attrs=["size"]):
                found.append(Word(number, w["text"], w["x0"], w["x1"], w["top"], w["bottom"], w["size"]))
    return found, sizes


def page_texts(pdf_path: Path) -> list[str]:
    """Each page's text with all white space removed (CJK text has none of its own)."""
    with pdfplumber.open(pdf_path) as pdf:
        return ["".join((page.extract_text() or "").split()) for page in pdf.pages]


def overlapping_lines(found: list[Word], tolerance: float = 0.5) -> list[tuple[Word, Word]]:
    """Pairs of words on different lines of the same page and column whose boxes overlap vertically:
    text printed over other text, as a row too short for its wrapped text does."""
    clashes = []
    by_page: dict[int, list[Word]] = {}
    for w in found:
        by_page.setdefault(w.page, []).append(w)
    for page_words in by_page.values():
        page_words.sort(key=lambda w: w.top)
        for i, a in enumerate(page_words):
            for b in page_words[i + 1:]:
                if b.top >= a.bottom - tolerance:
                    break
                same_line = abs(a.top - b.top) <= tolerance
                shared_x = min(a.x1, b.x1) - max(a.x0, b.x0)
                if not same_line and shared_x > tolerance:
                    clashes.append((a, b))
    return clashes
