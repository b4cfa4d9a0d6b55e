"""Word documents in the official layout of GB/T 9704-2012 (党政机关公文格式).

Pure builders: plain data in, ``.docx`` bytes out.  No Flask, no database.

Layout (domain.md §8):

* A4, margins top 37 mm / bottom 35 mm / left 28 mm / right 26 mm, giving the
  standard 156 × 225 mm 版心 (text block).
* Title: 方正小标宋简体 二号 (22 pt), centred.
* Body: 仿宋_GB2312 三号 (16 pt), fixed 28 pt line spacing (22 lines a page),
  first-line indent of two characters.
* Headings numbered by depth — 一、 （一） 1. （1） — in 黑体, 楷体_GB2312,
  仿宋_GB2312, 仿宋_GB2312.  Callers pass plain headings; the builder numbers.
* Issuer and date at the end, right-aligned with the 公文 offsets (署名右空二字,
  成文日期首字比署名首字右移二字).
* Page numbers ``— 1 —`` in the footer (宋体 四号), odd pages right, even pages left.

Fonts are *named*, not embedded: Word and WPS substitute a missing font.  The
East Asian font has to be set on ``w:rFonts/@w:eastAsia`` (python-docx's
``font.name`` sets only ascii/hAnsi), and the font table carries ``w:altName``
hints (仿宋_GB2312 → 仿宋, 楷体_GB2312 → 楷体, 方正小标宋简体 → 宋体) so Word
falls back to the fonts every Chinese Windows has.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping, Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, Twips

from inspect_app.rectification.date_rules import start_of_day_utc

from .dates import cn_date, cn_date_range
from .images import DocumentImage
from .text import printable
from .words import balanced_lines

__all__ = [
    "Table",
    "Section",
    "OfficialDocument",
    "build_official_document",
    "AnnexPhoto",
    "PhotoGroup",
    "problem_list_document",
    "heading_number",
    "cn_numeral",
    "FONT_TITLE",
    "FONT_BODY",
    "FONT_HEADING_1",
    "FONT_HEADING_2",
    "FONT_PAGE_NUMBER",
]

# ---------------------------------------------------------------------------
# Layout constants
# ---------------------------------------------------------------------------

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEADING_1 = "黑体"
FONT_HEADING_2 = "楷体_GB2312"
FONT_PAGE_NUMBER = "宋体"
FONT_TABLE = FONT_BODY
FONT_TABLE_HEADER = FONT_HEADING_1

# Substitutes written to the font table (w:altName); present on any Chinese Windows.
FONT_ALT_NAMES = {
    FONT_TITLE: "宋体",
    FONT_BODY: "仿宋",
    FONT_HEADING_2: "楷体",
}

PAGE_WIDTH = Twips(11906)  # 210 mm
PAGE_HEIGHT = Twips(16838)  # 297 mm
MARGIN_TOP = Mm(37)
MARGIN_BOTTOM = Mm(35)
MARGIN_LEFT = Mm(28)
MARGIN_RIGHT = Mm(26)
TEXT_WIDTH_MM = 210 - 28 - 26  # 156 mm
# The page-number dash sits 7 mm below the text block (GB/T 9704 §7.5): the
# footer line (四号 ≈ 5 mm high) is centred 28 mm above the page edge.
FOOTER_DISTANCE = Mm(25.5)
HEADER_DISTANCE = Mm(15)

# The document grid (GB/T 9704 §5.2.2: 22 lines a page, 28 characters a line).  The text block is
# measured in the twips Word stores, so the pitches divide exactly what Word and LibreOffice lay out.
TEXT_WIDTH_TWIPS = PAGE_WIDTH.twips - Mm(28).twips - Mm(26).twips  # 8845 twips ≈ 156 mm
TEXT_HEIGHT_TWIPS = PAGE_HEIGHT.twips - Mm(37).twips - Mm(35).twips  # 12756 twips ≈ 225 mm
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
GRID_LINE_PITCH_TWIPS = TEXT_HEIGHT_TWIPS // LINES_PER_PAGE  # 579 twips = 28.95 pt
# w:charSpace is the character pitch minus the default font size (三号 16 pt), in 1/4096 pt
# (ECMA-376 §17.6.5): 8845 / 28 twips = 15.795 pt → −842, the value of Word's own 公文 template.
GRID_CHAR_SPACE = math.floor((TEXT_WIDTH_TWIPS / CHARS_PER_LINE / 20 - 16) * 4096)

# LibreOffice gives a character wider than the grid pitch two grid cells (14 characters a line), so
# text does not snap to the character grid (w:snapToGrid off, as many 公文 templates set it) and the
# 16 pt characters are condensed to a 15.7 pt advance instead: 28 fit the 442 pt line in Word, WPS
# and LibreOffice, 29 do not.  −5 twips (15.75 pt) was measured to leave 27 in LibreOffice.
CHAR_CONDENSE_TWIPS = -6
TITLE_CHARS_PER_LINE = int(TEXT_WIDTH_TWIPS // (22 * 20))  # 20 characters of 二号 a line

SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_TABLE = Pt(12)  # 小四
SIZE_PAGE_NUMBER = Pt(14)  # 四号
SIZE_CAPTION = Pt(10.5)  # 五号
PHOTO_BOX_MM = (72.0, 60.0)  # a photo fits this box inside its half-width (78 mm) cell
LINE_BODY = Twips(GRID_LINE_PITCH_TWIPS)  # fixed at the grid pitch: exactly 22 lines a page
LINE_TITLE = Pt(36)  # fixed, roomy enough that a 22 pt line is never clipped
BODY_CHAR_PT = 16  # one character of body text, for "空二字" style offsets

# Style ids (ASCII, as Word prefers) and their Chinese display names.
STYLE_TITLE = ("GwTitle", "公文标题")
STYLE_BODY = ("GwBody", "公文正文")
STYLE_PLAIN = ("GwPlain", "公文顶格")
STYLE_HEADINGS = (
    ("GwHeading1", "公文一级标题", FONT_HEADING_1),
    ("GwHeading2", "公文二级标题", FONT_HEADING_2),
    ("GwHeading3", "公文三级标题", FONT_BODY),
    ("GwHeading4", "公文四级标题", FONT_BODY),
)
STYLE_TABLE_TEXT = ("GwTableText", "公文表格")
STYLE_TABLE_HEADER = ("GwTableHeader", "公文表头")
STYLE_PAGE_NUMBER = ("GwPageNumber", "公文页码")


# ---------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------


@dataclass
class Table:
    """A bordered table; the header row repeats on every page."""

    columns: list[str]
    rows: list[list[str]]
    widths_mm: list[float] | None = None


@dataclass
class Section:
    """A numbered part of the body.  ``heading`` is plain text: the builder adds
    一、/（一）/1./（1） by depth.  Order within a section: heading, paragraphs,
    table, subsections."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    subsections: list["Section"] = field(default_factory=list)
    table: Table | None = None


