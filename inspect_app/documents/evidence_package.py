"""The 整改材料归档 evidence package: one ZIP of an item's or a county's evidence files and photos, a
folder per 问题编号, with an index workbook (整改材料索引.xlsx) that says what each file is.

Pure: plain data and file openers in, a ZIP written to a file object out.  No Flask, no database, so
the same function can run inside a request or as a background job.  Files are copied in chunks from
their openers into the archive, so memory does not grow with the total size of the files; the output
may be unseekable (a pipe, a streamed response), zipfile then writes data descriptors.

ZIP names are UTF-8 with the language-encoding flag (bit 11) set, which zipfile does for any
non-ASCII name; Windows Explorer, 7-Zip, WinRAR, macOS and WPS all read them as Chinese.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Callable, Iterable, Sequence

from .dates import to_china
from .workbook import build_simple_table, safe_filename

__all__ = ["PackageItem", "PackageFile", "INDEX_COLUMNS", "INDEX_NAME", "write_evidence_package"]

#: Columns of the index workbook, in order.
INDEX_COLUMNS: tuple[str, ...] = ("问题编号", "问题", "责任单位", "状态", "文件", "类型", "上传人", "上传时间",
                                  "拍摄时间", "GPS")
INDEX_NAME = "整改材料索引.xlsx"
NO_FILES = "（无佐证材料）"
_INDEX_WIDTHS = {"问题编号": 15, "问题": 36, "责任单位": 14, "状态": 8, "文件": 30, "类型": 10, "上传人": 10,
                 "上传时间": 17, "拍摄时间": 17, "GPS": 22}
_CHUNK = 1024 * 1024
# Already-compressed formats are stored, not deflated again (saves time, not space).
_STORED_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "webp", "gif", "avif", "heic", "docx", "xlsx", "zip"})


@dataclass(frozen=True)
class PackageFile:
    """One file of an item: its name as uploaded (``filename``; the extension it is stored with is
    ``ext``), ``kind`` as shown (整改前照片 / 整改后照片 / 佐证文件), who uploaded it and when (UTC),
    when it was taken (UTC, photos only), its GPS position as text, and ``open()`` giving a binary
    stream of its stored bytes (closed by the writer)."""

    filename: str
    ext: str
    kind: str
    uploader: str
    uploaded_at: datetime | None
    open: Callable[[], BinaryIO]
    taken_at: datetime | None = None
    gps: str = ""
    size: int = 0   # stored bytes, for deciding whether the package is built in the background


@dataclass(frozen=True)
class PackageItem:
    """One rectification item and its files, in the order they go into its folder."""

    number: str
    description: str
    unit: str
    status: str
    files: Sequence[PackageFile]


def _beijing(value: datetime | None) -> datetime | None:
    return to_china(value).replace(tzinfo=None) if value is not None else None


def _folder(number: str, used: set[str]) -> str:
    base = safe_filename(number, default="未编号")
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base}（{n}）", n + 1
    used.add(name.lower())
    return name


def _member_name(file: PackageFile, used: set[str]) -> str:
    """A safe name unique within its folder (case-insensitively, as Windows compares):
    ``整改后照片_现场.jpg``, a second one ``整改后照片_现场（2）.jpg``."""
    ext = (file.ext or "").lower().lstrip(".") or "bin"
    stem = (file.filename or "").rsplit(".", 1)[0] if "." in (file.filename or "") else (file.filename or "")
    stem = safe_filename(f"{file.kind}_{stem}" if stem else file.kind, default=file.kind)[:80]
    name, n = f"{stem}.{ext}", 2
    while name.lower() in used:
        name, n = f"{stem}（{n}）.{ext}", n + 1
    used.add(name.lower())
    return name


def write_evidence_package(out: BinaryIO, items: Iterable[PackageItem], *, title: str,
                           generated_at: datetime) -> dict[str, int]:
    """Write the ZIP to ``out``: ``<问题编号>/<类型>_<文件名>.<ext>`` for every file of every item, and
    ``整改材料索引.xlsx`` (columns ``INDEX_COLUMNS``; one row per file, one row marked 无佐证材料
    for an item without files; times written in Beijing time) at the top level.

    ``title`` heads the index (e.g. 新野县整改材料); ``generated_at`` is UTC and dates the archive's
    entries.  Returns ``{"items": n, "files": n, "bytes": n}`` (bytes of the files before
    compression).  A file whose ``open()`` raises ``OSError`` (missing on disk) is left out and
    its index row says 文件缺失 — an archive with a hole is more use than none.
    """
    stamp = _beijing(generated_at).timetuple()[:6]
    rows: list[dict] = []
    folders: set[str] = set()
    stats = {"items": 0, "files": 0, "bytes": 0}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for item in items:
            stats["items"] += 1
            folder = _folder(item.number, folders)
            common = {"问题编号": item.number, "问题": item.description, "责任单位": item.unit, "状态": item.status}
            if not item.files:
                rows.append({**common, "文件": NO_FILES})
                continue
            used: set[str] = set()
            for file in item.files:
                member = f"{folder}/{_member_name(file, used)}"
                written = _copy_into(archive, member, file, stamp)
                if written is not None:
                    stats["files"] += 1
                    stats["bytes"] += written
                rows.append({**common, "文件": member if written is not None else f"{member}（文件缺失）",
                             "类型": file.kind, "上传人": file.uploader, "上传时间": file.uploaded_at,
                             "拍摄时间": file.taken_at, "GPS": file.gps})
        index = build_simple_table("整改材料索引", INDEX_COLUMNS, rows, title_lines=[f"{title}索引"],
                                   print_header=("", title, _beijing(generated_at).strftime("%Y-%m-%d")),
                                   widths=_INDEX_WIDTHS)
        info = zipfile.ZipInfo(INDEX_NAME, date_time=stamp)
        info.compress_type = zipfile.ZIP_STORED
        archive.writestr(info, index)
    return stats


def _copy_into(archive: zipfile.ZipFile, member: str, file: PackageFile, stamp) -> int | None:
    """Copy one file in chunks into the archive; its size, or None when it cannot be opened."""
    try:
        source = file.open()
    except OSError:
        return None
    info = zipfile.ZipInfo(member, date_time=stamp)
    info.compress_type = zipfile.ZIP_STORED if member.rsplit(".", 1)[-1].lower() in _STORED_EXTENSIONS \
        else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    size = 0
    with source, archive.open(info, "w", force_zip64=True) as target:
        while chunk := source.read(_CHUNK):
            target.write(chunk)
            size += len(chunk)
    return size

