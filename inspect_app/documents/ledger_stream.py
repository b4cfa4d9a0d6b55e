"""The 整改台账 workbook written as a stream: rows go to disk as they come, memory stays flat.

Pure like workbook.py (no Flask, no database): batches of ledger rows in, an ``.xlsx`` file out.
This is the app's one ledger writer: the route's inline export, the background job and
`workbook.build_ledger` all come here. XlsxWriter in ``constant_memory`` mode flushes each row to a
temporary file once the next starts, so a province's 10⁵ rows cost what one row costs (issue 12,
seen 1); nothing of earlier rows is kept but the summary counters.

The print layout is issue 14's (domain.md §6, §8): fixed column widths ``LEDGER_WIDTHS`` so the 20
columns fit an A3 landscape page at ≥ 70 %, 宋体 as the workbook's default font (column widths
are measured in its "0"), every cell wraps and every row stores the height
`workbook.row_height` computes for its wrapped text — each row's height is known from its own
text before it is written, which is what streaming needs — the header row repeats on every page,
the title is the print header and 第 &P 页 共 &N 页 the footer; overdue rows are light red; the 汇总
sheet has the closure figures and a per-county table with every status.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Sequence

import xlsxwriter

from .dates import UTC, to_china
from .text import printable
from .workbook import (DATE_FORMAT, DATETIME_FORMAT, LEDGER_COLUMNS, LEDGER_DATE_COLUMNS, LEDGER_INT_COLUMNS,
                       LEDGER_SHEET_TITLE, LEDGER_WIDTHS, MAX_WIDTH, PAGE_FOOTER, PERCENT_FORMAT,
                       SUMMARY_LABELS, SUMMARY_SHEET_TITLE, _coerce, _text_for_width, display_width,
                       row_height)

Row = Mapping[str, Any]

_FONT = {"font_name": "宋体", "font_size": 11, "border": 1, "border_color": "#808080"}
_HEADER = {**_FONT, "bold": True, "bg_color": "#D9D9D9", "align": "center", "valign": "vcenter", "text_wrap": True}
_OVERDUE_BG = "#FFC7CE"   # Excel's own "light red fill", as workbook.OVERDUE_FILL
_WIDTHS = [float(LEDGER_WIDTHS[c]) for c in LEDGER_COLUMNS]
#: XlsxWriter adds Excel's cell padding (5 px of a 7 px "0") to a width it is given; the ledger's widths
#: are the stored ones (as openpyxl wrote them, and as `row_height` assumes), so it is taken off first.
#: XlsxWriter rounds to whole pixels, so a stored width is at most 1/7 unit wider than ``LEDGER_WIDTHS``.
_CELL_PADDING = 5 / 7
#: The per-county table's columns on the 汇总 sheet (every status, 待整改 included).
COUNTY_COLUMNS: tuple[str, ...] = ("问题总数", "已销号", "销号率", "待整改", "整改中", "待验收", "已超期")


def _is_overdue(row: Row) -> bool:
    value = row.get("是否超期")
    return value is True or (isinstance(value, str) and value.strip() == "是")


class _Summary:
    """The 汇总 figures, accumulated row by row (workbook.compute_summary's rules, without keeping rows)."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.by_county: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, row: Row) -> None:
        status = str(row.get("整改状态") or "").strip()
        county = str(row.get("县(市)") or "").strip()
        for figures in ([self.total, self.by_county[county]] if county else [self.total]):
            figures["问题总数"] += 1
            figures[status] += 1
            if _is_overdue(row) and status != "已销号":
                figures["已超期"] += 1

    @staticmethod
    def figures(counts: Counter[str]) -> dict[str, float | int]:
        """``SUMMARY_LABELS`` → value; 销号率 a fraction (0 when there are no rows)."""
        total = counts["问题总数"]
        return {"问题总数": total, "已销号": counts["已销号"],
                "销号率": counts["已销号"] / total if total else 0.0, "待整改": counts["待整改"],
                "整改中": counts["整改中"], "待验收": counts["待验收"], "已超期": counts["已超期"]}


def _merge_given(figures: dict[str, Any], given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Figures given by the caller override the counted ones; 销号率 is recomputed unless given, and a
    rate given as a percentage (37.5) becomes a fraction."""
    if given:
        figures.update({k: v for k, v in given.items() if v is not None})
        if given.get("销号率") is None:
            total = figures.get("问题总数") or 0
            figures["销号率"] = (figures.get("已销号", 0) / total) if total else 0.0
    rate = figures.get("销号率")
    if isinstance(rate, (int, float, Decimal)) and rate > 1:
        figures["销号率"] = float(rate) / 100
    return figures


def _values(row: Row, position: int) -> list[Any]:
    values = [_coerce(row.get(c), as_date=c in LEDGER_DATE_COLUMNS, as_int=c in LEDGER_INT_COLUMNS)
              for c in LEDGER_COLUMNS]
    if values[0] in (None, ""):
        values[0] = position
    return values


def _print_setup(sheet, title: str, *, paper: int) -> None:
    """Landscape on `paper` (8 = A3, 9 = A4), one page wide, centred, the title as print header and
    the page numbers as footer (10 pt), with workbook.py's margins (inches)."""
    sheet.set_landscape()
    sheet.set_paper(paper)
    sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    heading = printable(str(title or ""), multiline=False).replace("&", "&&")[:120]
    sheet.set_header("&C&10" + heading if heading else "", {"margin": 0.25})
    sheet.set_footer("&C&10" + PAGE_FOOTER, {"margin": 0.25})


def write_ledger(path: str, batches: Iterable[Sequence[Row]], *, title: str, generated_at: datetime,
                 progress: Callable[[int], None] | None = None,
                 summary: Mapping[str, Any] | None = None,
                 highlight: Callable[[Row], bool] | None = None) -> int:
    """Write the 整改台账 workbook to `path` from `batches` of ledger rows (dicts keyed by
    ``LEDGER_COLUMNS``; value types as documented there, a missing 序号 is the row's position) and
    return the number of rows.

    `progress(rows_written)` is called after each batch. `generated_at` is UTC (naive = UTC).
    `summary` overrides counted 汇总 figures (keys from ``SUMMARY_LABELS``); `highlight(row)` picks
    the rows tinted light red (default: 是否超期 = 是). Memory is bounded by one batch.
    """
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False,
                                      "default_date_format": DATE_FORMAT})
    # The workbook's default font is 宋体 11 pt: column widths are measured in its "0" (workbook._new_workbook).
    book.formats[0].set_font_name("宋体")
    tint = highlight or _is_overdue
    try:
        sheet = book.add_worksheet(LEDGER_SHEET_TITLE)
        summary_sheet = book.add_worksheet(SUMMARY_SHEET_TITLE)
        counts = _Summary()
        formats = _column_formats(book, sheet)
        sheet.set_row(0, row_height(list(LEDGER_COLUMNS), _WIDTHS))
        sheet.write_row(0, 0, LEDGER_COLUMNS, book.add_format(_HEADER))
        written = 0
        for batch in batches:
            for row in batch:
                written += 1
                counts.add(row)
                values = _values(row, written)
                try:
                    tinted = bool(tint(row))
                except (KeyError, TypeError, AttributeError):
                    tinted = False
                sheet.set_row(written, row_height([_text_for_width(v) for v in values], _WIDTHS))
                for j, value in enumerate(values):
                    _write(sheet, written, j, value, formats[tinted][j])
            if progress is not None:
                progress(written)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, written, len(LEDGER_COLUMNS) - 1)
        sheet.repeat_rows(0)
        # 20 columns are legible on A3 landscape only (on A4 they would print at about 55 %).
        _print_setup(sheet, title, paper=8)
        _write_summary(book, summary_sheet, title=title, generated_at=generated_at,
                       figures=_merge_given(_Summary.figures(counts.total), summary), counts=counts)
        _print_setup(summary_sheet, title, paper=9)
        book.set_properties({"title": printable(title, multiline=False), "author": "医共体核查整改",
                             "created": to_china(generated_at).astimezone(UTC).replace(tzinfo=None)})
    finally:
        book.close()
    return written


