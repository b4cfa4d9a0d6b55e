"""Download names (issue 14, seen 5): every download says what and when with separators, and its
plain-ASCII fallback does too. The helper, then the header of every download route."""
import io
import re
from datetime import date
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from inspect_app.documents.download_names import ascii_part, content_disposition, download_name
from inspect_app.extensions import db
from inspect_app.media.models import Attachment, AttachmentKind
from inspect_app.rectification.lifecycle import Status
from tests.conftest import HX
from tests.media import images
from tests.problem_lists.factories import list_url, make_xinye_findings
from tests.rectification.factories import make_item, wjw

DAY = date(2022, 7, 25)


def test_name_parts_are_separated_and_the_fallback_says_what_and_when():
    name = download_name("整改台账", "ledger", DAY, "xlsx", scope="新野县", scope_code="411329", campaign="2022年核查")
    assert name.display == "新野县_2022年核查_整改台账_2022-07-25.xlsx"
    assert name.ascii == "ledger-411329-2022-07-25.xlsx"


def test_parts_never_run_together_or_carry_separators_and_path_characters():
    name = download_name("整改/台账", "ledger", DAY, "xlsx", scope="新野_县", campaign="走查:2022\n回头看")
    assert name.display == "新野-县_走查2022 回头看_整改台账_2022-07-25.xlsx"
    assert name.ascii == "ledger-2022-07-25.xlsx"


def test_an_all_chinese_fallback_is_never_empty():
    assert download_name("清单", "", DAY, "docx").ascii == "download-2022-07-25.docx"
    assert ascii_part("（）") == "" and ascii_part("Café 2022") == "Cafe-2022"


def test_header_has_both_forms():
    header = content_disposition(download_name("整改台账", "ledger", DAY, "xlsx", scope="新野县", scope_code="411329"))
    assert header.startswith('attachment; filename="ledger-411329-2022-07-25.xlsx"; filename*=UTF-8\'\'')
    assert unquote(header.split("filename*=UTF-8''")[1]) == "新野县_整改台账_2022-07-25.xlsx"


# ------------------------------------------------------------ every download route

def names(response):
    """(display name, ASCII fallback) from a response's Content-Disposition."""
    assert response.status_code == 200, response.status_code
    header = response.headers["Content-Disposition"]
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert fallback.isascii() and re.fullmatch(r"[A-Za-z0-9.-]+", fallback), fallback
    return unquote(header.split("filename*=UTF-8''")[1]), fallback


def today():
    from inspect_app.rectification.date_rules import today as today_china
    return today_china().isoformat()


def test_ledger_download(client, world, login_as):
    make_item(world)
    login_as("xinye")
    assert names(client.get("/items/ledger.xlsx")) == (f"新野县_整改台账_{today()}.xlsx",
                                                     f"ledger-411329-{today()}.xlsx")
    camp = make_item(world).campaign_id
    from inspect_app.campaigns.models import Campaign
    campaign_name = db.session.get(Campaign, camp).name
    display, fallback = names(client.get(f"/items/ledger.xlsx?campaign={camp}"))
    assert display == f"新野县_{campaign_name}_整改台账_{today()}.xlsx" and fallback == f"ledger-411329-{today()}.xlsx"
    login_as("province")
    assert names(client.get("/items/ledger.xlsx"))[1] == f"ledger-province-{today()}.xlsx"


def test_problem_list_downloads(client, world, login_as):
    camp, _findings = make_xinye_findings(world)
    login_as("leader8")
    draft_docx = names(client.get(list_url(camp, suffix="/feedback.docx")))
    assert draft_docx == (f"新野县_{camp.name}_反馈问题清单（讨论稿）_{today()}.docx", f"feedback-411329-draft-{today()}.docx")
    client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-25"})
    assert names(client.get(list_url(camp, suffix="/feedback.docx"))) == (
        f"新野县_{camp.name}_反馈问题清单_2022-07-25.docx", "feedback-411329-2022-07-25.docx")
    assert names(client.get(list_url(camp, suffix="/list.xlsx"))) == (
        f"新野县_{camp.name}_反馈问题清单_2022-07-25.xlsx", "feedback-411329-2022-07-25.xlsx")


def test_report_downloads(client, world, login_as):
    login_as("nanyang")
    for ext in ("docx", "xlsx"):
        display, fallback = names(client.get(f"/dashboard/reports/download.{ext}?kind=week&day=2022-07-13&campaign=all"))
        assert display == f"南阳市_整改周报_2022-07-11_2022-07-17.{ext}"
        assert fallback == f"report-week-{world.users['nanyang'].region.code}-2022-07-11-2022-07-17.{ext}"


def test_checklist_download(client, world, login_as):
    from inspect_app.checklists import service
    version = service.ensure_default_checklist()
    login_as("inspector8")
    assert names(client.get(f"/checklists/versions/{version.id}/export.xlsx")) == (
        f"紧密型县域医共体建设核查表_2022版_{today()}.xlsx", f"checklist-v{version.id}-{today()}.xlsx")


def test_org_template_download(client, world, login_as):
    login_as("province")
    assert names(client.get("/org/import/template.xlsx")) == (
        f"组织架构导入模板_{today()}.xlsx", f"org-import-template-{today()}.xlsx")


def post_evidence(client, item, *named):
    response = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                           data={"version": "1", "text": "已整改",
                                 "files": [(io.BytesIO(data), name) for name, data in named]})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_evidence_downloads(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    post_evidence(client, item, ("整改方案_定稿.pdf", images.pdf()))
    doc = db.session.execute(sa.select(Attachment).where(Attachment.kind == AttachmentKind.DOCUMENT)).scalar_one()
    assert names(client.get(f"/items/{item.id}/documents/{doc.id}")) == (
        f"{item.number}_整改方案-定稿_{today()}.pdf", f"evidence-{item.number}-a{doc.id}-{today()}.pdf")
    assert names(client.get(f"/items/{item.id}/evidence.zip")) == (
        f"{item.number}_整改材料_{today()}.zip", f"evidence-{item.number}-{today()}.zip")
    assert names(client.get(f"/items/evidence/county/{world.xinye.id}.zip")) == (
        f"新野县_整改材料_{today()}.zip", f"evidence-411329-{today()}.zip")


@pytest.mark.parametrize("path", ["/items/ledger.xlsx", "/org/import/template.xlsx"])
def test_no_fallback_is_a_bare_date(client, world, login_as, path):
    login_as("province")
    _display, fallback = names(client.get(path))
    assert not re.fullmatch(r"[\d-]+\.\w+", fallback) and not fallback.startswith(("(", "_"))
