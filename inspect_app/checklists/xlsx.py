"""XLSX exchange format for one checklist version (核查表), one row per item.

Pure Python on top of openpyxl: no Flask, no database. The dict shape is the
one of ``default_template.DEFAULT_TEMPLATE`` (name, version_label, sections →
items).

Sheet “核查表”, header in row 1, columns in this order::

    章节编号 | 章节名称 | 条目编号 | 核查内容 | 核查方法 | 适用点位类型 | 需拍照 | 分值 | 一票否决 | 核查要点

* 核查方法: 查资料 / 看现场 / 访谈 (the codes documents / onsite / interview are accepted on import);
* 适用点位类型: Chinese site-kind names separated by 、 (codes accepted on import; ，,；; and
  line breaks are accepted as separators too);
* 需拍照, 一票否决: 是 / 否 (an empty cell means 否);
* 分值: a non-negative number, or empty;
* 核查要点: free text, may be empty.

Import is all-or-nothing: every row is checked, every problem is reported with
its Excel row number and column, and ``template`` is None as soon as there is
one error. Import tolerates a title row or two above the header, blank rows,
extra columns and columns in another order; row numbers in messages are always
the row numbers Excel shows.

The checklist name and version label travel in the workbook properties
(title / version). Import returns them as hints (None when absent); the app
should let the administrator confirm or change them, since a re-imported file
is usually meant to become a new version.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from dataclasses import dataclass, field

from defusedxml.ElementTree import iterparse
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation

from inspect_app.documents.text import printable
from inspect_app.documents.workbook import row_height
from inspect_app.documents.xlsx_guard import RejectedWorkbook, check_xlsx

from .default_template import METHOD_LABELS, SITE_KIND_NAMES

__all__ = [
    "COLUMNS",
    "ImportResult",
    "NOT_XLSX_MESSAGE",
    "RowError",
    "SHEET_TITLE",
    "export_version",
    "import_version",
    "template_issues",
]

COL_SECTION_CODE = "章节编号"
COL_SECTION_TITLE = "章节名称"
COL_CODE = "条目编号"
COL_CONTENT = "核查内容"
COL_METHOD = "核查方法"
COL_SITE_KINDS = "适用点位类型"
COL_PHOTO = "需拍照"
COL_WEIGHT = "分值"
COL_VETO = "一票否决"
COL_GUIDANCE = "核查要点"

#: Header row, in export order.
COLUMNS: tuple[str, ...] = (
    COL_SECTION_CODE, COL_SECTION_TITLE, COL_CODE, COL_CONTENT, COL_METHOD,
    COL_SITE_KINDS, COL_PHOTO, COL_WEIGHT, COL_VETO, COL_GUIDANCE,
)
#: Columns whose cells may not be empty.
REQUIRED_COLUMNS: tuple[str, ...] = (
    COL_SECTION_CODE, COL_SECTION_TITLE, COL_CODE, COL_CONTENT, COL_METHOD, COL_SITE_KINDS,
)

SHEET_TITLE = "核查表"
HELP_SHEET_TITLE = "填写说明"
NOT_XLSX_MESSAGE = "文件不是有效的 Excel（.xlsx）文件"
SITE_KIND_SEPARATOR = "、"

#: Refuse files with more data rows than this (a checklist has tens to a few hundred items).
MAX_ITEMS = 2000
#: How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS = 10

_COLUMN_WIDTHS = {
    COL_SECTION_CODE: 9, COL_SECTION_TITLE: 13, COL_CODE: 9, COL_CONTENT: 56,
    COL_METHOD: 9, COL_SITE_KINDS: 30, COL_PHOTO: 8, COL_WEIGHT: 7, COL_VETO: 9,
    COL_GUIDANCE: 50,
}
_WRAPPED = {COL_SECTION_TITLE, COL_CONTENT, COL_SITE_KINDS, COL_GUIDANCE}

_METHOD_BY_LABEL = {label: code for code, label in METHOD_LABELS.items()}
_METHOD_CHOICES = "、".join(list(METHOD_LABELS.values())[:-1]) + " 或 " + list(METHOD_LABELS.values())[-1]
_YES, _NO = "是", "否"
_SPLIT_SITE_KINDS = re.compile(r"[、，,；;\n\r]+")
#: Common alternative spellings of the built-in kinds (used only when the target code is known).
_SITE_KIND_ALIASES = {
    "乡镇卫生院": "township_center",
    "社区卫生服务中心": "township_center",
    "县医院": "county_hospital",
    "医共体办公室": "office",
    "医保药械运营部": "dept_operations",
}


@dataclass(frozen=True)
class RowError:
    """One problem found on import.

    ``row`` is the Excel row number (0 for problems with the whole file),
    ``column`` the header name ('' when not about one column), ``message`` the
    complete Chinese sentence to show, e.g.
    「第 5 行「核查方法」：无法识别“看资料”，应为 查资料、看现场 或 访谈」.
    """

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class ImportResult:
    """``template`` is the parsed dict, or None when ``errors`` is not empty."""

    template: dict | None
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.template is not None and not self.errors


# --------------------------------------------------------------------------
# validation of a template dict
# --------------------------------------------------------------------------

def template_issues(template: dict, site_kind_codes=None) -> list[str]:
    """Structural problems of a template dict, as Chinese sentences ([] when fine).

    Checks: at least one section; section codes and titles present and codes
    unique; no empty section; item codes present and unique across the whole
    template; content present; method valid; at least one site kind and all of
    them known (``site_kind_codes``, default the built-in kinds); weight None or
    a non-negative number; photo_required / veto booleans.
    """
    known_kinds = set(SITE_KIND_NAMES if site_kind_codes is None else site_kind_codes)
    issues: list[str] = []
    sections = template.get("sections") if isinstance(template, dict) else None
    if not sections:
        return ["核查表没有任何章节"]

    seen_sections: set[str] = set()
    seen_items: set[str] = set()
    for s_index, section in enumerate(sections, start=1):
        s_code = _plain(section.get("code"))
        s_title = _plain(section.get("title"))
        label = f"章节 {s_code}" if s_code else f"第 {s_index} 个章节"
        if not s_code:
            issues.append(f"第 {s_index} 个章节缺少章节编号")
        elif s_code in seen_sections:
            issues.append(f"章节编号“{s_code}”重复")
        seen_sections.add(s_code)
        if not s_title:
            issues.append(f"{label}缺少章节名称")
        issues += _too_long(label, {"章节编号": (s_code, 16), "章节名称": (s_title, 128)})
        items = section.get("items") or []
        if not items:
            issues.append(f"{label}（{s_title}）没有条目" if s_title else f"{label}没有条目")
            continue
        for i_index, item in enumerate(items, start=1):
            code = _plain(item.get("code"))
            if not code:
                issues.append(f"{label}第 {i_index} 个条目缺少条目编号")
                code = f"{label}第 {i_index} 个条目"
            elif code in seen_items:
                issues.append(f"条目编号“{code}”重复")
            seen_items.add(code)
            if not _plain(item.get("content")):
                issues.append(f"条目 {code}：核查内容不能为空")
            issues += _too_long(f"条目 {code}", {"条目编号": (code, 32), "核查内容": (_plain(item.get("content")), 2000),
                                                "核查要点": (_plain(item.get("guidance")), 2000)})
            method = item.get("method")
            if method not in METHOD_LABELS:
                issues.append(f"条目 {code}：核查方法“{method}”无效，应为 {', '.join(METHOD_LABELS)}")
            kinds = item.get("site_kinds") or []
            if not kinds:
                issues.append(f"条目 {code}：未指定适用点位类型")
            unknown = [k for k in kinds if k not in known_kinds]
            if unknown:
                issues.append(f"条目 {code}：未知的点位类型 {'、'.join(map(str, unknown))}")
            if len(set(kinds)) != len(kinds):
                issues.append(f"条目 {code}：适用点位类型有重复")
            weight = item.get("weight")
            if weight is not None:
                if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
                    issues.append(f"条目 {code}：分值“{weight}”不是有效的数字")
                elif weight < 0:
                    issues.append(f"条目 {code}：分值不能为负数")
            for key, name in (("photo_required", COL_PHOTO), ("veto", COL_VETO)):
                if not isinstance(item.get(key, False), bool):
                    issues.append(f"条目 {code}：“{name}”应为 是 或 否")
    return issues


def _too_long(label: str, values: dict[str, tuple[str, int]]) -> list[str]:
    """The columns' and the item form's limits, so an import cannot store what the form refuses."""
    return [f"{label}：{name}不超过 {limit} 字" for name, (text, limit) in values.items() if len(text) > limit]


# --------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------

def export_version(template_dict: dict, site_kind_names: dict[str, str] | None = None) -> bytes:
    """Write one checklist version as an .xlsx file and return its bytes.

    ``site_kind_names`` maps site-kind code → Chinese name (default: the
    built-in kinds); a code with no name is written as the code itself.
    """
    names = SITE_KIND_NAMES if site_kind_names is None else site_kind_names
    name = template_dict.get("name") or ""
    version_label = template_dict.get("version_label") or ""
    sections = template_dict.get("sections") or []

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")

    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    item_count = 0
    for section in sections:
        for item in section.get("items") or []:
            item_count += 1
            weight = item.get("weight")
            ws.append([printable(value) for value in (
                section.get("code") or "",
                section.get("title") or "",
                item.get("code") or "",
                item.get("content") or "",
                METHOD_LABELS.get(item.get("method"), item.get("method") or ""),
                SITE_KIND_SEPARATOR.join(names.get(k, k) for k in item.get("site_kinds") or []),
                _YES if item.get("photo_required") else _NO,
                None if weight is None else weight,
                _YES if item.get("veto") else _NO,
                item.get("guidance") or "",
            )])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text

    last_row = item_count + 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = _COLUMN_WIDTHS[column]
        alignment = Alignment(
            vertical="top",
            wrap_text=column in _WRAPPED,
            horizontal="left" if column in _WRAPPED else "center",
        )
        for (cell,) in ws.iter_rows(min_row=2, max_row=last_row, min_col=index, max_col=index):
            cell.alignment = alignment
            cell.border = border
    # Stored row heights: LibreOffice and WPS print a wrapped cell at the row's stored height, so
    # without one the wrapped lines of 核查内容 / 核查方法说明 print over the next row (issue 14).
    wrapped = [c for c in COLUMNS if c in _WRAPPED]
    widths = [_COLUMN_WIDTHS[c] for c in wrapped]
    for row in ws.iter_rows(min_row=2, max_row=last_row):
        texts = [str(row[COLUMNS.index(c)].value or "") for c in wrapped]
        ws.row_dimensions[row[0].row].height = row_height(texts, widths)

    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last_row}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    # Drop-down lists to help whoever edits the file in Excel or WPS.
    spare = last_row + 500
    for column, choices in ((COL_METHOD, list(METHOD_LABELS.values())),
                            (COL_PHOTO, [_YES, _NO]), (COL_VETO, [_YES, _NO])):
        letter = get_column_letter(COLUMNS.index(column) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle=column,
                            error=f"请选择 {'、'.join(choices)}")
        dv.add(f"{letter}2:{letter}{spare}")
        ws.add_data_validation(dv)
    letter = get_column_letter(COLUMNS.index(COL_WEIGHT) + 1)
    dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                        showErrorMessage=True, errorTitle=COL_WEIGHT, error="分值应为不小于 0 的数字，可留空")
    dv.add(f"{letter}2:{letter}{spare}")
    ws.add_data_validation(dv)

    _write_help_sheet(wb.create_sheet(HELP_SHEET_TITLE), names)

    props = wb.properties
    props.title = printable(name, multiline=False)
    props.version = printable(version_label, multiline=False)
    props.subject = "医共体核查表"
    props.creator = "医共体核查整改"
    props.keywords = "核查表;医共体"
    props.description = printable(f"{name}（{version_label}）" if version_label else name, multiline=False) + \
        f"：{len(sections)} 个章节，{item_count} 个条目"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_help_sheet(ws, names: dict[str, str]) -> None:
    bold = Font(bold=True)
    rows = [
        ("列", "填写要求"),
        (COL_SECTION_CODE, "必填。同一章节编号的各行，章节名称必须一致。"),
        (COL_SECTION_TITLE, "必填，例如 责任共同体。"),
        (COL_CODE, "必填，全表唯一，例如 A01。"),
        (COL_CONTENT, "必填，一句可核实的表述。"),
        (COL_METHOD, "必填：" + "、".join(METHOD_LABELS.values()) + "。"),
        (COL_SITE_KINDS, "必填：下列点位类型名称，多个用“、”分隔。"),
        (COL_PHOTO, "是 或 否，留空视为 否。"),
        (COL_WEIGHT, "不小于 0 的数字，可留空。"),
        (COL_VETO, "是 或 否，留空视为 否。"),
        (COL_GUIDANCE, "可选，核查时的具体做法和判定标准。"),
        ("", ""),
        ("点位类型名称", "编码"),
        *((name, code) for code, name in names.items()),
    ]
    for row in rows:
        ws.append([printable(value) for value in row])
    for row_index in (1, 13):
        for cell in ws[row_index]:
            cell.font = bold
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 60


# --------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------

def import_version(data: bytes, site_kind_names: dict[str, str] | None = None) -> ImportResult:
    """Parse and validate an .xlsx checklist; all-or-nothing.

    ``site_kind_names`` maps site-kind code → Chinese name for the kinds the
    app knows (default: the built-in ones). Cells may hold names or codes.
    """
    names = dict(SITE_KIND_NAMES if site_kind_names is None else site_kind_names)
    try:
        check_xlsx(data)
    except RejectedWorkbook as rejected:
        return ImportResult(None, [RowError(0, "", rejected.message)])
    rows, props = _read_rows(data)
    if rows is None:
        return ImportResult(None, [RowError(0, "", NOT_XLSX_MESSAGE)])
    if isinstance(rows, RowError):
        return ImportResult(None, [rows])

    nonblank = [(number, values) for number, values in rows if any(_text(v) for v in values)]
    if not nonblank:
        return ImportResult(None, [RowError(0, "", "工作簿为空：没有表头，也没有核查条目")])

    header = _find_header(nonblank)
    if isinstance(header, RowError):
        return ImportResult(None, [header])
    header_row, positions = header

    data_rows = [(n, v) for n, v in nonblank if n > header_row]
    if not data_rows:
        return ImportResult(None, [RowError(0, "", f"没有核查条目：第 {header_row} 行表头下方没有数据行")])

    parser = _RowParser(names)
    for number, values in data_rows:
        cells = {col: (values[pos] if pos < len(values) else None) for col, pos in positions.items()}
        parser.parse(number, cells)

    errors = sorted(parser.errors, key=lambda e: (e.row, _column_order(e.column)))
    if errors:
        return ImportResult(None, errors)

    template = {
        "name": props.get("title"),
        "version_label": props.get("version"),
        "sections": parser.sections,
    }
    issues = template_issues(template, names)
    if issues:  # should not happen once the rows passed, but never publish a bad template
        return ImportResult(None, [RowError(0, "", message) for message in issues])
    return ImportResult(template, [])


def _read_rows(data):
    """(list of (excel_row_number, values), properties) or (None, {}) when not an xlsx."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        return None, {}
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # zipfile.BadZipFile, InvalidFileException, KeyError, XML errors…
        return None, {}
    try:
        props = {
            "title": _plain(wb.properties.title) or None,
            "version": _plain(wb.properties.version) or None,
        }
        worksheets = wb.worksheets
        if not worksheets:
            return [], props
        ws = wb[SHEET_TITLE] if SHEET_TITLE in wb.sheetnames else worksheets[0]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some generators write a wrong <dimension>; read every row
        rows = []
        nonblank_data = 0
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            values = tuple(values)
            rows.append((number, values))
            if any(_text(v) for v in values):
                nonblank_data += 1
                if nonblank_data > MAX_ITEMS + HEADER_SEARCH_ROWS:
                    return RowError(0, "", f"条目过多：一个核查表最多 {MAX_ITEMS} 个条目"), props
        return _fill_merged_down(rows, _merged_ranges(ws)), props
    except Exception:
        return None, {}
    finally:
        wb.close()


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a read-only worksheet as (min_col, min_row, max_col, max_row).

    openpyxl's read-only mode (kept for its bounded memory) does not read ``<mergeCells>``, so the
    sheet part is streamed once more for its ``<mergeCell ref="A2:A9"/>`` elements; check_xlsx has
    already refused entity declarations and bounded the part's size."""
    ranges = []
    with ws._get_source() as source:  # openpyxl keeps the part's reader private
        for _event, element in iterparse(source, events=("end",)):
            if element.tag.endswith("}mergeCell") and element.get("ref"):
                try:
                    ranges.append(range_boundaries(element.get("ref")))
                except (TypeError, ValueError):
                    continue
            if not element.tag.endswith("}mergeCells"):
                element.clear()
    return [r for r in ranges if None not in r]


