"""Excel workbooks officials pass round: the 整改台账 ledger and simple list exports.

Pure builders: plain data in, ``.xlsx`` bytes out.  No Flask, no database.

Conventions (domain.md §6, §8): the header row (row 1, or below optional title
rows) carries the AutoFilter, is frozen and repeats on every printed page; dates
are real Excel date cells formatted ``yyyy-mm-dd``; counts are numbers; column
widths fit Chinese text (or are fixed so a sheet fits its paper); every cell
wraps and every row stores a height computed for its wrapped text, because
LibreOffice and WPS do not grow rows on opening (issue 14); pages are numbered
第 N 页 共 M 页; overdue rows are tinted light red; a 汇总 sheet carries the
closure figures.

Text that starts with ``=`` is always written as text, never as a formula, so a
finding typed as ``=HYPERLINK(...)`` cannot turn into a live formula.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from inspect_app.rectification.date_rules import as_utc, beijing_date

from .dates import UTC, to_china
from .text import printable

__all__ = [
    "LEDGER_COLUMNS",
    "LEDGER_DATE_COLUMNS",
    "LEDGER_INT_COLUMNS",
    "LEDGER_SHEET_TITLE",
    "SUMMARY_SHEET_TITLE",
    "SUMMARY_LABELS",
    "STATUS_LABELS",
    "PROBLEM_LIST_COLUMNS",
    "compute_summary",
    "build_ledger",
    "build_simple_table",
    "build_tables",
    "evidence_count_label",
    "row_height",
    "wrapped_line_count",
    "safe_filename",
    "content_disposition",
    "display_width",
]

# ---------------------------------------------------------------------------
# Column vocabulary
# ---------------------------------------------------------------------------

#: The 整改台账 columns (domain.md §6), in order.  ``build_ledger`` rows are dicts
#: keyed by exactly these names; a missing key is an empty cell and ``序号``
#: defaults to the row's position.  Value types:
#: 完成时限 / 销号日期 → ``date`` (a datetime is reduced to its Beijing date);
#: 序号 / 退回次数 / 佐证材料数 → ``int``; 是否超期 → ``'是'``/``'否'`` (a bool is
#: accepted); 整改状态 → one of ``STATUS_LABELS``; everything else → text.
LEDGER_COLUMNS: tuple[str, ...] = (
    "序号",
    "问题编号",
    "县(市)",
    "核查点位",
    "问题描述",
    "问题类别",
    "严重程度",
    "整改类型",
    "整改措施",
    "责任单位",
    "责任人",
    "完成时限",
    "整改进展(最新)",
    "整改状态",
    "是否超期",
    "验收意见",
    "退回次数",
    "销号日期",
    "佐证材料数",
    "屡查屡犯",
    "照片核验提示",
)
LEDGER_DATE_COLUMNS: tuple[str, ...] = ("完成时限", "销号日期")
LEDGER_INT_COLUMNS: tuple[str, ...] = ("序号", "退回次数", "佐证材料数")
#: Column widths (Excel units) of the 整改台账: 209 units in all, so the 21 columns fit the width of an
#: A3 landscape page at about 92 % in Excel/WPS (long text wraps inside its column, the row grows to fit).
#: 屡查屡犯 (7) and 照片核验提示 (10), issue 15, took their width from 整改措施, 整改进展(最新), 问题描述,
#: 验收意见 and 核查点位.
LEDGER_WIDTHS: dict[str, float] = {
    "序号": 4.5, "问题编号": 14, "县(市)": 7, "核查点位": 11, "问题描述": 22, "问题类别": 9,
    "严重程度": 5.5, "整改类型": 7, "整改措施": 16, "责任单位": 11, "责任人": 7, "完成时限": 11.5,
    "整改进展(最新)": 15, "整改状态": 7, "是否超期": 5.5, "验收意见": 11, "退回次数": 5.5,
    "销号日期": 11.5, "佐证材料数": 11, "屡查屡犯": 7, "照片核验提示": 10,
}

#: The 反馈问题清单 export (use with ``build_simple_table(..., date_columns=("完成时限",))``).
PROBLEM_LIST_COLUMNS: tuple[str, ...] = (
    "序号",
    "问题编号",
    "问题类别",
    "核查点位",
    "问题描述",
    "严重程度",
    "整改类型",
    "完成时限",
    "整改建议",
    "屡查屡犯",
)
#: Column widths of the 反馈问题清单 export: 136 units, an A4 landscape page at about 95 % (80 % in LibreOffice).
#: 屡查屡犯 (the earlier campaigns' years, "2022年、2023年", issue 15) took its 8 from 整改建议 and 核查点位.
PROBLEM_LIST_WIDTHS: dict[str, float] = {
    "序号": 4.5, "问题编号": 14.5, "问题类别": 11, "核查点位": 13, "问题描述": 36, "严重程度": 5.5,
    "整改类型": 7, "完成时限": 11.5, "整改建议": 25, "屡查屡犯": 8,
}
#: The page-number footer of every printed sheet (Excel/LibreOffice codes &P and &N).
PAGE_FOOTER = "第 &P 页 共 &N 页"

STATUS_LABELS: tuple[str, ...] = ("待整改", "整改中", "待验收", "已销号")
#: Figures on the 汇总 sheet, in order.  销号率 is a fraction (0.375 shows as 37.5%).
SUMMARY_LABELS: tuple[str, ...] = ("问题总数", "已销号", "销号率", "待整改", "整改中", "待验收", "已超期")

LEDGER_SHEET_TITLE = "整改台账"
SUMMARY_SHEET_TITLE = "汇总"

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"

MAX_WIDTH = 50  # Excel width units; wider text wraps
MIN_WIDTH = 6
EXCEL_MAX_CELL_CHARS = 32767

_FONT = Font(name="宋体", size=11)
_FONT_BOLD = Font(name="宋体", size=11, bold=True)
_FONT_TITLE = Font(name="宋体", size=14, bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
#: Excel's own "light red fill" for overdue rows.
OVERDUE_FILL = PatternFill("solid", fgColor="FFC7CE")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


# ---------------------------------------------------------------------------
# Cell helpers
# ---------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Excel width units of ``text``: CJK / full-width characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def evidence_count_label(files: int, photos: int = 0, located: int = 0) -> int | str:
    """The ledger's 佐证材料数 cell: the number of evidence files, and when some are photos how many
    of them carry a capture time or GPS position (what gives a photo its evidence value), e.g.
    ``3（照片2张，2张含拍摄时间/位置）``.  A plain number when there are no photos."""
    if not photos:
        return files
    return f"{files}（照片{photos}张，{located}张含拍摄时间/位置）"


def _beijing_naive(dt: datetime) -> datetime:
    # Excel has no time zones: write the Beijing wall-clock time.
    return to_china(dt).replace(tzinfo=None)


def _coerce(value: Any, *, as_date: bool = False, as_int: bool = False) -> Any:
    """Python value → what the cell should hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return beijing_date(value) if as_date else _beijing_naive(value)
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float, Decimal)):
        return value
    text = printable(str(value))
    stripped = text.strip()
    if as_date and stripped:
        try:
            return date.fromisoformat(stripped[:10])
        except ValueError:
            pass
    if as_int and re.fullmatch(r"[+-]?\d+", stripped):
        return int(stripped)
    if len(text) > EXCEL_MAX_CELL_CHARS:
        text = text[: EXCEL_MAX_CELL_CHARS - 1] + "…"
    return text


