import io
import zipfile
from datetime import date, datetime, timezone
from urllib.parse import unquote

import openpyxl
import pytest

from inspect_app.documents.workbook import (
    LEDGER_COLUMNS,
    LEDGER_WIDTHS,
    PROBLEM_LIST_COLUMNS,
    build_ledger,
    build_simple_table,
    compute_summary,
    content_disposition,
    safe_filename,
)

UTC = timezone.utc
GENERATED = datetime(2022, 7, 25, 6, 3, tzinfo=UTC)  # 14:03 Beijing
STATUSES = ["已销号", "整改中", "待验收", "已销号", "整改中", "待整改", "已销号", "整改中"]
OVERDUE = {1, 4, 5}  # row indexes flagged 是否超期 = 是


def ledger_rows():
    rows = []
    for i, status in enumerate(STATUSES):
        rows.append(
            {
                "序号": i + 1,
                "问题编号": f"XY-2022-{i + 1:03d}",
                "县(市)": "新野县" if i < 5 else "唐河县",
                "核查点位": "新野县人民医院远程心电诊断中心",
                "问题描述": "远程心电诊断中心未与乡镇卫生院联通，心电图仍由乡镇卫生院自行判读。" * (i + 1),
                "问题类别": "服务共同体",
                "严重程度": "较重",
                "整改类型": "限期整改",
                "整改措施": "完成12个乡镇卫生院心电设备联网",
                "责任单位": "新野县卫健委",
                "责任人": "张三",
                "完成时限": date(2022, 8, 25),
                "整改进展(最新)": "已完成8个乡镇联网",
                "整改状态": status,
                "是否超期": "是" if i in OVERDUE else "否",
                "验收意见": "同意销号" if status == "已销号" else None,
                "退回次数": i % 3,
                "销号日期": date(2022, 8, 20) if status == "已销号" else None,
                "佐证材料数": 4,
            }
        )
    return rows


@pytest.fixture(scope="module")
def ledger():
    data = build_ledger(ledger_rows(), title="新野县等整改台账", generated_at=GENERATED)
    return data, openpyxl.load_workbook(io.BytesIO(data))


def summary_figures(ws):
    return {row[0]: row[1] for row in ws.iter_rows(min_row=4, max_col=2, values_only=True) if row[0]}


def test_columns_are_the_domain_ledger():
    assert LEDGER_COLUMNS == (
        "序号", "问题编号", "县(市)", "核查点位", "问题描述", "问题类别", "严重程度", "整改类型", "整改措施",
        "责任单位", "责任人", "完成时限", "整改进展(最新)", "整改状态", "是否超期", "验收意见", "退回次数",
        "销号日期", "佐证材料数", "屡查屡犯", "照片核验提示",
    )


def test_sheets_header_freeze_and_filter(ledger):
    _, wb = ledger
    assert wb.sheetnames == ["整改台账", "汇总"]
    ws = wb["整改台账"]
    assert [c.value for c in ws[1]] == list(LEDGER_COLUMNS)
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:U9"
    assert ws.max_row == 9


def test_real_date_and_number_cells(ledger):
    _, wb = ledger
    ws = wb["整改台账"]
    col = {name: i + 1 for i, name in enumerate(LEDGER_COLUMNS)}
    deadline = ws.cell(row=2, column=col["完成时限"])
    assert deadline.is_date
    assert isinstance(deadline.value, datetime) and deadline.value.date() == date(2022, 8, 25)
    assert deadline.number_format == "yyyy-mm-dd"
    closed_on = ws.cell(row=2, column=col["销号日期"])
    assert closed_on.is_date and closed_on.value.date() == date(2022, 8, 20)
    assert ws.cell(row=3, column=col["销号日期"]).value is None
    for name in ("序号", "退回次数", "佐证材料数"):
        cell = ws.cell(row=3, column=col[name])
        assert cell.data_type == "n" and isinstance(cell.value, int)
    assert ws.cell(row=3, column=col["序号"]).value == 2