def _fill_merged_down(rows, ranges):
    """Give every row a merged range spans the range's value in its first column: people merge
    章节编号 / 章节名称 down each section, and Excel stores the value in the top cell only.  A row
    left blank apart from the merge stays blank (it is skipped like any blank row)."""
    if not ranges:
        return rows
    by_number = {number: list(values) for number, values in rows}
    for min_col, min_row, _max_col, max_row in ranges:
        top = by_number.get(min_row)
        if top is None or max_row <= min_row or len(top) < min_col:
            continue
        value = top[min_col - 1]
        for number in range(min_row + 1, max_row + 1):
            values = by_number.get(number)
            if values is None or not any(_text(v) for v in values):
                continue
            if len(values) < min_col:
                values.extend([None] * (min_col - len(values)))
            values[min_col - 1] = value
    return [(number, tuple(by_number[number])) for number, _values in rows]


def _header_key(value) -> str:
    text = unicodedata.normalize("NFKC", _text(value))
    return re.sub(r"[\s*]+", "", text)


def _find_header(nonblank):
    """(header_row_number, {column: position}) or a RowError."""
    best = None
    for number, values in nonblank[:HEADER_SEARCH_ROWS]:
        keys = [_header_key(v) for v in values]
        matches = sum(1 for c in COLUMNS if c in keys)
        if matches and (best is None or matches > best[0]):
            best = (matches, number, keys)
    expected = "、".join(COLUMNS)
    if best is None:
        first = nonblank[0][0]
        return RowError(first, "", f"第 {first} 行（表头）：未找到表头，第一行应依次为 {expected}")
    _, number, keys = best
    positions: dict[str, int] = {}
    duplicated = []
    for position, key in enumerate(keys):
        if key in COLUMNS:
            if key in positions:
                duplicated.append(key)
            else:
                positions[key] = position
    missing = [c for c in COLUMNS if c not in positions]
    problems = []
    if missing:
        problems.append("缺少列" + "".join(f"「{c}」" for c in missing))
    if duplicated:
        problems.append("重复的列" + "".join(f"「{c}」" for c in dict.fromkeys(duplicated)))
    if problems:
        return RowError(number, "", f"第 {number} 行（表头）：" + "；".join(problems) + f"。表头应依次为 {expected}")
    return number, positions


