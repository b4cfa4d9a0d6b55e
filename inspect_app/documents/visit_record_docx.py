"""现场核查记录表: the record of one site visit, printed and signed on the spot.

Pure builder: plain data in, ``.docx`` bytes out (no Flask, no database).  The page, grid, fonts and
page numbers are those of the 公文 documents (official_docx, GB/T 9704): A4, 仿宋 三号 on a 22 × 28
grid, tables in 小四.  Content, in the order an inspector fills in a paper record:

1. the visit: county, site and its kind, date, team, inspectors, checklist version, score;
2. 一、核查情况 — every applicable checklist item with its answer (符合/基本符合/不符合/不适用) and note,
   grouped by section;
3. 二、发现问题 — each finding, whole, with its category, severity and type, and its photos two to a
   row with time taken and position (as in the feedback document's annex);
4. 三、核查结论 — the score;
5. signature lines for the inspectors and for the inspected unit, each with a date line
   (签字 / 日期), since the record is signed by both sides before the team leaves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Sequence

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from .dates import cn_date
from .official_docx import (
    FONT_BODY,
    SIZE_BODY,
    STYLE_PLAIN,
    TEXT_WIDTH_MM,
    AnnexPhoto,
    Section,
    Table,
    _borders,
    _cell_margins,
    _insert_ordered,
    new_document,
    save_document,
)

__all__ = ["RecordAnswer", "RecordFinding", "VisitRecord", "visit_record_document", "SIGNATURE_LINES"]

TITLE = "现场核查记录表"
# What the two sides sign; the tests look for these lines in the PDF.
SIGNATURE_LINES = ("核查人员（签字）：", "被核查单位负责人（签字）：")
DATE_LINE = "日期：　　　　年　　月　　日"
BLANK = "　" * 12


@dataclass
class RecordAnswer:
    """One checklist item as answered: ``result`` is the Chinese label or '' when unanswered."""
    section: str
    code: str
    content: str
    result: str
    note: str = ""


@dataclass
class RecordFinding:
    """One finding recorded at the visit, with its prepared photos."""
    description: str
    category: str
    severity: str
    rectification_type: str
    checklist_code: str = ""
    photos: list[AnnexPhoto] = field(default_factory=list)


@dataclass(kw_only=True)
class VisitRecord:
    """Everything the record prints.  ``score`` is a sentence (e.g. ``'得分85.0分（满分100分）'``)
    or '' before the visit is submitted; ``status`` is the visit's status label."""
    campaign: str
    county: str
    site: str
    site_kind: str
    visit_date: date
    team: str
    inspectors: list[str]
    checklist: str
    status: str
    score: str
    answers: list[RecordAnswer]
    findings: list[RecordFinding]
    made_on: date


def visit_record_document(record: VisitRecord) -> bytes:
    """The 现场核查记录表 of one visit as ``.docx`` bytes (layout in the module docstring)."""
    document, w = new_document()
    w.title(f"{record.site}{TITLE}")
    w.blank()
    _facts_table(w, [
        ("核查工作", record.campaign, None, None),
        ("县（市）", record.county, "核查点位", record.site),
        ("点位类型", record.site_kind, "核查日期", cn_date(record.visit_date)),
        ("核查组", record.team, "核查人员", "、".join(record.inspectors)),
        ("核查表", record.checklist, "记录状态", record.status),
    ])
    w.blank()

    answered = sum(1 for a in record.answers if a.result)
    w.section(Section(
        heading=f"核查情况（适用{len(record.answers)}项，已作答{answered}项）",
        table=Table(columns=["序号", "章节", "核查内容", "结论", "说明"],
                    rows=[[str(i), a.section, f"{a.code} {a.content}".strip(), a.result or "未作答", a.note]
                          for i, a in enumerate(record.answers, start=1)],
                    widths_mm=[14, 28, 60, 22, 32]) if record.answers else None,
        paragraphs=[] if record.answers else ["本点位类型无适用的核查项目。"],
    ), 1, 1)

    w.section(Section(heading=f"发现问题（{len(record.findings)}个）",
                      paragraphs=[] if record.findings else ["本次核查未记录问题。"]), 1, 2)
    for i, finding in enumerate(record.findings, start=1):
        w.section(Section(heading=finding.description.strip().rstrip("。") or "（未填写问题描述）"), 2, i)
        facts = [("问题类别", finding.category), ("对应核查项", finding.checklist_code),
                 ("严重程度", finding.severity), ("整改类型", finding.rectification_type),
                 ("照片", f"{len(finding.photos)}张")]
        w.body("；".join(f"{k}：{v}" for k, v in facts if v) + "。")
        if finding.photos:
            w.photo_table(finding.photos)

    w.section(Section(heading="核查结论",
                      paragraphs=[record.score or "本点位核查尚未提交，暂无得分。"]), 1, 3)

    _signatures(w)
    return save_document(document, title=f"{record.site}{TITLE}", author=record.team, dated=record.made_on)


def _facts_table(w, rows: Sequence[tuple[str, str, str | None, str | None]]) -> None:
    """Label/value pairs, two to a row (a row with one pair spans the width)."""
    widths = [24, 54, 24, TEXT_WIDTH_MM - 102]
    t = w.doc.add_table(rows=len(rows), cols=4)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    tbl_pr = t._tbl.tblPr
    tbl_w = OxmlElement("w:tblW")
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(int(Mm(TEXT_WIDTH_MM).twips)))
    _insert_ordered(tbl_pr, tbl_w)
    _insert_ordered(tbl_pr, _borders())
    _insert_ordered(tbl_pr, _cell_margins())
    for col, width in zip(t.columns, widths):
        col.width = Mm(width)
    for row, (label1, value1, label2, value2) in zip(t.rows, rows):
        cells = row.cells
        if label2 is None:
            merged = cells[1].merge(cells[3])
            w._cell(cells[0], label1, widths[0], header=True, centred=True)
            w._cell(merged, value1, sum(widths[1:]), header=False, centred=False)
            continue
        for cell, text, width, header in zip(cells, (label1, value1, label2, value2), widths,
                                             (True, False, True, False)):
            w._cell(cell, text, width, header=header, centred=header)


def _signatures(w) -> None:
    """签字 and 日期 lines for the inspectors and the inspected unit, kept together on one page."""
    w.blank()
    for label in SIGNATURE_LINES:
        p = w.paragraph(label, STYLE_PLAIN, FONT_BODY)
        w._run(p, BLANK, FONT_BODY, SIZE_BODY).font.underline = True  # the line to sign on
        p.paragraph_format.keep_with_next = True
        p = w.paragraph(DATE_LINE, STYLE_PLAIN, FONT_BODY)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.keep_with_next = label != SIGNATURE_LINES[-1]
        w.blank().paragraph_format.keep_with_next = label != SIGNATURE_LINES[-1]