def test_only_overdue_rows_are_tinted(ledger):
    _, wb = ledger
    ws = wb["整改台账"]
    for r in range(2, 10):
        colours = {c.fill.fgColor.rgb[-6:] if c.fill.fill_type == "solid" else None for c in ws[r]}
        if (r - 2) in OVERDUE:
            assert colours == {"FFC7CE"}, r
        else:
            assert colours == {None}, r


def test_custom_highlight():
    data = build_ledger(
        ledger_rows(), title="t", generated_at=GENERATED, highlight=lambda row: row["整改状态"] == "待整改"
    )
    ws = openpyxl.load_workbook(io.BytesIO(data))["整改台账"]
    tinted = [r for r in range(2, 10) if ws.cell(row=r, column=1).fill.fill_type == "solid"]
    assert tinted == [2 + STATUSES.index("待整改")]


def test_ledger_widths_are_fixed_for_a3_and_long_text_wraps(ledger):
    _, wb = ledger
    ws = wb["整改台账"]
    width = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[1]}
    assert width.keys() == LEDGER_WIDTHS.keys()
    assert all(LEDGER_WIDTHS[c] <= w <= LEDGER_WIDTHS[c] + 1 / 7 for c, w in width.items())  # whole pixels
    assert sum(width.values()) <= 210  # the whole row fits an A3 page width at ≥ 70 %
    assert ws.cell(row=2, column=5).alignment.wrap_text
    assert ws.page_setup.paperSize == 8 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$1"


def test_simple_table_widths_fit_chinese_and_long_text_wraps():
    rows = [{"核查点位": "新野县人民医院远程心电诊断中心", "问题描述": "很长的问题描述" * 20, "完成时限": date(2022, 7, 25)}]
    ws = openpyxl.load_workbook(io.BytesIO(build_simple_table("清单", ["序号", "核查点位", "问题描述", "完成时限"], rows))).active
    width = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[1]}
    assert width["问题描述"] == 50  # capped
    assert ws.cell(row=2, column=3).alignment.wrap_text
    assert width["核查点位"] >= 2 * len("新野县人民医院远程心电诊断中心")  # CJK counts double
    assert width["完成时限"] >= len("2022-07-25")
    assert 6 <= width["序号"] <= 10


def test_summary_figures(ledger):
    _, wb = ledger
    ws = wb["汇总"]
    assert ws["A1"].value == "新野县等整改台账"
    assert ws["A2"].value.startswith("生成时间")
    assert ws["B2"].is_date and ws["B2"].value == datetime(2022, 7, 25, 14, 3)
    f = summary_figures(ws)
    assert f["问题总数"] == 8
    assert f["已销号"] == 3
    assert f["销号率"] == pytest.approx(0.375)
    assert f["整改中"] == 3
    assert f["待验收"] == 1
    assert f["待整改"] == 1
    assert f["已超期"] == 3
    rate_cell = next(c for c in ws["B"] if c.row > 4 and ws.cell(row=c.row, column=1).value == "销号率")
    assert isinstance(rate_cell.value, float) and rate_cell.number_format == "0.0%"


def test_summary_breaks_down_by_county(ledger):
    _, wb = ledger
    ws = wb["汇总"]
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r[0] in ("新野县", "唐河县")}
    assert rows["新野县"][1:4] == (5, 2, pytest.approx(0.4))
    assert rows["唐河县"][1:3] == (3, 1)


def test_overdue_count_ignores_closed_items():
    rows = [{"整改状态": "已销号", "是否超期": "是"}, {"整改状态": "整改中", "是否超期": "是"}]
    assert compute_summary(rows)["已超期"] == 1


def test_given_summary_overrides_and_rate_recomputed():
    data = build_ledger([], title="空台账", generated_at=GENERATED, summary={"问题总数": 10, "已销号": 4})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    f = summary_figures(wb["汇总"])
    assert f["问题总数"] == 10 and f["已销号"] == 4 and f["销号率"] == pytest.approx(0.4)
    ws = wb["整改台账"]
    assert ws.max_row == 1 and ws.auto_filter.ref == "A1:U1"


