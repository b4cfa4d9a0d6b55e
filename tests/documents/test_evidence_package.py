"""The pure evidence-package builder: folders per 问题编号, safe unique Chinese names with the UTF-8
flag, an index workbook, streaming copies, and a hole (not a failure) for a missing file."""
import io
import tracemalloc
import zipfile
from datetime import datetime, timezone

import openpyxl

from inspect_app.documents.evidence_package import (INDEX_COLUMNS, INDEX_NAME, PackageFile, PackageItem,
                                                     write_evidence_package)

UTC = timezone.utc
NOW = datetime(2022, 7, 25, 6, 3, tzinfo=UTC)   # 14:03 Beijing


def opener(data: bytes):
    return lambda: io.BytesIO(data)


def missing():
    raise FileNotFoundError("gone")


def photo(name, data=b"\xff\xd8\xff jpeg", kind="整改后照片", **kw):
    return PackageFile(filename=name, ext="jpg", kind=kind, uploader="王五", uploaded_at=NOW, open=opener(data), **kw)


def build(items):
    out = io.BytesIO()
    stats = write_evidence_package(out, items, title="新野县整改材料", generated_at=NOW)
    return stats, zipfile.ZipFile(io.BytesIO(out.getvalue()))


def test_folders_names_flag_and_index():
    items = [
        PackageItem("411329-2022-001", "远程心电未联通", "新野县卫健委", "整改中", [
            photo("现场.jpg", kind="整改前照片", taken_at=datetime(2022, 7, 20, 1, 33, tzinfo=UTC),
                  gps="30.62765°N 119.73877°E"),
            photo("现场.jpg"), photo("现场.JPG"), photo("a/b\\c:d*?.jpg"),
            PackageFile("整改方案.pdf", "pdf", "佐证文件", "王五", NOW, opener(b"%PDF-1.4 doc")),
        ]),
        PackageItem("411329-2022-002", "制度未公示", "", "待整改", []),
    ]
    stats, archive = build(items)
    assert stats == {"items": 2, "files": 5, "bytes": 4 * len(b"\xff\xd8\xff jpeg") + len(b"%PDF-1.4 doc")}
    names = archive.namelist()
    assert names[:5] == ["411329-2022-001/整改前照片_现场.jpg", "411329-2022-001/整改后照片_现场.jpg",
                         "411329-2022-001/整改后照片_现场（2）.jpg", "411329-2022-001/整改后照片_abcd.jpg",
                         "411329-2022-001/佐证文件_整改方案.pdf"]
    assert names[-1] == INDEX_NAME
    assert all(info.flag_bits & 0x800 for info in archive.infolist())     # UTF-8 names
    assert archive.read("411329-2022-001/佐证文件_整改方案.pdf") == b"%PDF-1.4 doc"
    assert archive.testzip() is None
    ws = openpyxl.load_workbook(io.BytesIO(archive.read(INDEX_NAME))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "新野县整改材料索引" and rows[1] == INDEX_COLUMNS
    first = dict(zip(INDEX_COLUMNS, rows[2]))
    assert first["文件"] == "411329-2022-001/整改前照片_现场.jpg" and first["类型"] == "整改前照片"
    assert first["拍摄时间"] == datetime(2022, 7, 20, 9, 33) and first["GPS"] == "30.62765°N 119.73877°E"
    assert first["上传时间"] == datetime(2022, 7, 25, 14, 3) and first["上传人"] == "王五"
    assert first["责任单位"] == "新野县卫健委" and first["状态"] == "整改中"
    last = dict(zip(INDEX_COLUMNS, rows[-1]))
    assert last["问题编号"] == "411329-2022-002" and last["文件"] == "（无佐证材料）"


def test_a_missing_file_leaves_a_hole_not_a_failure():
    items = [PackageItem("411329-2022-001", "问题", "单位", "整改中",
                         [PackageFile("丢失.pdf", "pdf", "佐证文件", "王五", NOW, missing), photo("在.jpg")])]
    stats, archive = build(items)
    assert stats["files"] == 1 and "411329-2022-001/佐证文件_丢失.pdf" not in archive.namelist()
    ws = openpyxl.load_workbook(io.BytesIO(archive.read(INDEX_NAME))).active
    assert "411329-2022-001/佐证文件_丢失.pdf（文件缺失）" in [r[4] for r in ws.iter_rows(values_only=True)]


class Chunked(io.RawIOBase):
    """A 40 MB file that exists only as it is read."""

    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        return n


class Sink(io.RawIOBase):
    """An unseekable output that keeps only a count (like a pipe to the client)."""

    def __init__(self):
        self.size = 0

    def writable(self):
        return True

    def write(self, data):
        self.size += len(data)
        return len(data)


def test_memory_does_not_grow_with_the_files_and_output_may_be_unseekable():
    size = 40 * 1024 * 1024
    files = [PackageFile(f"扫描件{n}.pdf", "pdf", "佐证文件", "王五", NOW, lambda: io.BufferedReader(Chunked(size)))
             for n in range(3)]
    sink = Sink()
    tracemalloc.start()
    try:
        stats = write_evidence_package(sink, [PackageItem("411329-2022-001", "问题", "单位", "整改中", files)],
                                       title="新野县整改材料", generated_at=NOW)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats["bytes"] == 3 * size and sink.size > 0
    assert peak < 16 * 1024 * 1024        # 120 MB of files through a few MB of buffers