def _column_order(column: str) -> int:
    return COLUMNS.index(column) if column in COLUMNS else -1


class _RowParser:
    """Accumulates sections and errors row by row."""

    def __init__(self, names: dict[str, str]):
        self.kind_lookup: dict[str, str] = {}
        for code in names:
            self.kind_lookup[_kind_key(code)] = code
        for code, name in names.items():
            self.kind_lookup[_kind_key(name)] = code
        for alias, code in _SITE_KIND_ALIASES.items():
            if code in names:
                self.kind_lookup.setdefault(_kind_key(alias), code)
        self.sections: list[dict] = []
        self._section_by_code: dict[str, tuple[dict, int]] = {}
        self._item_rows: dict[str, int] = {}
        self.errors: list[RowError] = []

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, f"第 {row} 行「{column}」：{message}"))

    def parse(self, row: int, cells: dict) -> None:
        text = {col: _text(cells[col]) for col in COLUMNS}
        ok = True
        for col in REQUIRED_COLUMNS:
            if not text[col]:
                self.error(row, col, "不能为空")
                ok = False

        section = None
        s_code, s_title = text[COL_SECTION_CODE], text[COL_SECTION_TITLE]
        if s_code and s_title:
            known = self._section_by_code.get(s_code)
            if known is None:
                section = {"code": s_code, "title": s_title, "items": []}
            elif known[0]["title"] != s_title:
                first_section, first_row = known
                self.error(row, COL_SECTION_TITLE,
                           f"章节 {s_code} 在第 {first_row} 行名为“{first_section['title']}”，"
                           f"此处为“{s_title}”，同一章节编号的名称必须一致")
                ok = False
            else:
                section = known[0]

        code = text[COL_CODE]
        if code:
            if code in self._item_rows:
                self.error(row, COL_CODE, f"“{code}”与第 {self._item_rows[code]} 行重复")
                ok = False
            else:
                self._item_rows[code] = row

        method = None
        if text[COL_METHOD]:
            key = unicodedata.normalize("NFKC", text[COL_METHOD]).replace(" ", "")
            method = _METHOD_BY_LABEL.get(key) or (key.lower() if key.lower() in METHOD_LABELS else None)
            if method is None:
                self.error(row, COL_METHOD, f"无法识别“{text[COL_METHOD]}”，应为 {_METHOD_CHOICES}")
                ok = False

        kinds: list[str] = []
        if text[COL_SITE_KINDS]:
            unknown = []
            for token in _SPLIT_SITE_KINDS.split(text[COL_SITE_KINDS]):
                token = token.strip()
                if not token:
                    continue
                code_for = self.kind_lookup.get(_kind_key(token))
                if code_for is None:
                    unknown.append(token)
                elif code_for not in kinds:
                    kinds.append(code_for)
            if unknown:
                listed = "、".join(f"“{t}”" for t in unknown)
                self.error(row, COL_SITE_KINDS,
                           f"无法识别点位类型{listed}，应为系统中已有的点位类型名称（见“{HELP_SHEET_TITLE}”工作表），"
                           f"多个用“、”分隔")
                ok = False
            elif not kinds:
                self.error(row, COL_SITE_KINDS, "不能为空")
                ok = False

        photo = self._yes_no(row, COL_PHOTO, cells[COL_PHOTO])
        veto = self._yes_no(row, COL_VETO, cells[COL_VETO])
        weight = self._weight(row, cells[COL_WEIGHT])
        if photo is None or veto is None or weight is _BAD:
            ok = False

        if not ok or section is None:
            return
        if s_code not in self._section_by_code:
            self._section_by_code[s_code] = (section, row)
            self.sections.append(section)
        section["items"].append({
            "code": code,
            "content": text[COL_CONTENT],
            "method": method,
            "site_kinds": kinds,
            "photo_required": photo,
            "weight": weight,
            "veto": veto,
            "guidance": text[COL_GUIDANCE],
        })

    def _yes_no(self, row: int, column: str, value):
        if isinstance(value, bool):
            return value
        text = unicodedata.normalize("NFKC", _text(value)).replace(" ", "")
        if text in ("", _NO):
            return False
        if text == _YES:
            return True
        self.error(row, column, f"无法识别“{_text(value)}”，应为 是 或 否")
        return None

    def _weight(self, row: int, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, (int, float)):
            number = float(value)
        else:
            text = unicodedata.normalize("NFKC", _text(value)).replace(" ", "")
            try:
                number = float(text)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            self.error(row, COL_WEIGHT, f"“{_text(value)}”不是有效的数字")
            return _BAD
        if number < 0:
            self.error(row, COL_WEIGHT, f"不能为负数（{_text(value)}）")
            return _BAD
        return number


_BAD = object()


def _kind_key(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _text(value) -> str:
    """A cell value as stripped text; integral floats lose their “.0”."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _YES if value else _NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return printable(str(value)).strip()  # the text rule: cells can carry _x000B_ escapes


def _plain(value) -> str:
    return "" if value is None else printable(str(value)).strip()