@dataclass
class AnnexPhoto:
    """One photo of an annex: the prepared JPEG (documents.images.document_jpeg) and its caption
    lines (问题编号 and site, time taken, position when known)."""

    image: DocumentImage
    caption: list[str]


@dataclass
class PhotoGroup:
    """The photos of one item, under a line naming it (``'411329-2022-001　新野县人民医院'``)."""

    heading: str
    photos: list[AnnexPhoto]


@dataclass(kw_only=True)
class OfficialDocument:
    """One 公文.  ``recipient`` is the 主送机关 line including its colon
    (``'新野县医改办：'``).  ``closing`` paragraphs follow the numbered sections.
    ``attachments_note`` is an attachment name or a list of names (附件说明)."""

    title: str
    recipient: str | None = None
    intro: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    issuer: str
    issued_on: date
    attachments_note: str | list[str] | None = None
    # 附件：问题照片 — after the date, on its own pages, named in the 附件说明 too.
    photo_annex: list[PhotoGroup] = field(default_factory=list)
    photo_annex_title: str = "问题照片"


# ---------------------------------------------------------------------------
# Numbering
# ---------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """Chinese numeral as used in heading numbers: 1 → 一, 10 → 十, 12 → 十二,
    20 → 二十, 105 → 一百零五."""
    if n <= 0:
        raise ValueError("heading numbers start at 1")
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        tens, ones = divmod(n, 10)
        return _CN_DIGITS[tens] + "十" + (_CN_DIGITS[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        if rest == 0:
            tail = ""
        elif rest < 10:
            tail = "零" + _CN_DIGITS[rest]
        elif rest < 20:
            tail = "一" + cn_numeral(rest)  # 一百一十二
        else:
            tail = cn_numeral(rest)
        return _CN_DIGITS[hundreds] + "百" + tail
    return str(n)


def heading_number(depth: int, index: int) -> str:
    """The 公文 structural number for a heading: depth 1 → ``一、``, 2 → ``（一）``,
    3 → ``1.``, 4 → ``（1）``; deeper levels use ①②… (1-based depth and index)."""
    if depth == 1:
        return f"{cn_numeral(index)}、"
    if depth == 2:
        return f"（{cn_numeral(index)}）"
    if depth == 3:
        return f"{index}."
    if depth == 4:
        return f"（{index}）"
    if 1 <= index <= 20:
        return chr(0x2460 + index - 1)
    return f"{index})"


# A number the caller typed anyway ("一、", "（二）", "3.", "（4）") is dropped so the
# builder's numbering is not doubled.  "1.5亿元" is left alone.
_LEADING_NUMBER = re.compile(
    r"^\s*(?:[一二三四五六七八九十百零]+、|[（(][一二三四五六七八九十百零]+[）)]"
    r"|\d+[.．、](?!\d)|[（(]\d+[）)]|[\u2460-\u2473])\s*"
)


def _strip_number(heading: str) -> str:
    return _LEADING_NUMBER.sub("", heading, count=1).strip()


# ---------------------------------------------------------------------------
# Low-level XML helpers
# ---------------------------------------------------------------------------


# Schema order of the property elements this module inserts by hand (python-docx
# deletes its own _tag_seq after class creation, so we keep ours).
_CHILD_ORDER = {
    "w:tblPr": (
        "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
        "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
        "w:tblCaption", "w:tblDescription", "w:tblPrChange",
    ),
    "w:trPr": (
        "w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter",
        "w:cantSplit", "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden",
        "w:ins", "w:del", "w:trPrChange",
    ),
    "w:pPr": (
        "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
        "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs",
        "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
        "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
        "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
        "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
        "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
        "w:pPrChange",
    ),
    "w:rPr": (
        "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps",
        "w:strike", "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint",
        "w:noProof", "w:snapToGrid", "w:vanish", "w:webHidden", "w:color", "w:spacing",
        "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
        "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang",
        "w:eastAsianLayout", "w:specVanish", "w:oMath",
    ),
}
_CHILD_ORDER_QN = {qn(k): [qn(t) for t in v] for k, v in _CHILD_ORDER.items()}


def _insert_ordered(parent: Any, child: Any) -> Any:
    """Insert (or replace) ``child`` in ``parent`` at its schema position."""
    existing = parent.find(child.tag)
    if existing is not None:
        parent.replace(existing, child)
        return child
    order = _CHILD_ORDER_QN.get(parent.tag)
    if order and child.tag in order:
        successors = set(order[order.index(child.tag) + 1 :])
        for i, el in enumerate(parent):
            if el.tag in successors:
                parent.insert(i, child)
                return child
    parent.append(child)
    return child


def _set_rfonts(rpr: Any, font_name: str) -> None:
    """Name the font for every script, East Asian included (w:eastAsia)."""
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), font_name)
    rfonts.set(qn("w:hint"), "eastAsia")


def _set_ind_chars(
    pf_owner: Any,
    *,
    first_line: float | None = None,
    left: float | None = None,
    right: float | None = None,
    hanging: float | None = None,
    char_pt: float = BODY_CHAR_PT,
) -> None:
    """Indents in characters, written both as w:*Chars (what Word/WPS honour for
    CJK text) and as absolute twips (for everything else)."""
    pf = pf_owner.paragraph_format
    if first_line is not None:
        pf.first_line_indent = Pt(first_line * char_pt)
    if hanging is not None:
        pf.first_line_indent = Pt(-hanging * char_pt)
    if left is not None:
        pf.left_indent = Pt(left * char_pt)
    if right is not None:
        pf.right_indent = Pt(right * char_pt)
    el = getattr(pf_owner, "_p", None)
    if el is None:
        el = pf_owner.element
    ind = el.get_or_add_pPr().find(qn("w:ind"))
    if ind is None:
        return
    if first_line is not None:
        ind.set(qn("w:firstLineChars"), str(int(round(first_line * 100))))
    if hanging is not None:
        ind.set(qn("w:hangingChars"), str(int(round(hanging * 100))))
    if left is not None:
        ind.set(qn("w:leftChars"), str(int(round(left * 100))))
    if right is not None:
        ind.set(qn("w:rightChars"), str(int(round(right * 100))))


def _display_width(text: str) -> float:
    """Width in body characters: CJK/full-width = 1, Latin digits/letters = ½."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5 for ch in text)


