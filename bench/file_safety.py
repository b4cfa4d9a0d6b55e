"""Figures for issue 11's file checks. Reports, never fails.

Run:  python bench/file_safety.py

1. The storage cost of keeping each photo as received: for real camera photos (tests/data), the
   browser's downscale (long side 2560 px, JPEG quality 0.85, as static/js/photo-prepare.js does;
   approximated here with Pillow) is what reaches the server and is now kept as the original, next
   to the display copy and thumbnail the app derives.
2. The pen test's XLSX bomb (~600 KB inflating to 300 MB) and a 200 MB content-types part: seconds
   and peak memory (RSS growth) until `check_xlsx` refuses them.
3. PDF checks: seconds to verify a real PDF and to refuse one with JavaScript.
4. Twelve parallel decodes of a 59.5 MP PNG in one process, with IMAGE_DECODE_CONCURRENCY 2 and
   with 12 (as before the bound): peak RSS of a fresh interpreter each.
"""
from __future__ import annotations

import io
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from PIL import Image  # noqa: E402
from pypdf.actions import JavaScript  # noqa: E402

from inspect_app.documents.xlsx_guard import RejectedWorkbook, check_xlsx  # noqa: E402
from inspect_app.media.processing import RejectedUpload, process_image, verify_document  # noqa: E402
from tests.security.hostile_files import pdf_with, real_pdf, real_xlsx, rewrite_zip  # noqa: E402

DATA = REPO_ROOT / "tests" / "data"


def browser_downscale(path: Path) -> bytes:
    image = Image.open(path)
    image = image.convert("RGB")
    image.thumbnail((2560, 2560), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    print("1. Keeping the photo as received")
    totals = [0, 0]
    for name in ("pug.heic", "xiaomi.heic", "xmp_test.jpg", "empty_icc.heic"):
        original = browser_downscale(DATA / name)
        processed = process_image(original)
        derived = len(processed.display) + len(processed.thumb)
        totals[0] += len(original)
        totals[1] += derived
        print(f"   {name:16} original {len(original):>9,} B   display+thumb {derived:>9,} B   "
              f"storage ×{(len(original) + derived) / derived:.2f}")
    print(f"   mean: original {totals[0] / 4:,.0f} B per photo; storage per photo "
          f"{totals[1] / 4:,.0f} → {(totals[0] + totals[1]) / 4:,.0f} B (×{(totals[0] + totals[1]) / totals[1]:.2f})")

    print("2. Hostile workbooks")
    sheet = "xl/worksheets/sheet1.xml"
    for label, build in (("300 MB bomb", lambda: rewrite_zip(real_xlsx(), stream={sheet: (b" " * 2**20, 300)})),
                         ("200 MB [Content_Types].xml",
                          lambda: rewrite_zip(real_xlsx(), stream={"[Content_Types].xml": (b" " * 2**20, 200)})),
                         ("49 MB sheet, 99,000 rows (the worst that passes the size check, scanned)",
                          lambda: rewrite_zip(real_xlsx(), replace={sheet: b"<worksheet><sheetData>" + b"".join(
                              b'<row r="%d"><c><v>%s</v></c></row>' % (n, b"9" * 470) for n in range(1, 99_001))
                              + b"</sheetData></worksheet>"})),
                         ("101,000 empty rows", lambda: rewrite_zip(real_xlsx(), replace={sheet: b"<worksheet><sheetData>"
                          + b"".join(b'<row r="%d"/>' % n for n in range(1, 101_001)) + b"</sheetData></worksheet>"}))):
        data = build()
        before = rss_mb()
        started = time.perf_counter()
        try:
            check_xlsx(data)
            verdict = "accepted"
        except RejectedWorkbook as refused:
            verdict = refused.message
        print(f"   {label}: {len(data):,} B on the wire, checked in {time.perf_counter() - started:.4f} s, "
              f"peak RSS +{rss_mb() - before:.1f} MB — {verdict}")

    print("3. PDF checks")
    for label, data in (("real PDF (crazyones.pdf)", real_pdf()),
                        ("PDF with JavaScript", pdf_with(lambda w: w.add_open_action(JavaScript("app.alert(1)"))))):
        started = time.perf_counter()
        try:
            verify_document(data, "x.pdf")
            verdict = "accepted"
        except RejectedUpload as refused:
            verdict = refused.message
        print(f"   {label}: {time.perf_counter() - started:.4f} s — {verdict}")

    print("4. Twelve parallel 59.5 MP PNG decodes in one process")
    for slots in (2, 12):
        out = subprocess.run([sys.executable, __file__, "--decode", str(slots)], capture_output=True, text=True)
        print(f"   IMAGE_DECODE_CONCURRENCY={slots}: {out.stdout.strip() or out.stderr.strip()[-300:]}")


def parallel_decodes(slots: int) -> None:
    """Child process of section 4: peak RSS before and after twelve threads decode one PNG."""
    import threading

    from inspect_app.media import processing
    buffer = io.BytesIO()
    Image.new("RGB", (8920, 6670), (90, 140, 60)).save(buffer, format="PNG")  # 59.5 MP
    data = buffer.getvalue()
    processing.configure_decoding(slots, 600)
    before = rss_mb()
    started = time.perf_counter()
    threads = [threading.Thread(target=processing.process_image, args=(data,)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"peak RSS {before:.0f} → {rss_mb():.0f} MB, {time.perf_counter() - started:.1f} s for 12 photos")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--decode":
        parallel_decodes(int(sys.argv[2]))
    else:
        main()
