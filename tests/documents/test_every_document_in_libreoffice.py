"""Every DOCX and XLSX the app hands out, printed the way WPS / LibreOffice users see it (issue 14,
"Tests"): each is fetched through its real download route (Flask test client, test-factory data),
converted to PDF by LibreOffice once, and checked from the PDF text: it converts to at least one page,
its title and column headers are printed, a spreadsheet prints no wrapped line over another, and a
workbook that sets the 第 &P 页 共 &N 页 footer prints a page number on every page.

The documents, by route: 反馈问题清单 DOCX (讨论稿 and 下发) and XLSX (problem_lists), 整改周报 and 整改月报
DOCX and XLSX (dashboard reports), 整改台账 XLSX (items/ledger.xlsx), 核查表 XLSX (checklist export),
组织架构导入模板 XLSX (org), 审计日志 XLSX (admin/audit), 现场核查记录表 DOCX (visits) and the 整改材料索引
XLSX inside the county and item evidence ZIPs. The background-job downloads (/jobs/<id>/download) hand
out the same ledger and evidence writers; tests/jobs/test_ledger_print.py prints those.
"""
from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest

from inspect_app.documents.evidence_package import INDEX_NAME
from inspect_app.documents.workbook import PAGE_FOOTER
from inspect_app.extensions import db
from inspect_app.rectification.lifecycle import Status
from tests.conftest import HX
from tests.documents import libreoffice
from tests.documents.spreadsheet_pdf import overlapping_lines, page_texts, require_soffice, words
from tests.media import images

DOCX = ".docx"
XLSX = ".xlsx"


@dataclass(frozen=True)
class Printed:
    """One document as printed: its bytes, suffix, the PDF and each page's text without white space."""
    data: bytes
    suffix: str
    pdf: Path
    pages: list[str]

    @property
    def text(self) -> str:
        return "".join(self.pages)


def ok(response) -> bytes:
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:300])
    return response.data


# ------------------------------------------------------------ how each document is fetched

def _problem_list(client, world, login_as, *, issued: bool, suffix: str) -> bytes:
    from tests.problem_lists.factories import list_url, make_xinye_findings
    camp, _findings = make_xinye_findings(world)
    login_as("leader8")
    if issued:
        client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-25"})
    return ok(client.get(list_url(camp, suffix=suffix)))


def _report(client, world, login_as, *, kind: str, ext: str) -> bytes:
    from tests.rectification.factories import make_item
    for status in (Status.PENDING, Status.IN_PROGRESS, Status.PENDING):
        make_item(world, status=status)
    login_as("nanyang")
    return ok(client.get(f"/dashboard/reports/download.{ext}?kind={kind}&day=2022-07-13&campaign=all"))


def _ledger(client, world, login_as) -> bytes:
    from tests.rectification.factories import make_item, wjw
    for n, status in enumerate((Status.PENDING, Status.IN_PROGRESS, Status.SUBMITTED, Status.PENDING)):
        make_item(world, status=status, unit=wjw(world), measures="一、完善制度\n二、加强培训",
                  description=f"远程心电诊断中心未覆盖全部乡镇卫生院，部分卫生院心电图机未联网（第{n}条）")
    login_as("xinye")
    return ok(client.get("/items/ledger.xlsx"))


def _checklist(client, world, login_as) -> bytes:
    from inspect_app.checklists import service
    version = service.ensure_default_checklist()
    login_as("inspector8")
    return ok(client.get(f"/checklists/versions/{version.id}/export.xlsx"))


def _org_template(client, world, login_as) -> bytes:
    login_as("province")
    return ok(client.get("/org/import/template.xlsx"))


def _audit_log(client, world, login_as) -> bytes:
    from inspect_app.audit.models import AuditEvent
    for username, action, summary in (("xinye", "login.success", "登录成功"), ("tongbai", "login.failure", "密码错误"),
                                      ("xinye", "sites.create", "新增核查点位：新野县人民医院远程心电诊断中心" * 3)):
        db.session.add(AuditEvent(action=action, username=username, object_type="User", summary=summary,
                                  at=datetime(2022, 7, 10, 3, tzinfo=timezone.utc)))
    db.session.commit()
    login_as("auditor")
    return ok(client.get("/admin/audit/export.xlsx"))


def _visit_record(client, world, login_as) -> bytes:
    from inspect_app.media.models import PhotoStage
    from inspect_app.media.service import ingest_photo
    from inspect_app.visits.models import AnswerResult
    from tests.visits import factories as f
    version = f.make_version(n_items=12)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    items = f.items_of(version)
    _conforms, fails = f.answer_items(visit, items[:2])
    fails.result, fails.note = AnswerResult.NONCONFORMING, "财务部无专职人员"
    finding = f.make_finding(visit, items[1])
    finding.description = "财务管理部未配备专职人员，账务仍由各成员单位分散核算。"
    db.session.commit()
    ingest_photo(images.camera_jpeg(), finding, world.users["inspector8"], str(uuid.uuid4()), PhotoStage.BEFORE,
                 filename="IMG_0003.JPG")
    db.session.commit()
    login_as("inspector8")
    return ok(client.get(f"/visits/{visit.id}/record.docx"))