# ---------------------------------------------------------------------------
# Document set-up: page, styles, fonts, footer
# ---------------------------------------------------------------------------


def _setup_page(document: Any) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = PAGE_WIDTH
    section.page_height = PAGE_HEIGHT
    section.top_margin = MARGIN_TOP
    section.bottom_margin = MARGIN_BOTTOM
    section.left_margin = MARGIN_LEFT
    section.right_margin = MARGIN_RIGHT
    section.header_distance = HEADER_DISTANCE
    section.footer_distance = FOOTER_DISTANCE
    section.gutter = Mm(0)
    # The lines-and-characters grid of GB/T 9704 §5.2.2: 22 lines × 28 characters in the text block.
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(GRID_LINE_PITCH_TWIPS))
    grid.set(qn("w:charSpace"), str(GRID_CHAR_SPACE))


def _setup_defaults(document: Any) -> None:
    """docDefaults: 仿宋 16 pt, Chinese language, no paragraph spacing."""
    styles_el = document.styles.element
    doc_defaults = styles_el.find(qn("w:docDefaults"))
    rpr = doc_defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_rfonts(rpr, FONT_BODY)
    for tag, val in (("w:sz", "32"), ("w:szCs", "32")):
        el = rpr.find(qn(tag))
        if el is None:
            el = OxmlElement(tag)
            _insert_ordered(rpr, el)
        el.set(qn("w:val"), val)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        _insert_ordered(rpr, lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")
    ppr = doc_defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    if spacing is None:
        spacing = OxmlElement("w:spacing")
        _insert_ordered(ppr, spacing)
    for k in list(spacing.attrib):
        del spacing.attrib[k]
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    _insert_ordered(ppr, snap)
    _no_hanging_punctuation(ppr)


def _no_hanging_punctuation(ppr: Any) -> None:
    """No punctuation hanging past the right margin: a line holds 28 characters, its comma or full
    stop included.  Measured: LibreOffice 7.4 hangs punctuation when w:overflowPunct is absent or
    0 and keeps it inside the line when it is 1 (its DOCX import maps the value the other way round
    from Word), and it reads the value from styles, not docDefaults.  1 is also Word's default."""
    overflow = OxmlElement("w:overflowPunct")
    overflow.set(qn("w:val"), "1")
    _insert_ordered(ppr, overflow)


def _paragraph_style(
    document: Any,
    style_id: str,
    name: str,
    *,
    font: str,
    size: Pt,
    line: Pt | None = LINE_BODY,
    align: WD_ALIGN_PARAGRAPH | None = None,
    first_line_chars: float | None = None,
    bold: bool = False,
    keep_with_next: bool = False,
    outline_level: int | None = None,
    char_pt: float = BODY_CHAR_PT,
) -> Any:
    styles = document.styles
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = style_id
    style.base_style = styles["Normal"]
    style.quick_style = True
    style.font.size = size
    style.font.bold = bold
    _set_rfonts(style.element.get_or_add_rPr(), font)
    if size == SIZE_BODY:
        condense = OxmlElement("w:spacing")
        condense.set(qn("w:val"), str(CHAR_CONDENSE_TWIPS))
        _insert_ordered(style.element.get_or_add_rPr(), condense)
    pf = style.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    _no_hanging_punctuation(style.element.get_or_add_pPr())
    if line is not None:
        pf.line_spacing = line
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    else:
        pf.line_spacing = 1.0
    if align is not None:
        pf.alignment = align
    if keep_with_next:
        pf.keep_with_next = True
    if first_line_chars is not None:
        _set_ind_chars(style, first_line=first_line_chars, char_pt=char_pt)
    else:
        pf.first_line_indent = Pt(0)
    if outline_level is not None:
        ppr = style.element.get_or_add_pPr()
        lvl = OxmlElement("w:outlineLvl")
        lvl.set(qn("w:val"), str(outline_level))
        _insert_ordered(ppr, lvl)
    return style


def _setup_styles(document: Any) -> None:
    normal = document.styles["Normal"]
    normal.font.size = SIZE_BODY
    _set_rfonts(normal.element.get_or_add_rPr(), FONT_BODY)
    _no_hanging_punctuation(normal.element.get_or_add_pPr())
    npf = normal.paragraph_format
    npf.space_before = Pt(0)
    npf.space_after = Pt(0)
    npf.line_spacing = LINE_BODY
    npf.line_spacing_rule = WD_LINE_SPACING.EXACTLY

    _paragraph_style(
        document, *STYLE_TITLE, font=FONT_TITLE, size=SIZE_TITLE, line=LINE_TITLE,
        align=WD_ALIGN_PARAGRAPH.CENTER, outline_level=None,
    )
    _paragraph_style(
        document, *STYLE_BODY, font=FONT_BODY, size=SIZE_BODY,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2,
    )
    _paragraph_style(
        document, *STYLE_PLAIN, font=FONT_BODY, size=SIZE_BODY,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    )
    for level, (sid, name, font) in enumerate(STYLE_HEADINGS):
        _paragraph_style(
            document, sid, name, font=font, size=SIZE_BODY,
            align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2,
            keep_with_next=True, outline_level=level,
        )
    _paragraph_style(
        document, *STYLE_TABLE_TEXT, font=FONT_TABLE, size=SIZE_TABLE, line=None,
        align=WD_ALIGN_PARAGRAPH.LEFT, char_pt=12,
    )
    _paragraph_style(
        document, *STYLE_TABLE_HEADER, font=FONT_TABLE_HEADER, size=SIZE_TABLE, line=None,
        align=WD_ALIGN_PARAGRAPH.CENTER, char_pt=12,
    )
    _paragraph_style(
        document, *STYLE_PAGE_NUMBER, font=FONT_PAGE_NUMBER, size=SIZE_PAGE_NUMBER, line=None,
        char_pt=14,
    )


def _setup_font_table(document: Any) -> None:
    """Declare the Chinese fonts (GB2312 charset) with w:altName fallbacks."""
    part = None
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            part = rel.target_part
            break
    if part is None:  # pragma: no cover - the default template has one
        return
    from lxml import etree

    root = etree.fromstring(part.blob)
    wanted = [FONT_TITLE, FONT_BODY, FONT_HEADING_1, FONT_HEADING_2, FONT_PAGE_NUMBER]
    present = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name in wanted:
        if name in present:
            continue
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt = FONT_ALT_NAMES.get(name)
        if alt:
            etree.SubElement(font, qn("w:altName")).set(qn("w:val"), alt)
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86")  # GB2312
        etree.SubElement(font, qn("w:family")).set(
            qn("w:val"), "modern" if name == FONT_HEADING_1 else "roman"
        )
        etree.SubElement(font, qn("w:pitch")).set(qn("w:val"), "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _add_page_field(paragraph: Any) -> None:
    """``— PAGE —`` with a real PAGE field (fldChar begin/instr/separate/end)."""

    def run(text: str | None = None) -> Any:
        r = paragraph.add_run(text)
        _set_rfonts(r._r.get_or_add_rPr(), FONT_PAGE_NUMBER)
        r.font.size = SIZE_PAGE_NUMBER
        return r

    def fld(kind: str) -> None:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run()._r.append(el)

    run("— ")
    fld("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run()._r.append(instr)
    fld("separate")
    run("1")
    fld("end")
    run(" —")


def _setup_footer(document: Any) -> None:
    """Odd pages: page number right, one character in; even pages: left, one in."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    for footer, align, side in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left"),
    ):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        p.style = document.styles[STYLE_PAGE_NUMBER[1]]
        p.alignment = align
        _set_ind_chars(p, **{side: 1}, char_pt=14)
        _add_page_field(p)


# ---------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------


class _Writer:
    def __init__(self, document: Any):
        self.doc = document
        self.styles = document.styles

    def paragraph(self, text: str, style: tuple[str, ...], font: str, *, size: Pt = SIZE_BODY) -> Any:
        p = self.doc.add_paragraph(style=self.styles[style[1]])
        if text:
            self._run(p, text, font, size)
        return p

    @staticmethod
    def _run(p: Any, text: str, font: str, size: Pt) -> Any:
        r = p.add_run(printable(text))  # every text of the document passes here
        # Direct formatting too: WPS and older Word honour run fonts most reliably.
        _set_rfonts(r._r.get_or_add_rPr(), font)
        r.font.size = size
        return r

    def blank(self) -> Any:
        return self.doc.add_paragraph(style=self.styles[STYLE_PLAIN[1]])

    def title(self, title: str) -> None:
        p = self.doc.add_paragraph(style=self.styles[STYLE_TITLE[1]])
        # Broken here, between words (GB/T 9704 §7.3.1), not by the renderer inside one.
        lines = [part for ln in title.split("\n") if ln.strip()
                 for part in balanced_lines(ln, TITLE_CHARS_PER_LINE)] or [""]
        for i, line in enumerate(lines):
            r = self._run(p, line, FONT_TITLE, SIZE_TITLE)
            if i < len(lines) - 1:
                r.add_break()

    def body(self, text: str) -> None:
        for part in _split_paragraphs(text):
            self.paragraph(part, STYLE_BODY, FONT_BODY)

    def section(self, section: Section, depth: int, index: int) -> None:
        sid, name, font = STYLE_HEADINGS[min(depth, len(STYLE_HEADINGS)) - 1]
        text = heading_number(depth, index) + _strip_number(section.heading)
        self.paragraph(text, (sid, name), font)
        for para in section.paragraphs:
            self.body(para)
        if section.table is not None:
            self.table(section.table)
        for i, sub in enumerate(section.subsections, start=1):
            self.section(sub, depth + 1, i)

    def table(self, spec: Table) -> None:
        ncols = len(spec.columns)
        if ncols == 0:
            return
        widths = _column_widths(spec)
        t = self.doc.add_table(rows=1 + len(spec.rows), cols=ncols)
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        tbl_pr = t._tbl.tblPr
        tbl_w = tbl_pr.find(qn("w:tblW"))
        if tbl_w is None:
            tbl_w = OxmlElement("w:tblW")
            _insert_ordered(tbl_pr, tbl_w)
        tbl_w.set(qn("w:type"), "dxa")
        tbl_w.set(qn("w:w"), str(int(sum(Mm(w).twips for w in widths))))
        _insert_ordered(tbl_pr, _borders())
        _insert_ordered(tbl_pr, _cell_margins())
        for col, w in zip(t.columns, widths):
            col.width = Mm(w)

        centred = _centred_columns(spec)
        header_row = t.rows[0]
        tr_pr = header_row._tr.get_or_add_trPr()
        hdr = OxmlElement("w:tblHeader")  # repeat as header row on each page
        _insert_ordered(tr_pr, hdr)
        cant = OxmlElement("w:cantSplit")
        _insert_ordered(tr_pr, cant)
        for cell, text, w in zip(header_row.cells, spec.columns, widths):
            self._cell(cell, text, w, header=True, centred=True)
        for row, values in zip(t.rows[1:], spec.rows):
            # A row is never split over two pages (its 序号 would be left behind on the first).
            _insert_ordered(row._tr.get_or_add_trPr(), OxmlElement("w:cantSplit"))
            values = list(values) + [""] * (ncols - len(values))
            for j, (cell, w) in enumerate(zip(row.cells, widths)):
                self._cell(cell, values[j], w, header=False, centred=j in centred)

    def _cell(self, cell: Any, value: Any, width_mm: float, *, header: bool, centred: bool) -> None:
        cell.width = Mm(width_mm)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        style = STYLE_TABLE_HEADER if header else STYLE_TABLE_TEXT
        font = FONT_TABLE_HEADER if header else FONT_TABLE
        text = _cell_text(value)
        lines = text.split("\n") if text else [""]
        p = cell.paragraphs[0]
        p._p.style = self.styles[style[1]].style_id  # by id: python-docx's `p.style = …` rescans every style
        for i, line in enumerate(lines):
            if i:
                p = cell.add_paragraph(style=self.styles[style[1]])
            if centred and not header:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if line:
                self._run(p, line, font, SIZE_TABLE)

    def attachments(self, note: str | list[str]) -> None:
        names = [note] if isinstance(note, str) else [n for n in note if n]
        if not names:
            return
        self.blank()
        if len(names) == 1:
            text = names[0].strip()
            if not text.startswith("附件"):
                text = "附件：" + text
            p = self.paragraph(text, STYLE_PLAIN, FONT_BODY)
            _set_ind_chars(p, left=5, hanging=3)
            return
        for i, name in enumerate(names, start=1):
            prefix = "附件：" if i == 1 else ""
            p = self.paragraph(f"{prefix}{i}.{_strip_number(name)}", STYLE_PLAIN, FONT_BODY)
            if i == 1:
                _set_ind_chars(p, left=6, hanging=4)
            else:
                _set_ind_chars(p, left=6, hanging=1)

    def page_break(self) -> None:
        p = self.doc.add_paragraph(style=self.styles[STYLE_PLAIN[1]])
        p.paragraph_format.page_break_before = True
        return p

    def annex(self, title: str, groups: Sequence[PhotoGroup]) -> None:
        """附件 on a new page: the word 附件 flush left in 黑体 (GB/T 9704 §8), the annex title
        centred, then each item's photos."""
        p = self.page_break()
        self._run(p, "附件", FONT_HEADING_1, SIZE_BODY)
        self.blank()
        self.title(title)
        self.blank()
        for group in groups:
            p = self.paragraph(group.heading, STYLE_PLAIN, FONT_HEADING_1)
            p.paragraph_format.keep_with_next = True
            self.photo_table(group.photos)

    def photo_table(self, photos: Sequence[AnnexPhoto]) -> None:
        """Photos two to a row, each captioned below; a row never splits over two pages."""
        if not photos:
            p = self.paragraph("（无照片）", STYLE_PLAIN, FONT_BODY)
            return
        cols = 2
        cell_mm = TEXT_WIDTH_MM / cols
        rows = [photos[i:i + cols] for i in range(0, len(photos), cols)]
        t = self.doc.add_table(rows=len(rows), cols=cols)
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        tbl_pr = t._tbl.tblPr
        tbl_w = OxmlElement("w:tblW")
        tbl_w.set(qn("w:type"), "dxa")
        tbl_w.set(qn("w:w"), str(int(Mm(TEXT_WIDTH_MM).twips)))
        _insert_ordered(tbl_pr, tbl_w)
        _insert_ordered(tbl_pr, _borders())
        _insert_ordered(tbl_pr, _cell_margins())
        for col in t.columns:
            col.width = Mm(cell_mm)
        for row, pair in zip(t.rows, rows):
            _insert_ordered(row._tr.get_or_add_trPr(), OxmlElement("w:cantSplit"))
            for cell, photo in zip(row.cells, list(pair) + [None] * (cols - len(pair))):
                cell.width = Mm(cell_mm)
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
                p = cell.paragraphs[0]
                p._p.style = self.styles[STYLE_TABLE_TEXT[1]].style_id
                if photo is None:
                    continue
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                width, height = _fit_mm(photo.image, PHOTO_BOX_MM[0], PHOTO_BOX_MM[1])
                p.add_run().add_picture(io.BytesIO(photo.image.data), width=Mm(width), height=Mm(height))
                for i, line in enumerate(photo.caption):
                    cp = cell.add_paragraph(style=self.styles[STYLE_TABLE_TEXT[1]])
                    cp.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    if i == 0:
                        cp.paragraph_format.space_before = Pt(3)  # clear of the photo
                    self._run(cp, line, FONT_TABLE, SIZE_CAPTION)

    def signature(self, issuer: str, issued_on: date) -> None:
        """署名右空二字; 成文日期首字比署名首字右移二字 (GB/T 9704 §7.3.5.2)."""
        date_text = cn_date(issued_on)
        iw, dw = _display_width(issuer), _display_width(date_text)
        date_right = max(2.0, iw - dw)
        issuer_right = date_right + dw + 2 - iw
        self.blank()
        p = self.paragraph(issuer, STYLE_PLAIN, FONT_BODY)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.keep_with_next = True  # never split issuer from date
        _set_ind_chars(p, right=issuer_right)
        p = self.paragraph(date_text, STYLE_PLAIN, FONT_BODY)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _set_ind_chars(p, right=date_right)


def _fit_mm(image: DocumentImage, box_w: float, box_h: float) -> tuple[float, float]:
    """The largest millimetre size of `image` inside a box, keeping its proportions."""
    w, h = max(image.width, 1), max(image.height, 1)
    k = min(box_w / w, box_h / h)
    return w * k, h * k


def _split_paragraphs(text: str) -> list[str]:
    return [line.strip() for line in str(text).split("\n") if line.strip()]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return cn_date(value)
    if isinstance(value, date):
        return cn_date(value)
    return str(value)


def _cell_margins() -> Any:
    """Cell padding: 1.5 pt above and below (text never touches a rule), 1.9 mm at the sides."""
    margins = OxmlElement("w:tblCellMar")
    for edge, twips in (("top", 30), ("left", 108), ("bottom", 30), ("right", 108)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    return margins


def _borders() -> Any:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")  # ½ pt
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    return borders


def _centred_columns(spec: Table) -> set[int]:
    """Short columns (序号, 严重程度, dates…) read better centred."""
    out = set()
    for j in range(len(spec.columns)):
        values = [_cell_text(r[j]) if j < len(r) else "" for r in spec.rows]
        if values and max(_display_width(v) for v in values) <= 6:
            out.add(j)
    return out


def _column_widths(spec: Table) -> list[float]:
    """Millimetre widths filling the 156 mm text block; given widths are scaled to fit."""
    n = len(spec.columns)
    total = float(TEXT_WIDTH_MM)
    if spec.widths_mm and len(spec.widths_mm) == n and all(w > 0 for w in spec.widths_mm):
        s = sum(spec.widths_mm)
        return [w * total / s for w in spec.widths_mm] if s > total else list(spec.widths_mm)
    char_mm = 12 * 25.4 / 72  # one 小四 CJK character ≈ 4.23 mm
    pad = 3.0

    def mm(units: float) -> float:
        return units * char_mm + pad

    mins, naturals = [], []
    for j, header in enumerate(spec.columns):
        head = mm(min(_display_width(str(header)), 6))
        longest = max(
            [_display_width(line) for r in spec.rows if j < len(r) for line in _cell_text(r[j]).split("\n")]
            or [0]
        )
        mins.append(max(head, 10.0))
        naturals.append(max(head, mm(min(longest, 40)), 10.0))
    if sum(naturals) <= total:
        k = total / sum(naturals)
        return [w * k for w in naturals]
    if sum(mins) >= total:
        k = total / sum(mins)
        return [w * k for w in mins]
    spare = total - sum(mins)
    extra = [nat - mn for nat, mn in zip(naturals, mins)]
    k = spare / sum(extra)
    return [mn + e * k for mn, e in zip(mins, extra)]


# ---------------------------------------------------------------------------
# Public builders
# ---------------------------------------------------------------------------


def new_document() -> tuple[Any, "_Writer"]:
    """An empty python-docx document with the 公文 page, grid, styles, fonts and page numbers, and
    a writer for it (for other documents of this package, such as the visit record)."""
    document = Document()
    _setup_page(document)
    _setup_defaults(document)
    _setup_styles(document)
    _setup_font_table(document)
    _setup_footer(document)
    # The default template starts with no paragraphs; be safe anyway.
    body = document.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    return document, _Writer(document)


def save_document(document: Any, *, title: str, author: str, dated: date) -> bytes:
    """The document's bytes, with core properties that depend only on the arguments (the same
    content gives the same file)."""
    props = document.core_properties
    props.title = printable(title.replace("\n", ""), multiline=False)
    props.author = props.last_modified_by = printable(author, multiline=False)
    props.language = "zh-CN"
    props.revision = 1
    stamp = start_of_day_utc(dated)
    props.created = stamp.replace(tzinfo=None)
    props.modified = stamp.replace(tzinfo=None)
    props.comments = ""
    props.keywords = ""
    props.subject = ""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def build_official_document(doc: OfficialDocument) -> bytes:
    """Render ``doc`` as a GB/T 9704 style ``.docx`` and return its bytes."""
    document, w = new_document()
    w.title(doc.title)
    w.blank()
    if doc.recipient:
        w.paragraph(doc.recipient.strip(), STYLE_PLAIN, FONT_BODY)
    for para in doc.intro:
        w.body(para)
    for i, section in enumerate(doc.sections, start=1):
        w.section(section, 1, i)
    for para in doc.closing:
        w.body(para)
    notes = doc.attachments_note
    if doc.photo_annex:
        notes = ([notes] if isinstance(notes, str) else list(notes or [])) + [doc.photo_annex_title]
    if notes:
        w.attachments(notes)
    w.signature(doc.issuer, doc.issued_on)
    if doc.photo_annex:
        w.annex(doc.photo_annex_title, doc.photo_annex)
    return save_document(document, title=doc.title, author=doc.issuer, dated=doc.issued_on)


_SEVERITY_ORDER = ("严重", "较重", "一般")


def _county_short(county_name: str) -> str:
    """'新野县' → '你县', '邓州市' → '你市', '卧龙区' → '你区' (how the province addresses it)."""
    for suffix in ("县", "市", "区", "旗"):
        if county_name.endswith(suffix):
            return "你" + suffix
    return "你县"


county_short = _county_short   # public: other sections of the document address the county the same way


def _category_heading(category: str, count: int) -> str:
    category = str(category).strip() or "其他"
    if not category.endswith(("方面", "问题")):
        category += "方面"
    return f"{category}（{count}个）"


def _with_full_stop(text: str) -> str:
    text = str(text).strip()
    if text and text[-1] not in "。！？；.!?;":
        text += "。"
    return text


def _problem_section(problem: Mapping[str, Any]) -> Section:
    description = _with_full_stop(problem.get("description") or "（未填写问题描述）")
    rect_type = (problem.get("rectification_type") or "").strip()
    deadline = problem.get("deadline")
    if deadline:
        deadline_text = cn_date(deadline)
    elif rect_type == "长期坚持":
        deadline_text = "长期坚持，定期报告进展"
    else:
        deadline_text = ""
    facts = [
        ("问题编号", problem.get("number")),
        ("核查点位", problem.get("site")),
        ("严重程度", problem.get("severity")),
        ("整改类型", rect_type),
        ("完成时限", deadline_text),
    ]
    detail = "；".join(f"{label}：{value}" for label, value in facts if value not in (None, ""))
    heading = description.rstrip("。；;.")
    paragraphs = []
    if _display_width(heading) > 30:
        # A long finding gets its first clause as the heading and the full text follows as 问题描述;
        # a finding without a short first clause is its own heading, whole: a heading is never cut
        # off with …… (issue 14).  A short one is its own heading.
        cut = re.split(r"[，。；,;]", heading, maxsplit=1)[0]
        if 4 <= _display_width(cut) <= 30:
            heading = cut
            paragraphs.append(f"问题描述：{description}")
    if detail:
        paragraphs.append(detail + "。")
    suggested = (problem.get("measures_suggested") or "").strip()
    if suggested:
        paragraphs.append("整改建议：" + _with_full_stop(suggested))
    repeat_note = (problem.get("repeat_note") or "").strip()
    if repeat_note:     # 屡查屡犯: e.g. 本问题在2022年核查中已指出。 (issue 15)
        paragraphs.append(_with_full_stop(repeat_note))
    return Section(heading=heading, paragraphs=paragraphs)


def problem_list_document(
    county_name: str,
    team_name: str,
    campaign_name: str,
    issued_on: date,
    problems_by_category: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
    *,
    visit_start: date | None = None,
    visit_end: date | None = None,
    recipient: str | None = None,
    issuer: str | None = None,
    report_by: date | None = None,
    attachments_note: str | list[str] | None = None,
    score: tuple[float, int, list[str]] | None = None,
    supplement_to: date | None = None,
    kind: str = "反馈问题清单",
    title_suffix: str = "",
    photo_annex: Sequence[PhotoGroup] = (),
    extra_sections: Sequence[Section] = (),
) -> bytes:
    """The 反馈问题清单 a team leader issues to a county.

    ``score`` is the county's checklist score for the summary: ``(percent 0–100, number of
    submitted sites it adds up, codes of veto items answered 不符合)`` (rule: inspect_app.visits.scoring).

    A supplementary list (补充清单: findings recorded after the first list was issued) passes
    ``supplement_to`` = the date the first list was issued and ``kind`` = its name (e.g.
    ``'补充反馈问题清单'``): the title names it and the introduction refers to the first list.

    ``problems_by_category`` is ``[(category, [problem, …]), …]`` where a problem
    is a mapping with ``number, description, site, severity,
    rectification_type, deadline (date | None), measures_suggested`` and optionally
    ``repeat_note`` (a repeat finding's 本问题在2022年核查中已指出, printed after the item).  Each
    category becomes a level-1 section (一、…), each problem a level-2 one (（一）…).
    Optional: the visit dates, the 主送 line (default ``'<县>医改办：'``), the
    issuer (default ``team_name``) and a date by which the 整改方案 is due.
    ``title_suffix`` (e.g. ``'（讨论稿）'``) ends the title, inside its word-broken lines;
    ``photo_annex`` becomes 附件：问题照片 at the end. ``extra_sections`` follow the problem
    categories as further numbered sections (e.g. 自查情况, inspect_app/self_inspections/feedback.py).
    """
    you = _county_short(county_name)
    groups = [(str(c), list(ps)) for c, ps in problems_by_category if ps]
    problems = [p for _, ps in groups for p in ps]
    total = len(problems)

    when = f"于{cn_date_range(visit_start, visit_end)}" if visit_start else ""
    intro = [
        f"根据{campaign_name}工作安排，{team_name}{when}对{you}紧密型县域医共体建设情况"
        "进行了实地核查。核查组采取听取汇报、查阅资料、实地查看、个别访谈等方式，"
        f"对照核查内容对{you}医共体管理体制、运行机制和服务能力等情况进行了全面核查。"
    ]
    if score is not None:
        percent, sites, vetoed = score
        intro.append(
            f"按照核查表评分标准，{you}{sites}个核查点位合计得分{percent:.1f}分（满分100分）"
            + (f"，其中一票否决项{'、'.join(vetoed)}不符合要求" if vetoed else "")
            + "。"
        )
    if total:
        sev = Counter((p.get("severity") or "").strip() for p in problems)
        order = [s for s in _SEVERITY_ORDER if sev.get(s)] + sorted(
            s for s in sev if s and s not in _SEVERITY_ORDER
        )
        breakdown = "、".join(f"{s}问题{sev[s]}个" for s in order)
        intro.append(
            (f"核查组已于{cn_date(supplement_to)}向{you}反馈问题清单。此后核查中又发现问题{total}个，"
             f"涉及{len(groups)}个方面" if supplement_to else
             f"经汇总梳理，本次核查共发现问题{total}个，涉及{len(groups)}个方面")
            + (f"，其中{breakdown}" if breakdown else "")
            + ("。现补充反馈如下：" if supplement_to else "。现将问题清单反馈如下：")
        )
    else:
        intro.append("经汇总梳理，本次核查未发现需要反馈整改的问题。")

    sections = [
        Section(heading=_category_heading(cat, len(ps)), subsections=[_problem_section(p) for p in ps])
        for cat, ps in groups
    ] + list(extra_sections)

    closing: list[str] = []
    if total:
        closing.append(
            f"请{you}高度重视反馈问题整改工作，对照问题清单认真查找原因，逐项制定整改措施，"
            "明确责任单位、责任人和完成时限，确保逐项整改落实到位。立行立改事项要即知即改，"
            "限期整改事项要按时完成，长期坚持事项要建立长效机制、定期报告进展，"
            "坚决防止书面整改、虚假整改。"
        )
        if report_by:
            closing.append(
                f"请于{cn_date(report_by)}前将整改方案报送核查组，此后按月报送整改进展情况；"
                "各项问题整改完成后，请及时上传佐证材料并申请验收销号。"
            )
        else:
            closing.append(
                "整改方案及整改进展情况请按月报送核查组；各项问题整改完成后，"
                "请及时上传佐证材料并申请验收销号。"
            )

    doc = OfficialDocument(
        title=(f"关于{county_name}紧密型县域医共体建设核查发现问题的{kind}" if supplement_to
               else f"关于{county_name}紧密型县域医共体建设核查发现问题的反馈清单") + title_suffix,
        recipient=recipient if recipient is not None else f"{county_name}医改办：",
        intro=intro,
        sections=sections,
        closing=closing,
        issuer=issuer or team_name,
        issued_on=issued_on,
        attachments_note=attachments_note,
        photo_annex=list(photo_annex),
    )
    return build_official_document(doc)