def _column_formats(book, sheet) -> dict[bool, list[Any]]:
    """The fixed ``LEDGER_WIDTHS`` and one format per column, plain and tinted: every cell wraps and
    sits at the top, dates and counts are centred."""
    out: dict[bool, list[Any]] = {False: [], True: []}
    for j, name in enumerate(LEDGER_COLUMNS):
        spec = {**_FONT, "valign": "top", "text_wrap": True}
        if name in LEDGER_DATE_COLUMNS or name in LEDGER_INT_COLUMNS:
            spec["align"] = "center"
        if name in LEDGER_DATE_COLUMNS:
            spec["num_format"] = DATE_FORMAT
        out[False].append(book.add_format(spec))
        out[True].append(book.add_format({**spec, "bg_color": _OVERDUE_BG}))
        sheet.set_column(j, j, _WIDTHS[j] - _CELL_PADDING)
    return out


def _write(sheet, row: int, col: int, value: Any, fmt) -> None:
    """One cell by its type; text is always text (``=HYPERLINK(…)`` typed in a finding stays text)."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, fmt)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def _write_summary(book, sheet, *, title: str, generated_at: datetime, figures: Mapping[str, Any],
                   counts: _Summary) -> None:
    """The 汇总 sheet: title, generation time (Beijing), the figures, then 分县(市)统计 with every status."""
    plain = book.add_format(_FONT)
    head = book.add_format({**_HEADER})
    percent = book.add_format({**_FONT, "num_format": PERCENT_FORMAT, "align": "right"})
    number = book.add_format({**_FONT, "align": "right"})
    sheet.merge_range(0, 0, 0, 7, printable(title, multiline=False),
                      book.add_format({"font_name": "宋体", "font_size": 14, "bold": True}))
    sheet.write_string(1, 0, "生成时间（北京时间）", book.add_format({"font_name": "宋体", "font_size": 11}))
    sheet.write_datetime(1, 1, to_china(generated_at).replace(tzinfo=None),
                         book.add_format({"font_name": "宋体", "font_size": 11, "num_format": DATETIME_FORMAT,
                                          "align": "left"}))
    r = 3
    sheet.write_row(r, 0, ("指标", "数值"), head)
    for label in list(SUMMARY_LABELS) + [k for k in figures if k not in SUMMARY_LABELS]:
        r += 1
        sheet.write_string(r, 0, printable(str(label), multiline=False), plain)
        _write(sheet, r, 1, _coerce(figures.get(label, 0)), percent if label == "销号率" else number)
    if counts.by_county:
        r += 2
        sheet.write_string(r, 0, "分县(市)统计", book.add_format({"font_name": "宋体", "font_size": 11, "bold": True}))
        r += 1
        sheet.write_row(r, 0, ("县(市)",) + COUNTY_COLUMNS, head)
        for name, county in counts.by_county.items():
            r += 1
            f = _Summary.figures(county)
            sheet.write_string(r, 0, name, plain)
            for j, key in enumerate(COUNTY_COLUMNS, 1):
                sheet.write_number(r, j, f[key], percent if key == "销号率" else plain)
    width = max([22] + [display_width(n) + 2 for n in counts.by_county])
    sheet.set_column(0, 0, min(MAX_WIDTH, width))
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, 7, 12)