def _evidence_index(client, world, login_as, *, county: bool) -> bytes:
    from tests.rectification.factories import make_item, wjw
    from tests.rectification.test_evidence_package import located_photo, post_evidence
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    post_evidence(client, item, ("现场.jpg", located_photo()), ("无信息.jpg", images.noisy_jpeg()),
                  ("整改方案.pdf", images.pdf()))
    login_as("xinye")
    url = f"/items/evidence/county/{world.xinye.id}.zip" if county else f"/items/{item.id}/evidence.zip"
    return zipfile.ZipFile(io.BytesIO(ok(client.get(url)))).read(INDEX_NAME)


@dataclass(frozen=True)
class Document:
    """A download: how to fetch it, its suffix, and text its printed pages must hold."""
    fetch: Callable
    suffix: str
    expected: tuple[str, ...]


DOCUMENTS: dict[str, Document] = {
    "feedback-draft-docx": Document(lambda c, w, l: _problem_list(c, w, l, issued=False, suffix="/feedback.docx"),
                                    DOCX, ("关于新野县紧密型县域医共体建设核查发现问题的反馈清单（讨论稿）", "新野县医改办：", "一办六部未实体化运行", "远程心电诊断中心")),
    "feedback-issued-docx": Document(lambda c, w, l: _problem_list(c, w, l, issued=True, suffix="/feedback.docx"),
                                     DOCX, ("关于新野县紧密型县域医共体建设核查发现问题的反馈清单", "财务未实行统一管理", "乡镇卫生院绩效考核方案未修订")),
    "problem-list-xlsx": Document(lambda c, w, l: _problem_list(c, w, l, issued=True, suffix="/list.xlsx"),
                                  XLSX, ("新野县反馈问题清单", "序号问题编号问题类别", "一办六部未实体化运行")),
    "weekly-report-docx": Document(lambda c, w, l: _report(c, w, l, kind="week", ext="docx"), DOCX, ("整改周报", "南阳市")),
    "weekly-report-xlsx": Document(lambda c, w, l: _report(c, w, l, kind="week", ext="xlsx"), XLSX,
                                   ("南阳市医共体建设核查问题整改周报", "期末累计下发", "县（市、区）区划代码")),
    "monthly-report-docx": Document(lambda c, w, l: _report(c, w, l, kind="month", ext="docx"), DOCX, ("整改月报", "南阳市")),
    "monthly-report-xlsx": Document(lambda c, w, l: _report(c, w, l, kind="month", ext="xlsx"), XLSX,
                                    ("南阳市医共体建设核查问题整改月报", "期末累计下发", "县（市、区）区划代码")),
    "ledger-xlsx": Document(_ledger, XLSX, ("整改台账", "序号问题编号", "问题描述", "（第3条）", "分县(市)统计")),
    "checklist-xlsx": Document(_checklist, XLSX, ("章节编号章节名称条目编号核查内容", "核查要点")),
    "org-import-template-xlsx": Document(_org_template, XLSX, ("区划代码名称", "411329新野县")),
    "audit-log-xlsx": Document(_audit_log, XLSX, ("时间（北京）用户操作操作代码", "login.success", "密码错误")),
    "visit-record-docx": Document(_visit_record, DOCX, ("现场核查记录表", "新野县", "第八核查组", "财务部无专职",
                                                        "核查人员（签字）：", "被核查单位负责人（签字）：")),
    "evidence-index-county-xlsx": Document(lambda c, w, l: _evidence_index(c, w, l, county=True), XLSX,
                                           ("整改材料索引", "问题编号", "整改后照片", "（无佐证材料）")),
    "evidence-index-item-xlsx": Document(lambda c, w, l: _evidence_index(c, w, l, county=False), XLSX,
                                         ("整改材料索引", "问题编号", "佐证文件")),
}


@pytest.fixture(scope="module")
def printed_cache() -> dict[str, Printed]:
    """Each document converted once per module run, by its test id."""
    return {}


@pytest.fixture
def printed(request, printed_cache, client, world, login_as, tmp_path_factory) -> Printed:
    name = request.param
    if name not in printed_cache:
        require_soffice()
        document = DOCUMENTS[name]
        data = document.fetch(client, world, login_as)
        pdf = libreoffice.to_pdf(data, document.suffix, tmp_path_factory.mktemp(name))
        printed_cache[name] = Printed(data, document.suffix, pdf, page_texts(pdf))
    return printed_cache[name]


def sets_page_footer(data: bytes) -> list[bool]:
    """Whether each sheet of the workbook prints the page-number footer."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [PAGE_FOOTER in (ws.oddFooter.center.text or "") for ws in book.worksheets]


@pytest.mark.parametrize("printed", list(DOCUMENTS), indirect=True)
def test_document_prints(printed, request):
    name = request.node.callspec.params["printed"]
    assert len(printed.pages) >= 1 and printed.text
    missing = [text for text in DOCUMENTS[name].expected if "".join(text.split()) not in printed.text]
    assert missing == [], (missing, printed.text[:500])
    if printed.suffix == XLSX:
        found, _sizes = words(printed.pdf)
        assert overlapping_lines(found) == []
        if any(sets_page_footer(printed.data)):
            footers = [re.search(r"第(\d+)页共(\d+)页$", page) for page in printed.pages]
            assert all(footers), [page[-30:] for page, hit in zip(printed.pages, footers) if not hit]
