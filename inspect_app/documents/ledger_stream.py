"""The 整改台账 workbook written as a stream: rows go to disk as they come, memory stays flat.

Pure like workbook.py (no Flask, no database): batches of ledger rows in, an ``.xlsx`` file out.
The sheets, columns, cell types and look are workbook.py's (``LEDGER_COLUMNS``, real date cells,
frozen header, AutoFilter, light-red overdue rows, a 汇总 sheet with the closure figures and the
per-county table); only the writer differs. XlsxWriter in ``constant_memory`` mode flushes each row
to a temporary file once the next starts, so a province's 10⁵ rows cost what one row costs — the
in-memory workbook of `workbook.build_ledger` grew by ≈ 1 KB per row (issue 12, seen 1).

Column widths are fitted to the header and the first batch (later rows cannot widen a column that
is already on disk); text that reaches the width cap wraps, as in workbook.py.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping, Sequence

import xlsxwriter

from .dates import UTC, to_china
from .text import printable
from .workbook import (DATE_FORMAT, DATETIME_FORMAT, LEDGER_COLUMNS, LEDGER_DATE_COLUMNS, LEDGER_INT_COLUMNS,
                       LEDGER_SHEET_TITLE, MAX_WIDTH, MIN_WIDTH, PERCENT_FORMAT,
                       SUMMARY_SHEET_TITLE, _coerce, _text_for_width, display_width)

Row = Mapping[str, Any]

_FONT = {"font_name": "宋体", "font_size": 11, "border": 1, "border_color": "#808080"}
_HEADER = {**_FONT, "bold": True, "bg_color": "#D9D9D9", "align": "center", "valign": "vcenter", "text_wrap": True}
_OVERDUE_BG = "#FFC7CE"   # Excel's own "light red fill", as workbook.OVERDUE_FILL


class _Summary:
    """The 汇总 figures, accumulated row by row (workbook.compute_summary's rules, without keeping rows)."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.by_county: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, row: Row) -> None:
        status = str(row.get("整改状态") or "").strip()
        overdue = row.get("是否超期") is True or str(row.get("是否超期") or "").strip() == "是"
        county = str(row.get("县(市)") or "").strip()
        for figures in ([self.total, self.by_county[county]] if county else [self.total]):
            figures["问题总数"] += 1
            figures[status] += 1
            if overdue and status != "已销号":
                figures["已超期"] += 1

    @staticmethod
    def figures(counts: Counter[str]) -> dict[str, float | int]:
        total = counts["问题总数"]
        return {"问题总数": total, "已销号": counts["已销号"],
                "销号率": counts["已销号"] / total if total else 0.0, "待整改": counts["待整改"],
                "整改中": counts["整改中"], "待验收": counts["待验收"], "已超期": counts["已超期"]}


def _widths(first: Sequence[list[Any]]) -> list[int]:
    widths = [display_width(c) for c in LEDGER_COLUMNS]
    for values in first:
        for j, value in enumerate(values):
            text = _text_for_width(value)
            widths[j] = max(widths[j], max((display_width(line) for line in text.split("\n")), default=0))
    return widths


def _values(row: Row, position: int) -> list[Any]:
    values = [_coerce(row.get(c), as_date=c in LEDGER_DATE_COLUMNS, as_int=c in LEDGER_INT_COLUMNS)
              for c in LEDGER_COLUMNS]
    if values[0] in (None, ""):
        values[0] = position
    return values


def write_ledger(path: str, batches: Iterable[Sequence[Row]], *, title: str, generated_at: datetime,
                 progress: Callable[[int], None] | None = None) -> int:
    """Write the 整改台账 workbook to `path` from `batches` of ledger rows (dicts keyed by
    ``LEDGER_COLUMNS``, value types as for `workbook.build_ledger`) and return the number of rows.

    `progress(rows_written)` is called after each batch. `generated_at` is UTC. Memory is bounded by
    one batch: nothing of earlier batches is kept but the summary counters.
    """
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False,
                                      "default_date_format": DATE_FORMAT})
    try:
        sheet = book.add_worksheet(LEDGER_SHEET_TITLE)
        summary_sheet = book.add_worksheet(SUMMARY_SHEET_TITLE)
        summary = _Summary()
        written, formats = 0, None
        sheet.write_row(0, 0, LEDGER_COLUMNS, book.add_format(_HEADER))
        for batch in batches:
            rows = [(row, _values(row, written + k)) for k, row in enumerate(batch, 1)]
            if formats is None:
                formats = _column_formats(book, sheet, [v for _r, v in rows])
            for row, values in rows:
                written += 1
                summary.add(row)
                overdue = row.get("是否超期") is True or str(row.get("是否超期") or "").strip() == "是"
                for j, value in enumerate(values):
                    _write(sheet, written, j, value, formats[overdue][j])
            if progress is not None:
                progress(written)
        if formats is None:
            _column_formats(book, sheet, [])
        _finish_ledger_sheet(sheet, title, written)
        _write_summary(book, summary_sheet, title=title, generated_at=generated_at, summary=summary)
        book.set_properties({"title": printable(title, multiline=False), "author": "医共体核查整改",
                             "created": to_china(generated_at).astimezone(UTC).replace(tzinfo=None)})
    finally:
        book.close()
    return written