def _set(cell: Any, value: Any) -> None:
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, not a formula
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT


def _text_for_width(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return "2022-07-25 14:03"
    if isinstance(value, date):
        return "2022-07-25"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _row_values(row: Mapping[str, Any] | Sequence[Any], columns: Sequence[str]) -> list[Any]:
    if isinstance(row, Mapping):
        return [row.get(c) for c in columns]
    values = list(row)[: len(columns)]
    return values + [None] * (len(columns) - len(values))


#: Points per printed line of 11 pt text: LibreOffice and WPS substitute a CJK font (Noto Sans CJK,
#: WenQuanYi) whose line is about 1.45 em, taller than Excel's own 14.25 pt for 宋体.
LINE_HEIGHT_PT = 15.5
#: Space above and below the text inside a cell, in points.
ROW_PADDING_PT = 4.0
#: Width units a character takes when laid out in a cell.  With 宋体 as the default font a CJK glyph
#: is two "0"s wide (Excel rounds the "0" to whole pixels, so up to 2.1); LibreOffice with a
#: substituted font measured 1.9.  Latin letters run slightly wider than the "0".
WIDE_CHAR_UNITS = 2.1
NARROW_CHAR_UNITS = 1.05


def wrapped_line_count(text: str, column_width: float) -> int:
    """Lines ``text`` takes in a wrapping cell ``column_width`` Excel units wide (≥ 1).

    Each explicit line break starts a new line; within a line CJK / full-width characters take
    ``WIDE_CHAR_UNITS`` and others ``NARROW_CHAR_UNITS``; half a unit of the width is the
    cell's own padding.  Latin words are moved whole to the next line, as Excel and LibreOffice
    do, so a line can end early; CJK text breaks anywhere.  Over-counting by a line costs some
    white space, under-counting prints text over the next row, so the estimate errs high.
    """
    usable = max(1.0, float(column_width) - 0.5)
    total = 0
    for paragraph in str(text).split("\n"):
        lines, used = 1, 0.0
        for token in re.findall(r"[A-Za-z0-9_.,:;/\\%@#&+\-]+|\s|.", paragraph):
            units = sum(
                WIDE_CHAR_UNITS if unicodedata.east_asian_width(ch) in ("W", "F") else NARROW_CHAR_UNITS
                for ch in token
            )
            if used + units <= usable or (used == 0 and units <= usable):
                used += units
                continue
            if token.isspace():
                lines, used = lines + 1, 0.0
                continue
            if units > usable:  # a word longer than the line is broken anywhere
                for ch in token:
                    w = WIDE_CHAR_UNITS if unicodedata.east_asian_width(ch) in ("W", "F") else NARROW_CHAR_UNITS
                    if used + w > usable:
                        lines, used = lines + 1, 0.0
                    used += w
                continue
            lines, used = lines + 1, units
        total += lines
    return max(1, total)


def row_height(texts: Sequence[str], widths: Sequence[float], *, font_size: float = 11.0) -> float:
    """Row height in points that shows every cell of a row whole when it wraps: the tallest cell's
    line count (:func:`wrapped_line_count` at that column's width) times the line height for
    ``font_size`` plus padding.  ``texts`` and ``widths`` run in column order."""
    lines = max((wrapped_line_count(t, w) for t, w in zip(texts, widths) if t), default=1)
    return round(lines * LINE_HEIGHT_PT * font_size / 11.0 + ROW_PADDING_PT, 1)


def _write_table(
    ws: Worksheet,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any] | Sequence[Any]],
    *,
    date_columns: Iterable[str] = (),
    int_columns: Iterable[str] = (),
    highlight: Callable[[Any], bool] | None = None,
    number_column: str | None = "序号",
    header_row: int = 1,
    fixed_widths: Mapping[str, float] | None = None,
) -> None:
    """Header in ``header_row``, data below, frozen header, AutoFilter, widths, wrapping, and a row
    height stored for every row so that LibreOffice and WPS (which do not grow rows to fit on
    opening) show and print whole rows.  ``fixed_widths`` sets a column's width instead of fitting
    it to the content."""
    date_set, int_set = set(date_columns), set(int_columns)
    fixed = dict(fixed_widths or {})
    ncols = len(columns)
    widths = [display_width(str(c)) for c in columns]
    header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)

    for j, name in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=j)
        _set(cell, str(name))
        cell.font = _FONT_BOLD
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = header_align

    coerced_rows = []
    for i, row in enumerate(rows, start=1):
        raw = _row_values(row, columns)
        values = [
            _coerce(v, as_date=c in date_set, as_int=c in int_set) for c, v in zip(columns, raw)
        ]
        if number_column in columns:
            k = list(columns).index(number_column)
            if values[k] in (None, ""):
                values[k] = i
        coerced_rows.append((row, values))
        for j, v in enumerate(values):
            text = _text_for_width(v)
            longest = max((display_width(line) for line in text.split("\n")), default=0)
            widths[j] = max(widths[j], longest)

    final_widths = [
        float(fixed[c]) if c in fixed else float(max(MIN_WIDTH, min(MAX_WIDTH, w + 2)))
        for c, w in zip(columns, widths)
    ]
    # Every cell wraps: text never runs into the next cell, and the stored height makes room for it.
    aligns = [
        Alignment(
            horizontal="center" if columns[j] in date_set or columns[j] in int_set else None,
            vertical="top",
            wrap_text=True,
        )
        for j in range(ncols)
    ]

    ws.row_dimensions[header_row].height = row_height([str(c) for c in columns], final_widths)
    for r, (row, values) in enumerate(coerced_rows, start=header_row + 1):
        fill = OVERDUE_FILL if highlight is not None and _safe_bool(highlight, row) else None
        for j, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=j)
            _set(cell, v)
            cell.font = _FONT
            cell.border = _BORDER
            cell.alignment = aligns[j - 1]
            if fill is not None:
                cell.fill = fill
        ws.row_dimensions[r].height = row_height([_text_for_width(v) for v in values], final_widths)

    for j, w in enumerate(final_widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w

    last_col = get_column_letter(max(ncols, 1))
    ws.freeze_panes = f"A{header_row + 1}"
    ws.auto_filter.ref = f"A{header_row}:{last_col}{len(coerced_rows) + header_row}"
    # Printing: A4 landscape, fit all columns on the page width, header on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25


def _header_text(text: str) -> str:
    """Text for a print header section: one line, ``&`` escaped (it starts a code), ≤ 120 chars."""
    return printable(str(text or ""), multiline=False).replace("&", "&&")[:120]


def _print_header(ws: Worksheet, *, left: str = "", center: str = "", right: str = "") -> None:
    """Print header (left / centre / right) on every page and the page-number footer."""
    for part, text in (("left", left), ("center", center), ("right", right)):
        if text:
            getattr(ws.oddHeader, part).text = _header_text(text)
            getattr(ws.oddHeader, part).size = 10
    ws.oddFooter.center.text = PAGE_FOOTER
    ws.oddFooter.center.size = 10


def _safe_bool(fn: Callable[[Any], bool], row: Any) -> bool:
    try:
        return bool(fn(row))
    except (KeyError, TypeError, AttributeError):
        return False


def _sheet_title(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "", printable(str(name), multiline=False)).strip("'").strip() or "Sheet1"
    return cleaned[:31]


def _new_workbook() -> Workbook:
    """A workbook whose default font is 宋体 11 pt.  Excel, WPS and LibreOffice measure column widths
    in the default font's "0"; with 宋体 that is half a Chinese character on every Chinese desktop,
    so a width of N holds N/2 characters everywhere and :func:`wrapped_line_count` holds for all."""
    from openpyxl.utils.indexed_list import IndexedList

    wb = Workbook()
    wb._fonts = IndexedList([_FONT])  # index 0 is the workbook default (openpyxl keeps it private)
    wb._named_styles["Normal"].font = _FONT
    return wb


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _set_properties(wb: Workbook, title: str, generated_at: datetime | None) -> None:
    wb.properties.title = printable(title, multiline=False)
    wb.properties.creator = "医共体核查整改"
    wb.properties.language = "zh-CN"
    if generated_at is not None:
        utc_naive = as_utc(generated_at).replace(tzinfo=None)
        wb.properties.created = utc_naive
        wb.properties.modified = utc_naive


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------


def _is_overdue_flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip() == "是")


