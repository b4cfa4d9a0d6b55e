"""现场核查记录表 of a visit (issue 14): who may download it, what it holds, the audit row."""
import io
from datetime import timedelta, timezone
import uuid

import pytest
import sqlalchemy as sa
from docx import Document

from inspect_app.audit.models import AuditEvent
from inspect_app.auth.models import Role
from inspect_app.extensions import db
from inspect_app.media.models import PhotoStage
from inspect_app.media.service import ingest_photo
from inspect_app.visits.models import AnswerResult
from tests.factories import make_user
from tests.media import images
from tests.visits import factories as f


@pytest.fixture
def recorded(world, version, visit):
    """The office visit with two answers (one 不符合 with a note), a finding with a camera photo."""
    items = f.items_of(version)
    conforms, fails = f.answer_items(visit, items[:2])
    fails.result, fails.note = AnswerResult.NONCONFORMING, "财务部无专职人员"
    finding = f.make_finding(visit, items[1])
    finding.description = "财务管理部未配备专职人员，账务仍由各成员单位分散核算。"
    db.session.commit()
    ingest_photo(images.camera_jpeg(), finding, world.users["inspector8"], str(uuid.uuid4()), PhotoStage.BEFORE,
                 filename="IMG_0003.JPG")
    db.session.commit()
    return visit, items


def _text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("username", ["inspector8", "leader8", "province", "viewer", "nanyang"])
def test_team_city_and_province_download_the_record(client, login_as, recorded, username):
    visit, items = recorded
    login_as(username)
    response = client.get(f"/visits/{visit.id}/record.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    disposition = response.headers["Content-Disposition"]
    assert "%E7%8E%B0%E5%9C%BA%E6%A0%B8%E6%9F%A5%E8%AE%B0%E5%BD%95%E8%A1%A8" in disposition   # 现场核查记录表
    day = visit.started_at.astimezone(timezone(timedelta(hours=8))).date().isoformat()
    # The ASCII fallback says what, where and when too (issue 14, seen 5).
    assert f'filename="visit-record-411329-site{visit.site_id}-{day}.docx"' in disposition
    text = _text(response.data)
    site = visit.site.name
    assert f"{site}现场核查记录表" in text.replace("\n", "")
    for expected in ("新野县", "第八核查组", items[0].code, items[1].code, "不符合", "财务部无专职人员", "未作答",
                     "（一）财务管理部未配备专职人员，账务仍由各成员单位分散核算", "拍摄时间 2022-07-10 09:30",
                     "核查人员（签字）：", "被核查单位负责人（签字）：", "日期："):
        assert expected in text, expected
    assert len([p for p in Document(io.BytesIO(response.data)).inline_shapes]) == 1


def test_county_roles_and_other_teams_cannot(client, login_as, world, recorded):
    visit, _ = recorded
    for username in ("xinye", "xinye-wjw", "tongbai"):      # the county side never sees visits
        login_as(username)
        assert client.get(f"/visits/{visit.id}/record.docx").status_code == 403
    outsider = make_user("inspector9", Role.INSPECTOR)          # an inspector of no team here
    login_as_user(client, outsider)
    assert client.get(f"/visits/{visit.id}/record.docx").status_code == 404


def login_as_user(client, user):
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def test_download_is_audited(client, login_as, world, recorded):
    visit, _ = recorded
    login_as("leader8")
    client.get(f"/visits/{visit.id}/record.docx")
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "export.visit_record")).scalar_one()
    assert event.county_id == world.xinye.id and event.object_id == str(visit.id)
    assert event.username == "leader8" and event.object_label.endswith(".docx")


def test_visit_screen_links_the_record(client, login_as, recorded):
    visit, _ = recorded
    login_as("inspector8")
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'href="/visits/{visit.id}/record.docx"' in html and "下载现场核查记录表" in html