def _column_formats(book, sheet, first: Sequence[list[Any]]) -> dict[bool, list[Any]]:
    """Size the columns from the header and the first rows; one format per column, plain and overdue."""
    widths = _widths(first)
    out: dict[bool, list[Any]] = {False: [], True: []}
    for j, name in enumerate(LEDGER_COLUMNS):
        wrap = True   # every ledger cell wraps (workbook.py: row heights are computed for wrapped text)
        spec = {**_FONT, "valign": "top"}
        if wrap:
            spec["text_wrap"] = True
        elif name in LEDGER_DATE_COLUMNS or name in LEDGER_INT_COLUMNS:
            spec["align"] = "center"
        if name in LEDGER_DATE_COLUMNS:
            spec["num_format"] = DATE_FORMAT
        out[False].append(book.add_format(spec))
        out[True].append(book.add_format({**spec, "bg_color": _OVERDUE_BG}))
        sheet.set_column(j, j, max(MIN_WIDTH, min(MAX_WIDTH, widths[j] + 2)))
    return out


def _write(sheet, row: int, col: int, value: Any, fmt) -> None:
    """One cell by its type; text is always text (``=HYPERLINK(…)`` typed in a finding stays text)."""
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, fmt)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def _finish_ledger_sheet(sheet, title: str, rows: int) -> None:
    """Frozen header, AutoFilter over the rows written, and printing: A4 landscape, one page wide,
    the header row on every page, the title in the page header and 第 n 页，共 m 页 in the footer."""
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(rows, 1), len(LEDGER_COLUMNS) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_header("&C" + printable(title, multiline=False).replace("&", "&&")[:200])
    sheet.set_footer("&C第 &P 页，共 &N 页")


def _write_summary(book, sheet, *, title: str, generated_at: datetime, summary: _Summary) -> None:
    """The 汇总 sheet: title, generation time (Beijing), the figures, then 分县(市)统计."""
    plain = book.add_format(_FONT)
    bold = book.add_format({**_HEADER})
    percent = book.add_format({**_FONT, "num_format": PERCENT_FORMAT, "align": "right"})
    number = book.add_format({**_FONT, "align": "right"})
    sheet.merge_range(0, 0, 0, 6, printable(title, multiline=False),
                      book.add_format({"font_name": "宋体", "font_size": 14, "bold": True}))
    sheet.write_string(1, 0, "生成时间（北京时间）", book.add_format({"font_name": "宋体", "font_size": 11}))
    sheet.write_datetime(1, 1, to_china(generated_at).replace(tzinfo=None),
                         book.add_format({"font_name": "宋体", "font_size": 11, "num_format": DATETIME_FORMAT,
                                          "align": "left"}))
    r = 3
    sheet.write_row(r, 0, ("指标", "数值"), bold)
    for label, value in _Summary.figures(summary.total).items():
        r += 1
        sheet.write_string(r, 0, label, plain)
        sheet.write_number(r, 1, value, percent if label == "销号率" else number)
    if summary.by_county:
        r += 2
        sheet.write_string(r, 0, "分县(市)统计", book.add_format({"font_name": "宋体", "font_size": 11, "bold": True}))
        r += 1
        sheet.write_row(r, 0, ("县(市)", "问题总数", "已销号", "销号率", "整改中", "待验收", "已超期"), bold)
        for name, counts in summary.by_county.items():
            r += 1
            f = _Summary.figures(counts)
            sheet.write_string(r, 0, name, plain)
            for j, key in enumerate(("问题总数", "已销号", "销号率", "整改中", "待验收", "已超期"), 1):
                sheet.write_number(r, j, f[key], percent if key == "销号率" else plain)
    width = max([22] + [display_width(n) + 2 for n in summary.by_county])
    sheet.set_column(0, 0, min(MAX_WIDTH, width))
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, 6, 12)

