"""The text rule on the XLSX imports: cells are cleaned like form fields, and a cell longer than its
column is a row error (it failed on PostgreSQL with StringDataRightTruncation).

XML cannot carry C0 controls, so a workbook brings C1 controls (NEL, U+0085), bidi overrides and
decomposed characters; those are what these tests put in."""
import sqlalchemy as sa

from inspect_app.checklists.xlsx import import_version
from inspect_app.extensions import db
from inspect_app.org.importer import import_workbook
from inspect_app.org.models import Site
from tests.checklists.test_xlsx import book, row
from tests.org.test_import import workbook


def test_checklist_import_cleans_cells_and_keeps_lines():
    result = import_version(book([row(content="核查\x85内容\u202e", guidance="第一行\n第二行\x85",
                                      section_title="责任共同\u202e体")]))
    assert result.ok, result.errors
    section = result.template["sections"][0]
    item = section["items"][0]
    assert section["title"] == "责任共同体"
    assert item["content"] == "核查内容" and item["guidance"] == "第一行\n第二行"


def test_checklist_import_refuses_cells_longer_than_the_form_allows():
    result = import_version(book([row(content="长" * 2001, code="A" * 33)]))
    assert not result.ok
    text = " ".join(str(e.message) if hasattr(e, "message") else str(e) for e in result.errors)
    assert "核查内容不超过 2000 字" in text and "条目编号不超过 32 字" in text


def test_org_import_cleans_names(world):
    report = import_workbook(workbook(核查点位=[["411329", "新野县\u202e溧河铺镇卫生院\x85", "乡镇卫生院/社区卫生服务中心",
                                                "", ""]]))
    assert not report.errors, report.errors
    names = db.session.execute(sa.select(Site.name).where(Site.name.like("%溧河铺%"))).scalars().all()
    assert names == ["新野县溧河铺镇卫生院"]


def test_org_import_refuses_a_name_longer_than_its_column(world):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Site))
    report = import_workbook(workbook(核查点位=[["411329", "院" * 129, "乡镇卫生院/社区卫生服务中心", "", ""]]))
    assert report.errors == ["第 2 行（核查点位）「点位名称」：不超过 128 字"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == before