def compute_summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, float | int]:
    """The 汇总 figures from ledger rows.

    问题总数 counts all rows; 已销号/待整改/整改中/待验收 count 整改状态; 已超期
    counts rows marked 是否超期 = 是 that are not yet 已销号 (an item closed late
    is no longer "overdue"); 销号率 = 已销号 / 问题总数 as a fraction (0 when empty).
    """
    rows = list(rows)
    total = len(rows)
    status = [str(r.get("整改状态") or "").strip() for r in rows]
    closed = status.count("已销号")
    out: dict[str, float | int] = {
        "问题总数": total,
        "已销号": closed,
        "销号率": (closed / total) if total else 0.0,
        "待整改": status.count("待整改"),
        "整改中": status.count("整改中"),
        "待验收": status.count("待验收"),
        "已超期": sum(
            1 for r, s in zip(rows, status) if _is_overdue_flag(r.get("是否超期")) and s != "已销号"
        ),
    }
    return out


# ---------------------------------------------------------------------------
# Public builders
# ---------------------------------------------------------------------------


def build_ledger(
    rows: Iterable[Mapping[str, Any]],
    *,
    title: str,
    generated_at: datetime,
    summary: Mapping[str, Any] | None = None,
    highlight: Callable[[Mapping[str, Any]], bool] | None = None,
) -> bytes:
    """The 整改台账 workbook as bytes: sheet 整改台账 (one row per item, columns ``LEDGER_COLUMNS``,
    printed on A3) and sheet 汇总 (figures, per-county table, generation time, title).

    A thin wrapper over the app's one ledger writer, :func:`.ledger_stream.write_ledger` (the route
    and the background job use that directly), so there is one ledger layout.  ``summary``
    overrides computed figures (keys from ``SUMMARY_LABELS``; 销号率 as a fraction).
    ``highlight(row)`` picks the rows tinted light red (default: ``row['是否超期'] == '是'``).
    ``generated_at`` is UTC (naive = UTC).
    """
    import os
    import tempfile

    from .ledger_stream import write_ledger

    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        write_ledger(path, [list(rows)], title=title, generated_at=generated_at, summary=summary,
                     highlight=highlight)
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        os.unlink(path)


