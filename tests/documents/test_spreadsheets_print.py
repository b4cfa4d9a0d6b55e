"""Spreadsheets that print (issue 14, seen 3): opened in LibreOffice (as WPS users see them) and
printed to PDF, wrapped text never prints over the next row and no row is cut short; the 20-column
ledger is legible (A3 landscape, ≥ 70 % scale) with its header on every page; the problem list has
title rows, a print header (county, campaign, date) and 第 N 页 共 M 页 in the footer."""
import io
import re
from collections import Counter
from datetime import date, datetime, timezone

import openpyxl
import pytest

from inspect_app.documents.workbook import (PROBLEM_LIST_COLUMNS, PROBLEM_LIST_WIDTHS, build_ledger,
                                            build_simple_table, row_height, wrapped_line_count)
from tests.documents.spreadsheet_pdf import overlapping_lines, page_texts, to_pdf, words
from tests.documents.test_workbook import ledger_rows

GENERATED = datetime(2022, 7, 25, 6, 3, tzinfo=timezone.utc)
MIXED = "一、完善制度\n二、加强培训 training for all staff members in 2022，covering ECG-network operations\n三、定期考核"


def marked_ledger_rows():
    """The ledger rows with long, line-broken and mixed Latin/CJK text, each description ending in a
    marker that is only printed when the row is tall enough for its last line."""
    rows = ledger_rows() + ledger_rows()
    for n, row in enumerate(rows, 1):
        row["序号"] = n
        row["问题描述"] += f"（第{n}条完）"
        row["整改措施"] = MIXED if n % 3 == 0 else row["整改措施"]
        row["佐证材料数"] = "3（照片2张，2张含拍摄时间/位置）" if n % 2 else 0
        row["屡查屡犯"] = "2023年" if n % 4 == 0 else ""
    return rows


def body_scale(found):
    """The print scale from the most common text size (the body is 11 pt)."""
    size, _count = Counter(round(w.size, 1) for w in found).most_common(1)[0]
    return size / 11


@pytest.fixture(scope="module")
def ledger_pdf(tmp_path_factory):
    data = build_ledger(marked_ledger_rows(), title="新野县整改台账（2022年核查）", generated_at=GENERATED)
    return data, to_pdf(data, tmp_path_factory.mktemp("ledger"), "ledger.xlsx")


def test_ledger_rows_print_whole_without_overprinting(ledger_pdf):
    _data, pdf = ledger_pdf
    found, _sizes = words(pdf)
    assert overlapping_lines(found) == []
    text = "".join(page_texts(pdf))
    assert [n for n in range(1, 17) if f"（第{n}条完）" not in text] == []
    assert "三、定期考核" in text and "2张含拍摄时间" in text
    assert text.count("2023年") == 4                          # the 屡查屡犯 column, last, on every marked row


def test_ledger_prints_legibly_on_a3_with_header_and_page_numbers(ledger_pdf):
    _data, pdf = ledger_pdf
    found, sizes = words(pdf)
    width, height = sizes[0]
    assert (round(width), round(height)) == (1191, 842)         # A3 landscape
    assert body_scale(found) >= 0.70
    pages = page_texts(pdf)
    ledger_pages = [p for p in pages if "问题描述" in p]
    assert len(ledger_pages) >= 2                                  # long enough to run over a page
    for number, page in enumerate(ledger_pages, 1):
        assert "新野县整改台账（2022年核查）" in page
        assert "序号问题编号" in page                                 # the header row repeats
        assert "屡查屡犯" in page                                     # … with its last column
        assert re.search(rf"第{number}页共\d+页", page)


def test_ledger_summary_prints_every_status(ledger_pdf):
    data, pdf = ledger_pdf
    ws = openpyxl.load_workbook(io.BytesIO(data))["汇总"]
    head = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "县(市)")
    assert head[:8] == ("县(市)", "问题总数", "已销号", "销号率", "待整改", "整改中", "待验收", "已超期")
    summary_page = next(p for p in page_texts(pdf) if "分县(市)统计" in p)
    assert "待整改整改中待验收已超期" in summary_page


@pytest.fixture(scope="module")
def problem_list_pdf(tmp_path_factory):
    rows = []
    for n, row in enumerate(ledger_rows() * 3, 1):
        rows.append({"序号": n, "问题编号": f"411329-2022-{n:03d}", "问题类别": row["问题类别"],
                     "核查点位": row["核查点位"], "问题描述": row["问题描述"] + f"（第{n}条完）",
                     "严重程度": "较重", "整改类型": "限期整改", "完成时限": date(2022, 8, 25),
                     "整改建议": MIXED if n % 2 else row["整改措施"] * 3})
    data = build_simple_table("反馈问题清单", PROBLEM_LIST_COLUMNS, rows, date_columns=["完成时限"],
                              title_lines=["新野县反馈问题清单", "核查活动：2022年核查　　县(市)：新野县　　下发日期：2022-07-25"],
                              print_header=("新野县", "2022年核查", "2022-07-25"), widths=PROBLEM_LIST_WIDTHS)
    return data, to_pdf(data, tmp_path_factory.mktemp("plist"), "plist.xlsx")


def test_problem_list_prints_whole_rows_with_title_header_and_page_numbers(problem_list_pdf):
    data, pdf = problem_list_pdf
    found, sizes = words(pdf)
    assert overlapping_lines(found) == []
    assert sizes[0][0] > sizes[0][1] and body_scale(found) >= 0.70     # landscape, legible
    pages = page_texts(pdf)
    assert [n for n in range(1, 25) if f"（第{n}条完）" not in "".join(pages)] == []
    assert pages[0].index("新野县反馈问题清单") < pages[0].index("序号问题编号")   # title rows above the header
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert page.startswith("新野县2022年核查2022-07-25")          # print header: county, campaign, date
        assert "序号问题编号" in page
        assert page.endswith(f"第{number}页共{len(pages)}页")


def test_problem_list_route_prints_its_header(client, world, login_as, tmp_path):
    from tests.problem_lists.factories import list_url, make_xinye_findings
    camp, _findings = make_xinye_findings(world)
    login_as("leader8")
    client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-25"})
    response = client.get(list_url(camp, suffix="/list.xlsx"))
    pages = page_texts(to_pdf(response.data, tmp_path, "list.xlsx"))
    assert pages[0].startswith(f"新野县{''.join(camp.name.split())}2022-07-25")
    assert pages[0].endswith(f"第1页共{len(pages)}页") and "新野县反馈问题清单" in pages[0]


# ------------------------------------------------------------ the height estimate itself

@pytest.mark.parametrize(("text", "width", "lines"), [
    ("", 10, 1),
    ("问题", 10, 1),
    ("一二三四五六七八九十", 10, 3),               # 21 units of CJK in 9.5 usable
    ("一\n二\n三", 40, 3),                         # explicit breaks
    ("abc defgh ijk", 6, 3),                       # Latin words move whole to the next line
    ("x" * 30, 10, 4),                             # a word longer than the line breaks anywhere
])
def test_wrapped_line_count(text, width, lines):
    assert wrapped_line_count(text, width) == lines


def test_row_height_follows_the_tallest_cell():
    assert row_height(["短", "一\n二\n三\n四"], [10, 10]) == row_height(["一\n二\n三\n四"], [10])
    assert row_height(["一\n二\n三\n四"], [10]) > 3 * row_height(["一"], [10])