def test_empty_ledger_has_zero_rate():
    wb = openpyxl.load_workbook(io.BytesIO(build_ledger([], title="t", generated_at=GENERATED)))
    assert summary_figures(wb["汇总"])["销号率"] == 0


def test_text_starting_with_equals_is_not_a_formula():
    rows = [{"问题描述": '=HYPERLINK("http://evil","点我")', "整改措施": "bad\x01char"}]
    data = build_ledger(rows, title="t", generated_at=GENERATED)
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    ws = openpyxl.load_workbook(io.BytesIO(data))["整改台账"]
    assert ws["E2"].value == '=HYPERLINK("http://evil","点我")' and ws["E2"].data_type == "s"
    assert ws["I2"].value == "badchar"


def test_datetimes_become_beijing_dates():
    rows = [{"完成时限": datetime(2022, 8, 24, 16, 30, tzinfo=UTC)}]  # 00:30 on the 25th in Beijing
    ws = openpyxl.load_workbook(io.BytesIO(build_ledger(rows, title="t", generated_at=GENERATED)))["整改台账"]
    assert ws["L2"].value == datetime(2022, 8, 25)


def test_simple_table_problem_list():
    rows = [
        {"序号": 1, "问题编号": "XY-001", "问题类别": "管理共同体", "核查点位": "医共体管理办公室",
         "问题描述": "一办六部未实体化运行" * 8, "严重程度": "较重", "整改类型": "限期整改",
         "完成时限": date(2022, 8, 25), "整改建议": "集中办公"},
        [2, "XY-002", "服务共同体", "远程心电诊断中心", "未联通", "严重", "立行立改", "2022-07-31", "", "2021年"],
    ]
    data = build_simple_table("新野县反馈问题清单", PROBLEM_LIST_COLUMNS, rows, date_columns=("完成时限",))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws.title == "新野县反馈问题清单"
    assert [c.value for c in ws[1]] == list(PROBLEM_LIST_COLUMNS)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:J3"
    assert ws["H2"].is_date and ws["H2"].value == datetime(2022, 8, 25)
    assert ws["H3"].is_date and ws["H3"].value == datetime(2022, 7, 31)  # ISO string parsed
    assert ws["A3"].value == 2 and ws["A3"].data_type == "n"
    assert ws["E2"].alignment.wrap_text
    assert ws.column_dimensions["E"].width == 50


@pytest.mark.parametrize(
    "name, expected",
    [
        ("新野县整改台账_2022-07-25.xlsx", "新野县整改台账_2022-07-25.xlsx"),
        ('新野/唐河\\邓州:台账*?"<>|.xlsx', "新野唐河邓州台账.xlsx"),
        ("台账\x00\x07\n\t_2022.xlsx", "台账_2022.xlsx"),
        ("  ..台账.xlsx  ", "台账.xlsx"),
        ("CON.xlsx", "_CON.xlsx"),
        ("///.xlsx", "download.xlsx"),
        ("", "download"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_caps_length_keeping_extension():
    name = safe_filename("县" * 300 + ".xlsx")
    assert name.endswith(".xlsx") and len(name.encode("utf-8")) <= 200


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = content_disposition("新野县整改台账_2022-07-25.xlsx")
    assert header.startswith("attachment; ")
    assert 'filename="download-2022-07-25.xlsx"' in header     # never a bare date (issue 14)
    header.encode("latin-1")  # a valid HTTP header value
    assert header.isascii()
    star = header.split("filename*=")[1]
    assert star.startswith("UTF-8''")
    assert unquote(star[len("UTF-8''"):]) == "新野县整改台账_2022-07-25.xlsx"


def test_content_disposition_sanitises_and_handles_all_chinese():
    header = content_disposition('反馈问题清单"; x=1.docx')
    assert 'filename="x-1.docx"' in header
    assert '"; x=' not in header
    star = header.split("filename*=UTF-8''")[1]
    assert ";" not in star and " " not in star
    assert unquote(star) == "反馈问题清单; x=1.docx"
    assert content_disposition("a.pdf", inline=True).startswith("inline; ")