def build_simple_table(
    sheet_title: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any] | Sequence[Any]],
    *,
    date_columns: Iterable[str] = (),
    title_lines: Sequence[str] = (),
    print_header: tuple[str, str, str] | None = None,
    widths: Mapping[str, float] | None = None,
) -> bytes:
    """One-sheet export with the ledger conventions (frozen header, filter, real
    dates, fitted widths, stored row heights, page numbers in the footer).

    ``rows`` are dicts keyed by column name or sequences in column order.  Columns
    named in ``date_columns`` become date cells (ISO strings are parsed);
    ``date``/``datetime`` values are date cells anywhere.  Every cell wraps; the row
    height is computed for the wrapped text.  ``title_lines`` go above the header
    (the first as a bold title, the others as smaller lines, each merged across the
    table), so the header row is ``len(title_lines) + 1``.  ``print_header`` is the
    (left, centre, right) text printed at the top of every page; ``widths`` fixes
    column widths (Excel units) by column name instead of fitting them.
    """
    columns = list(columns)
    wb = _new_workbook()
    ws = wb.active
    ws.title = _sheet_title(sheet_title)
    last = max(len(columns), 1)
    for r, line in enumerate(title_lines, start=1):
        cell = ws.cell(row=r, column=1)
        _set(cell, printable(str(line), multiline=False))
        first = r == 1
        cell.font = Font(name="宋体", size=16 if first else 11, bold=first)
        cell.alignment = Alignment(horizontal="center" if first else "left", vertical="center", wrap_text=True)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=last)
        ws.row_dimensions[r].height = 30 if first else 20
    _write_table(
        ws,
        columns,
        list(rows),
        date_columns=date_columns,
        int_columns=[c for c in columns if c in LEDGER_INT_COLUMNS],
        header_row=len(title_lines) + 1,
        fixed_widths=widths,
    )
    left, center, right = print_header or ("", "", "")
    _print_header(ws, left=left, center=center, right=right)
    _set_properties(wb, sheet_title, None)
    return _save(wb)


