"""Builders of hostile files for the security tests: each starts from a real file (a workbook
openpyxl wrote, a DOCX python-docx wrote, a PDF from pypdf's resources) and changes one thing."""
import io
import zipfile

from openpyxl import Workbook


def real_xlsx(rows=(("区划代码", "名称"),)) -> bytes:
    """A small genuine workbook (openpyxl)."""
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_zip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
                stream: dict[str, tuple[bytes, int]] | None = None) -> bytes:
    """A copy of the zip `data` with parts replaced or added; `stream` writes a part as `chunk` × n
    without holding it in memory (a zip bomb: 300 MB of one byte deflates to ~300 KB)."""
    replace, add, stream = replace or {}, add or {}, stream or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in stream:
                continue
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, content in add.items():
            target.writestr(name, content)
        for name, (chunk, times) in stream.items():
            with target.open(name, "w", force_zip64=True) as part:
                for _ in range(times):
                    part.write(chunk)
    return out.getvalue()


def real_pdf(name: str = "crazyones.pdf") -> bytes:
    """A PDF from tests/data (pypdf's resources, see tests/data/README.md)."""
    from tests.media.images import real_file
    return real_file(name).read_bytes()


def pdf_with(change) -> bytes:
    """The real crazyones.pdf rewritten by pypdf after `change(writer)` (adds JavaScript, an action…)."""
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(real_pdf())))
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
