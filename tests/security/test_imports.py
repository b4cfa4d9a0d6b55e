"""Seen 8 (issue 11): a hostile XLSX is refused with 不是有效的 Excel 文件 — before openpyxl parses it —
by both importers (checklist and organisation), never with a 500."""
import io
import time

import openpyxl
import pytest
from openpyxl import load_workbook

from inspect_app.documents.xlsx_guard import MAX_ROWS, RejectedWorkbook, check_xlsx
from inspect_app.org.importer import import_workbook
from tests.security.hostile_files import real_xlsx, rewrite_zip

SHEET = "xl/worksheets/sheet1.xml"
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
          b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
          b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')


def bomb() -> bytes:
    """The pen test's file: ~600 KB that inflates to 300 MB (one worksheet of blank space)."""
    return rewrite_zip(real_xlsx(), stream={SHEET: (b" " * (1024 * 1024), 300)})


def content_types_bomb() -> bytes:
    """A 200 MB [Content_Types].xml."""
    return rewrite_zip(real_xlsx(), stream={"[Content_Types].xml": (b" " * (1024 * 1024), 200)})


def many_rows(count: int) -> bytes:
    rows = b"".join(b'<row r="%d"/>' % n for n in range(1, count + 1))
    sheet = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b"<sheetData>" + rows + b"</sheetData></worksheet>")
    return rewrite_zip(real_xlsx(), replace={SHEET: sheet})


HOSTILE = {
    "bomb": (bomb, "解压后超过 50 MB"),
    "content_types": (content_types_bomb, "解压后超过 50 MB"),
    "entities": (lambda: rewrite_zip(real_xlsx(), replace={SHEET: LAUGHS}), "实体声明"),
    "rows": (lambda: many_rows(MAX_ROWS + 1), "超过 100,000 行"),
    "not_a_zip": (lambda: b"PK\x03\x04 this is not a zip", ""),
    "no_workbook_part": (lambda: rewrite_zip(real_xlsx(), replace={"xl/workbook.xml": b""}) .replace(
        b"xl/workbook.xml", b"xl/workbook.xmX"), ""),
}


@pytest.fixture(scope="module")
def hostile():
    return {name: build() for name, (build, _) in HOSTILE.items()}


def test_the_bomb_is_small_on_the_wire_and_refused_from_its_directory(hostile):
    assert len(hostile["bomb"]) < 1024 * 1024
    with pytest.raises(RejectedWorkbook, match="解压后超过 50 MB"):
        check_xlsx(hostile["bomb"])


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_hostile_workbook_is_refused_with_the_chinese_message(hostile, name):
    with pytest.raises(RejectedWorkbook) as refused:
        check_xlsx(hostile[name])
    assert refused.value.message.startswith("文件不是有效的 Excel（.xlsx）文件")
    assert HOSTILE[name][1] in refused.value.message


def test_genuine_workbooks_and_exactly_the_row_limit_pass():
    check_xlsx(real_xlsx([("a", "b")] * 50))
    check_xlsx(many_rows(MAX_ROWS))


def test_openpyxl_parses_with_defusedxml():
    """Defence in depth: even without the pre-check, openpyxl refuses the entity declarations."""
    assert openpyxl.DEFUSEDXML is True
    data = rewrite_zip(real_xlsx(), replace={SHEET: LAUGHS})
    with pytest.raises(Exception) as raised:
        list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    chain, error = [], raised.value
    while error is not None:
        chain.append(type(error).__name__)
        error = error.__cause__ or error.__context__
    assert "EntitiesForbidden" in chain


@pytest.mark.parametrize("name", list(HOSTILE))
def test_org_import_refuses_without_500(world, hostile, name):
    report = import_workbook(hostile[name])
    assert report.errors and report.errors[0].startswith("文件不是有效的 Excel（.xlsx）文件")


@pytest.mark.parametrize("name", ["bomb", "entities", "content_types", "rows"])
def test_both_import_screens_answer_422_with_the_message(client, world, login_as, hostile, name):
    login_as("province")
    org = client.post("/org/import", data={"file": (io.BytesIO(hostile[name]), "组织.xlsx")},
                      content_type="multipart/form-data")
    assert org.status_code == 422 and "不是有效的 Excel" in org.get_data(as_text=True)
    started = time.perf_counter()
    checklist = client.post("/checklists/import", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(hostile[name]), "核查表.xlsx"), "template_id": "0",
                                  "name": "测试核查表", "label": "2025版"})
    assert checklist.status_code == 422 and "不是有效的 Excel" in checklist.get_data(as_text=True)
    print(f"{name}: refused in {time.perf_counter() - started:.3f} s")
