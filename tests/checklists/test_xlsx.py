"""XLSX export / import of one checklist version."""

import copy
import io
import zipfile

import openpyxl
import pytest

from inspect_app.checklists.default_template import DEFAULT_TEMPLATE, SITE_KIND_NAMES
from inspect_app.checklists.xlsx import (
    COLUMNS,
    NOT_XLSX_MESSAGE,
    SHEET_TITLE,
    ImportResult,
    RowError,
    export_version,
    import_version,
    template_issues,
)

HEADER = list(COLUMNS)


def row(code="A01", section_code="A", section_title="责任共同体", content="医共体章程经管理委员会审议通过",
        method="查资料", site_kinds="医共体管理办公室、政府部门", photo="否", weight=2, veto="否",
        guidance="查章程文本"):
    return [section_code, section_title, code, content, method, site_kinds, photo, weight, veto, guidance]


def book(rows, header=HEADER, above=(), sheet_title=None):
    """An .xlsx with optional rows above the header, the header, then rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if sheet_title:
        ws.title = sheet_title
    for line in above:
        ws.append(list(line))
    if header is not None:
        ws.append(list(header))
    for line in rows:
        ws.append(list(line))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def only_error(result):
    assert result.template is None
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


# --------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported():
    return export_version(DEFAULT_TEMPLATE)


def test_export_layout(exported):
    wb = openpyxl.load_workbook(io.BytesIO(exported))
    assert wb.sheetnames[0] == SHEET_TITLE
    ws = wb[SHEET_TITLE]
    assert [c.value for c in ws[1]] == HEADER
    assert ws.freeze_panes == "A2"
    n_items = sum(len(s["items"]) for s in DEFAULT_TEMPLATE["sections"])
    assert ws.max_row == n_items + 1
    assert wb.properties.title == DEFAULT_TEMPLATE["name"]
    assert wb.properties.version == "2022版"
    content_col = HEADER.index("核查内容") + 1
    assert ws.cell(2, content_col).alignment.wrap_text
    assert ws.column_dimensions["D"].width > ws.column_dimensions["A"].width


def test_export_uses_chinese_labels(exported):
    ws = openpyxl.load_workbook(io.BytesIO(exported))[SHEET_TITLE]
    rows = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    b01 = rows["B01"]
    assert b01[:3] == ("B", "管理共同体", "B01")
    assert b01[3] == "医共体已完成统一法人登记，取得事业单位法人证书"
    assert b01[4] == "查资料"
    assert b01[5] == "医共体管理办公室、政府部门"
    assert b01[6] == "是"          # 需拍照
    assert b01[7] is None          # 分值: veto items carry no weight
    assert b01[8] == "是"          # 一票否决
    assert rows["B11"][4] == "看现场"
    assert rows["B18"][4] == "访谈"
    assert rows["A01"][7] == 2
    assert {r[4] for r in rows.values()} == {"查资料", "看现场", "访谈"}


def test_export_with_custom_site_kind_names():
    template = copy.deepcopy(DEFAULT_TEMPLATE)
    names = dict(SITE_KIND_NAMES, township_center="中心卫生院", extra_kind="民营医院")
    template["sections"][0]["items"][0]["site_kinds"] = ["township_center", "extra_kind"]
    data = export_version(template, site_kind_names=names)
    ws = openpyxl.load_workbook(io.BytesIO(data))[SHEET_TITLE]
    assert ws.cell(2, 6).value == "中心卫生院、民营医院"
    result = import_version(data, site_kind_names=names)
    assert result.errors == []
    assert result.template["sections"] == template["sections"]


# --------------------------------------------------------------------------
# round trip
# --------------------------------------------------------------------------

def test_round_trip_sections_identical(exported):
    result = import_version(exported)
    assert isinstance(result, ImportResult)
    assert result.errors == []
    assert result.ok
    assert result.template["sections"] == DEFAULT_TEMPLATE["sections"]
    # name and version label travel in the workbook properties, so the whole dict survives
    assert result.template == DEFAULT_TEMPLATE


def test_round_trip_types(exported):
    items = [i for s in import_version(exported).template["sections"] for i in s["items"]]
    assert all(i["weight"] is None or type(i["weight"]) is float for i in items)
    assert all(type(i["photo_required"]) is bool and type(i["veto"]) is bool for i in items)


def test_text_starting_with_equals_is_not_a_formula():
    template = {"name": "t", "version_label": "v", "sections": [{"code": "A", "title": "一", "items": [
        {"code": "A01", "content": "=SUM(1,2) 不是公式", "method": "documents", "site_kinds": ["office"],
         "photo_required": False, "weight": None, "veto": False, "guidance": "=HYPERLINK(\"x\")"},
    ]}]}
    assert import_version(export_version(template)).template == template


def test_import_without_properties_gives_no_name():
    result = import_version(book([row()]))
    assert result.errors == []
    assert result.template["name"] is None and result.template["version_label"] is None
    assert result.template["sections"] == [{
        "code": "A", "title": "责任共同体", "items": [{
            "code": "A01", "content": "医共体章程经管理委员会审议通过", "method": "documents",
            "site_kinds": ["office", "gov_department"], "photo_required": False, "weight": 2.0,
            "veto": False, "guidance": "查章程文本",
        }],
    }]


def test_import_preserves_file_order_not_alphabetical():
    data = book([
        row("B02", "B", "管理共同体"),
        row("A09", "A", "责任共同体"),
        row("B01", "B", "管理共同体"),
        row("A01", "A", "责任共同体"),
    ])
    sections = import_version(data).template["sections"]
    assert [s["code"] for s in sections] == ["B", "A"]
    assert [i["code"] for i in sections[0]["items"]] == ["B02", "B01"]
    assert [i["code"] for i in sections[1]["items"]] == ["A09", "A01"]


def test_import_is_lenient_on_format():
    data = book(
        [
            row("A01", method="onsite", site_kinds="office, gov_department；村卫生室\n乡镇卫生院",
                photo="", veto=None, weight=None, guidance=None),
            [],
            row("A02", section_code=1, weight="1.5", photo=True, veto=" 是 "),
        ],
        header=[" 章节编号 ", *HEADER[1:], "备注"],
        above=[["紧密型县域医共体建设核查表"], []],
        sheet_title="Sheet1",
    )
    result = import_version(data)
    assert result.errors == []
    a, one = result.template["sections"]
    item = a["items"][0]
    assert item["method"] == "onsite"
    assert item["site_kinds"] == ["office", "gov_department", "village_clinic", "township_center"]
    assert item["photo_required"] is False and item["veto"] is False
    assert item["weight"] is None and item["guidance"] == ""
    assert one["code"] == "1"
    second = one["items"][0]
    assert second["weight"] == 1.5 and second["photo_required"] is True and second["veto"] is True


def test_import_columns_in_another_order():
    order = list(reversed(HEADER))
    data = book([list(reversed(row()))], header=order)
    result = import_version(data)
    assert result.errors == []
    assert result.template["sections"][0]["items"][0]["code"] == "A01"


def test_import_prefers_sheet_named_checklist():
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["随便写点什么"])
    ws = wb.create_sheet(SHEET_TITLE)
    ws.append(HEADER)
    ws.append(row())
    out = io.BytesIO()
    wb.save(out)
    assert import_version(out.getvalue()).errors == []


# --------------------------------------------------------------------------
# validation errors, one by one
# --------------------------------------------------------------------------

@pytest.mark.parametrize("index, column", [(0, "章节编号"), (1, "章节名称"), (2, "条目编号"),
                                           (3, "核查内容"), (4, "核查方法"), (5, "适用点位类型")])
def test_required_cells(index, column):
    bad = row("A02")
    bad[index] = "  " if index % 2 else None
    error = only_error(import_version(book([row(), bad])))
    assert error == RowError(3, column, f"第 3 行「{column}」：不能为空")


def test_duplicate_item_code():
    error = only_error(import_version(book([row("A01"), row("A02"), row("A03"), row("A02")])))
    assert error == RowError(5, "条目编号", "第 5 行「条目编号」：“A02”与第 3 行重复")


def test_unknown_method_message_exact():
    rows = [row("A01"), row("A02"), row("A03"), row("A04", method="看资料")]
    error = only_error(import_version(book(rows)))
    assert error.row == 5 and error.column == "核查方法"
    assert error.message == "第 5 行「核查方法」：无法识别“看资料”，应为 查资料、看现场 或 访谈"
    assert str(error) == error.message


def test_unknown_site_kind():
    error = only_error(import_version(book([row(site_kinds="县级医院、卫生所、村卫生室、诊所")])))
    assert error.row == 2 and error.column == "适用点位类型"
    assert error.message.startswith("第 2 行「适用点位类型」：无法识别点位类型“卫生所”、“诊所”，")


def test_site_kind_unknown_to_custom_names():
    names = {"office": "医共体办公室", "clinic": "诊所"}
    assert import_version(book([row(site_kinds="诊所、医共体办公室")]), names).errors == []
    error = only_error(import_version(book([row(site_kinds="县级医院")]), names))
    assert error.message.startswith("第 2 行「适用点位类型」：无法识别点位类型“县级医院”")


def test_site_kind_separators_only():
    error = only_error(import_version(book([row(site_kinds="、、")])))
    assert error == RowError(2, "适用点位类型", "第 2 行「适用点位类型」：不能为空")


def test_non_numeric_weight():
    error = only_error(import_version(book([row(), row("A02", weight="十分")])))
    assert error == RowError(3, "分值", "第 3 行「分值」：“十分”不是有效的数字")


def test_negative_weight():
    error = only_error(import_version(book([row(weight=-2)])))
    assert error == RowError(2, "分值", "第 2 行「分值」：不能为负数（-2）")


@pytest.mark.parametrize("index, column", [(6, "需拍照"), (8, "一票否决")])
def test_yes_no_fields(index, column):
    bad = row()
    bad[index] = "对"
    error = only_error(import_version(book([bad])))
    assert error == RowError(2, column, f"第 2 行「{column}」：无法识别“对”，应为 是 或 否")


def test_section_name_must_be_consistent():
    rows = [row("A01"), row("B01", "B", "管理共同体"), row("A02", section_title="责任共同")]
    error = only_error(import_version(book(rows)))
    assert error == RowError(
        4, "章节名称",
        "第 4 行「章节名称」：章节 A 在第 2 行名为“责任共同体”，此处为“责任共同”，同一章节编号的名称必须一致",
    )


def test_empty_workbook():
    error = only_error(import_version(book([], header=None)))
    assert error == RowError(0, "", "工作簿为空：没有表头，也没有核查条目")


def test_header_only():
    error = only_error(import_version(book([[], []])))
    assert error == RowError(0, "", "没有核查条目：第 1 行表头下方没有数据行")


def test_missing_header_columns_are_named():
    header = [c for c in HEADER if c not in ("核查方法", "分值")]
    rows = [[v for c, v in zip(HEADER, row()) if c in header]]
    error = only_error(import_version(book(rows, header=header)))
    assert error.row == 1 and error.column == ""
    assert error.message.startswith("第 1 行（表头）：缺少列「核查方法」「分值」。表头应依次为 章节编号、")


def test_no_header_at_all():
    error = only_error(import_version(book([row()], header=None)))
    assert error.row == 1 and error.column == ""
    assert error.message.startswith("第 1 行（表头）：未找到表头，第一行应依次为 章节编号、章节名称、")


def test_header_below_title_rows_counts_excel_rows():
    data = book([row(), row("A02", method="看资料")], above=[["核查表"], []])
    error = only_error(import_version(data))
    assert error.row == 5  # title, blank, header on row 3, items on rows 4 and 5
    assert error.message.startswith("第 5 行「核查方法」")


def test_blank_rows_keep_excel_row_numbers():
    error = only_error(import_version(book([row(), [], [], row("A02", weight="x")])))
    assert error.row == 5


@pytest.mark.parametrize("data", [
    b"",
    b"not an excel file at all",
    "章节编号,章节名称\nA,责任共同体\n".encode("utf-8"),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,  # legacy .xls (OLE2)
])
def test_not_xlsx(data):
    result = import_version(data)
    assert result.template is None
    assert result.errors == [RowError(0, "", NOT_XLSX_MESSAGE)]
    assert NOT_XLSX_MESSAGE == "文件不是有效的 Excel（.xlsx）文件"


def test_zip_that_is_not_xlsx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    assert import_version(out.getvalue()).errors == [RowError(0, "", NOT_XLSX_MESSAGE)]


# --------------------------------------------------------------------------
# all-or-nothing
# --------------------------------------------------------------------------

def test_one_bad_row_rejects_everything(exported):
    wb = openpyxl.load_workbook(io.BytesIO(exported))
    ws = wb[SHEET_TITLE]
    ws.cell(40, HEADER.index("分值") + 1).value = "-1"
    out = io.BytesIO()
    wb.save(out)
    result = import_version(out.getvalue())
    assert result.template is None
    assert result.errors == [RowError(40, "分值", "第 40 行「分值」：不能为负数（-1）")]
    assert not result.ok


def test_all_errors_reported_in_row_and_column_order():
    rows = [
        row("A01", method="看资料", weight="abc"),
        row("A02"),
        row("A01", photo="Y", site_kinds="火星"),
        row("A03", section_code=None, content=""),
    ]
    result = import_version(book(rows))
    assert result.template is None
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "核查方法"), (2, "分值"),
        (4, "条目编号"), (4, "适用点位类型"), (4, "需拍照"),
        (5, "章节编号"), (5, "核查内容"),
    ]
    assert all(e.message.startswith(f"第 {e.row} 行「{e.column}」：") for e in result.errors)


# --------------------------------------------------------------------------
# template_issues
# --------------------------------------------------------------------------

def test_template_issues_detects_problems():
    item = {"code": "A01", "content": "x", "method": "documents", "site_kinds": ["office"],
            "photo_required": False, "weight": 1.0, "veto": False, "guidance": ""}
    bad = {"sections": [
        {"code": "A", "title": "一", "items": [item, dict(item, method="look", site_kinds=["mars"])]},
        {"code": "A", "title": "二", "items": [dict(item, code="A02", weight=-1)]},
        {"code": "C", "title": "三", "items": []},
    ]}
    issues = template_issues(bad)
    assert "条目编号“A01”重复" in issues
    assert "章节编号“A”重复" in issues
    assert "章节 C（三）没有条目" in issues
    assert "条目 A01：未知的点位类型 mars" in issues
    assert any(i.startswith("条目 A01：核查方法“look”无效") for i in issues)
    assert "条目 A02：分值不能为负数" in issues
    assert template_issues({"sections": []}) == ["核查表没有任何章节"]
    assert template_issues({"sections": [{"code": "A", "title": "一", "items": [item]}]}) == []
    assert template_issues({"sections": [{"code": "A", "title": "一", "items": [item]}]},
                           site_kind_codes=["clinic"]) == ["条目 A01：未知的点位类型 office"]


# --------------------------------------------------------------------------
# merged cells (issue 14, seen 4)
# --------------------------------------------------------------------------

def test_section_cells_merged_down_each_section_import():
    """章节编号 / 章节名称 merged down each section, as people lay a checklist out by hand: Excel keeps
    the value in the top cell only; every row of the merge gets it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(HEADER))
    sections = [("A", "责任共同体", 3), ("B", "管理共同体", 4)]
    r = 2
    for section_code, title, count in sections:
        for n in range(1, count + 1):
            line = row(code=f"{section_code}{n:02d}", section_code=section_code, section_title=title,
                       content=f"{title}第{n}项")
            if n > 1:
                line[0] = line[1] = None     # what Excel stores under a merge
            ws.append(line)
        ws.merge_cells(start_row=r, end_row=r + count - 1, start_column=1, end_column=1)
        ws.merge_cells(start_row=r, end_row=r + count - 1, start_column=2, end_column=2)
        r += count
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as package:   # a real merged-cell file
        assert package.read("xl/worksheets/sheet1.xml").count(b"<mergeCell ") == 4
    result = import_version(data)
    assert result.errors == []
    assert [(s["code"], s["title"], [i["code"] for i in s["items"]]) for s in result.template["sections"]] == [
        ("A", "责任共同体", ["A01", "A02", "A03"]), ("B", "管理共同体", ["B01", "B02", "B03", "B04"])]


def test_merge_reaching_into_blank_rows_leaves_them_blank():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(HEADER))
    ws.append(row(code="A01"))
    ws.append([None] * len(HEADER))
    ws.append([None, None] + row(code="A02")[2:])
    ws.merge_cells("A2:A4")
    ws.merge_cells("B2:B4")
    out = io.BytesIO()
    wb.save(out)
    result = import_version(out.getvalue())
    assert result.errors == []
    assert [i["code"] for i in result.template["sections"][0]["items"]] == ["A01", "A02"]