def build_tables(
    title: str,
    sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]],
    *,
    generated_at: datetime | None = None,
) -> bytes:
    """Several sheets with the ledger conventions, one ``(sheet title, columns,
    rows)`` each, in order (e.g. a report's 总体情况 and one sheet per
    breakdown).  ``generated_at`` fixes the workbook's created/modified
    properties, so the same figures give the same file whenever it is built.  Every sheet prints
    ``title`` at the top of each page and 第 N 页 共 M 页 in the footer, so a printed page says
    which report it belongs to (issue 14)."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet_title, columns, rows in sheets:
        ws = wb.create_sheet(_sheet_title(sheet_title))
        _write_table(ws, list(columns), list(rows), number_column=None)
        _print_header(ws, center=title)
    _set_properties(wb, title, generated_at)
    return _save(wb)


# ---------------------------------------------------------------------------
# File names and the download header
# ---------------------------------------------------------------------------

_UNSAFE_FILENAME = re.compile(r'[/\\:*?"<>|]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_FILENAME_BYTES = 200


def _split_ext(name: str) -> tuple[str, str]:
    m = re.search(r"(\.[A-Za-z0-9]{1,8})$", name)
    if m:
        return name[: m.start()], m.group(1)
    return name, ""


def safe_filename(name: str, default: str = "download") -> str:
    """A file name safe on Windows, macOS and Linux that keeps its Chinese:
    drops ``/ \\ : * ? " < > |`` and control characters, trims spaces and dots
    at the ends, avoids reserved device names and caps the length at 200 UTF-8
    bytes (keeping the extension).  ``'新野县整改台账_2022-07-25.xlsx'`` is unchanged.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    text = _UNSAFE_FILENAME.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    stem, ext = _split_ext(text)
    stem = stem.strip(" .")
    if not stem:
        stem = default
    if stem.upper().split(".")[0] in _WINDOWS_RESERVED:
        stem = "_" + stem
    budget = MAX_FILENAME_BYTES - len(ext.encode("utf-8"))
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return stem.rstrip(" .") + ext


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``Content-Disposition`` for a ready-made file name; the one implementation is
    :func:`inspect_app.documents.download_names.content_disposition` (new downloads build their
    name with :func:`inspect_app.documents.download_names.download_name`)."""
    from .download_names import content_disposition as header

    return header(filename, inline=inline)
