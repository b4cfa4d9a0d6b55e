"""Issuing (下发): one transaction, idempotent, frozen afterwards, visible to the county; exports."""
import io
from datetime import date, datetime, timezone

import openpyxl
import pytest
import sqlalchemy as sa
from docx import Document

from inspect_app.audit.models import AuditEvent
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.problem_lists import service
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ItemHistory, ProblemList, ProblemListStatus, RectificationItem
from inspect_app.visits.models import Finding, FindingStatus, RectificationType, Severity
from tests.conftest import HX
from tests.problem_lists.factories import campaign, edit_data, list_url, make_finding, merge_versions, sites


def items():
    return db.session.execute(sa.select(RectificationItem).order_by(RectificationItem.seq)).scalars().all()


def test_confirmation_page_shows_final_numbers(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    html = client.get(list_url(camp, suffix="/issue?issued_on=2022-07-13")).get_data(as_text=True)
    for n in (1, 2, 3, 4):
        assert f"411329-2022-00{n}" in html
    assert html.index("411329-2022-001") < html.index("一办六部未实体化运行") < html.index("411329-2022-004")
    assert "确认下发" in html and 'type="date"' in html
    assert "2022-08-31" in html   # the finding's own deadline


def test_issue_creates_items_and_freezes_findings(client, login_as, xinye_list, world):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    response = client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"})
    assert response.status_code == 302 and response.headers["Location"].endswith(list_url(camp))
    plist = db.session.execute(sa.select(ProblemList)).scalar_one()
    assert plist.status == ProblemListStatus.ISSUED and plist.issued_on == date(2022, 7, 13)
    assert plist.issued_by_id == world.users["leader8"].id and plist.team.name == "第八核查组"
    got = items()
    assert [i.number for i in got] == ["411329-2022-001", "411329-2022-002", "411329-2022-003", "411329-2022-004"]
    assert [i.finding_id for i in got] == [b01.id, b02.id, free.id, c01.id]
    first, second, third, fourth = got
    assert all(i.status == Status.PENDING and i.county_id == world.xinye.id and i.campaign_id == camp.id for i in got)
    assert first.severity == Severity.SERIOUS and first.rectification_type == RectificationType.IMMEDIATE
    assert first.deadline == date(2022, 7, 20)           # 立行立改: 5 working days after issued_on
    assert second.deadline == date(2022, 8, 31)          # the finding's own (leader's) deadline
    assert third.deadline == date(2022, 8, 24)           # 限期整改: 30 working days
    assert fourth.deadline == date(2023, 1, 9)           # 长期坚持: + 180 days
    assert first.suggested_measures == "明确人员编制，集中办公" and first.site_id == b01.site_id
    assert fourth.category == "服务共同体"
    history = db.session.execute(sa.select(ItemHistory)).scalars().all()
    assert len(history) == 4 and {h.action for h in history} == {"issue"}
    assert all(h.to_status == Status.PENDING for h in history)
    assert {f.status for f in db.session.execute(sa.select(Finding)).scalars()} == {FindingStatus.ISSUED}
    actions = db.session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert actions.count("problem_list.issue") == 1 and actions.count("item.issue") == 4


def test_issued_list_visible_to_xinye_read_only(client, login_as, xinye_list):
    camp, _ = xinye_list
    login_as("leader8")
    client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"})
    login_as("xinye")
    html = client.get(list_url(camp)).get_data(as_text=True)
    assert "已下发" in html and "411329-2022-004" in html and "2022年7月13日" in html
    assert "编辑" not in html and "下发清单" not in html
    index = client.get("/problem-lists").get_data(as_text=True)
    assert "新野县" in index and "已下发" in index and "2022-07-13" in index
    login_as("tongbai")
    assert client.get(list_url(camp)).status_code == 404


def test_edits_after_issue_answer_409(client, login_as, xinye_list):
    camp, (b01, b02, *_r) = xinye_list
    login_as("leader8")
    client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"})
    response = client.post(f"/problem-lists/findings/{b01.id}", headers={**HX, "HX-Target": f"finding-{b01.id}"}, data=edit_data(b01, {
        "description": "改过的", "category": "管理共同体", "severity": "general", "rectification_type": "deadline",
        "deadline": "", "suggested_measures": ""}))
    assert response.status_code == 409 and "问题清单已下发，不能再修改" in response.get_data(as_text=True)
    assert client.post(f"/problem-lists/findings/{b01.id}/move/down", headers=HX).status_code == 409
    assert client.get(f"/problem-lists/findings/{b01.id}/edit", headers=HX).status_code == 409
    assert client.post(list_url(camp, suffix="/merge"), headers=HX, data={
        "finding_ids": [b01.id, b02.id], "keep_id": b01.id, "description": "x"}).status_code == 409
    db.session.expire_all()
    assert db.session.get(Finding, b01.id).description == "一办六部未实体化运行，人员未到岗"


def test_second_issue_is_409_without_duplicates(client, login_as, xinye_list):
    camp, _ = xinye_list
    login_as("leader8")
    assert client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"}).status_code == 302
    again = client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-14"})
    assert again.status_code == 409 and "已于2022年7月13日下发，请勿重复下发" in again.get_data(as_text=True)
    assert len(items()) == 4
    assert db.session.execute(sa.select(ProblemList)).scalar_one().issued_on == date(2022, 7, 13)
    # the confirmation page of an issued list sends back to the list
    assert client.get(list_url(camp, suffix="/issue")).status_code == 302


def test_stale_second_request_is_409(client, login_as, xinye_list, world):
    """Two requests that both loaded the draft: the service refuses the second (no duplicates)."""
    camp, _ = xinye_list
    sheet_a = service.Sheet(camp, world.xinye, None, service.team_for(camp.id, world.xinye.id))
    sheet_b = service.Sheet(camp, world.xinye, None, service.team_for(camp.id, world.xinye.id))
    service.issue(sheet_a, world.users["leader8"], date(2022, 7, 13))
    with pytest.raises(DomainError) as refused:
        service.issue(sheet_b, world.users["leader8"], date(2022, 7, 13))
    assert refused.value.status == 409 and "请勿重复下发" in refused.value.message
    assert len(items()) == 4


def test_failure_mid_issue_leaves_nothing(client, login_as, xinye_list, world, monkeypatch):
    camp, findings = xinye_list
    real = service._item_from
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "_item_from", flaky)
    sheet = service.visible_list(world.users["leader8"], camp, world.xinye)
    with pytest.raises(RuntimeError):
        service.issue(sheet, world.users["leader8"], date(2022, 7, 13))
    db.session.expire_all()
    assert items() == [] and db.session.execute(sa.select(ItemHistory)).first() is None
    assert db.session.execute(sa.select(ProblemList)).first() is None
    assert {f.status for f in db.session.execute(sa.select(Finding)).scalars()} == {FindingStatus.DRAFT}
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action.like("%issue%"))).first() is None
    # and the leader can still issue afterwards
    monkeypatch.setattr(service, "_item_from", real)
    login_as("leader8")
    assert client.get(list_url(camp)).get_data(as_text=True).count("整理中") >= 1
    assert client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"}).status_code == 302
    assert len(items()) == 4


def test_merged_findings_are_not_issued(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    client.post(list_url(camp, suffix="/merge"), data={"finding_ids": [b01.id, b02.id], "keep_id": b01.id,
                                                  "description": b01.description, **merge_versions(b01, b02)})
    client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"})
    assert [i.finding_id for i in items()] == [b01.id, free.id, c01.id]
    assert items()[-1].number == "411329-2022-003"
    db.session.expire_all()
    assert db.session.get(Finding, b02.id).status == FindingStatus.MERGED
    # unmerge after issue is refused
    assert client.post(f"/problem-lists/findings/{b02.id}/unmerge", headers=HX).status_code == 409


def test_county_without_findings_cannot_be_issued(client, login_as, world):
    camp = campaign()
    login_as("leader8")
    page = client.get(list_url(camp, "411330", "/issue")).get_data(as_text=True)
    assert "没有待下发的问题，不能下发" in page
    response = client.post(list_url(camp, "411330", "/issue"), data={"issued_on": "2022-07-13"})
    assert response.status_code == 422 and "没有待下发的问题" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(ProblemList)).first() is None


def test_issue_needs_a_date(client, login_as, xinye_list):
    camp, _ = xinye_list
    login_as("leader8")
    response = client.post(list_url(camp, suffix="/issue"), data={"issued_on": ""})
    assert response.status_code == 422 and "请填写下发日期" in response.get_data(as_text=True)
    assert items() == []


def test_other_county_issue_is_404(client, login_as, world):
    camp = campaign()
    make_finding(camp, sites(world.dancheng)[0], world.users["province"], "郸城县的问题")
    db.session.commit()
    login_as("leader8")
    assert client.post(list_url(camp, "411625", "/issue"), data={"issued_on": "2022-07-13"}).status_code == 404
    assert items() == []


# ---------------------------------------------------------------- exports

def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def test_issued_exports_open_and_read_right(client, login_as, xinye_list):
    camp, _ = xinye_list
    login_as("leader8")
    client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-25"})
    login_as("xinye")
    response = client.get(list_url(camp, suffix="/feedback.docx"))
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition and "2022-07-25.docx" in disposition
    assert "%E6%96%B0%E9%87%8E%E5%8E%BF" in disposition       # 新野县 percent-encoded
    text = _docx_text(response.data)
    first_line = Document(io.BytesIO(response.data)).paragraphs[0].text
    assert "新野县" in first_line and "讨论稿" not in text
    assert "第八核查组" in text and "2022年7月25日" in text and "2022年紧密型县域医共体建设核查" in text
    assert "411329-2022-001" in text and "411329-2022-004" in text
    assert text.index("管理共同体") < text.index("服务共同体")
    assert "2022年8月1日" in text          # 立行立改 + 7 days from 2022-07-25

    response = client.get(list_url(camp, suffix="/list.xlsx"))
    assert response.status_code == 200 and "2022-07-25.xlsx" in response.headers["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "新野县反馈问题清单" and "下发日期：2022-07-25" in rows[1][0]
    assert rows[2][:3] == ("序号", "问题编号", "问题类别")
    assert [r[1] for r in rows[3:]] == [f"411329-2022-00{n}" for n in (1, 2, 3, 4)]
    assert rows[4][7].date() == date(2022, 8, 31)      # a real date cell
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"
    assert ws.oddHeader.left.text == "新野县" and ws.oddHeader.right.text == "2022-07-25"
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"


def test_draft_exports_are_marked(client, login_as, xinye_list):
    camp, _ = xinye_list
    login_as("leader8")
    response = client.get(list_url(camp, suffix="/feedback.docx"))
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    title = [p.text for p in document.paragraphs if p.style.style_id == "GwTitle"]
    assert title and title[0].endswith("（讨论稿）") and "新野县" in "".join(title)
    assert document.core_properties.title.endswith("（讨论稿）")
    assert "%EF%BC%88%E8%AE%A8%E8%AE%BA%E7%A8%BF%EF%BC%89" in response.headers["Content-Disposition"]
    response = client.get(list_url(camp, suffix="/list.xlsx"))
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    assert wb.active.title == "反馈问题清单（讨论稿）" and wb.active.max_row == 2 + 1 + 4


def test_no_export_without_findings(client, login_as, world):
    camp = campaign()
    login_as("leader8")
    response = client.get(list_url(camp, "411330", "/feedback.docx"))
    assert response.status_code == 302


def test_second_campaign_of_the_same_year_continues_the_numbers(client, login_as, xinye_list, world):
    """问题编号 is county-year-running number: a 回头看 the same year continues after the first list."""
    from inspect_app.campaigns.models import Campaign, Team
    camp, _ = xinye_list
    login_as("leader8")
    client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"})
    recheck = Campaign(name="2022年回头看", year=2022, start_date=date(2022, 11, 1), end_date=date(2022, 11, 3))
    db.session.add(recheck)
    db.session.flush()
    team = Team(campaign_id=recheck.id, name="第八核查组", leader_id=world.users["leader8"].id)
    team.counties = [world.xinye]
    db.session.add(team)
    make_finding(recheck, sites(world.xinye)[0], world.users["inspector8"], "回头看发现的问题")
    db.session.commit()
    confirm = client.get(list_url(recheck, suffix="/issue")).get_data(as_text=True)
    assert "411329-2022-005" in confirm and "411329-2022-001" not in confirm   # what is shown is what is issued
    response = client.post(list_url(recheck, suffix="/issue"), data={"issued_on": "2022-11-03"})
    assert response.status_code in (200, 302)
    numbers = sorted(i.number for i in items())
    assert numbers == ["411329-2022-001", "411329-2022-002", "411329-2022-003", "411329-2022-004",
                       "411329-2022-005"]
    recheck_items = [i for i in items() if i.campaign_id == recheck.id]
    assert [i.number for i in recheck_items] == ["411329-2022-005"] and recheck_items[0].seq == 1


def test_issue_date_counts_for_the_items_and_their_timeline(client, login_as, xinye_list):
    """The items count as issued on the list's recorded 下发 date (00:00 Beijing), not at data entry:
    periods, dashboards and the API read issued_at, the timeline reads the "issue" row."""
    camp, _ = xinye_list
    login_as("leader8")
    assert client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"}).status_code == 302
    items = db.session.execute(sa.select(RectificationItem)).scalars().all()
    midnight = datetime(2022, 7, 12, 16, tzinfo=timezone.utc)           # 2022-07-13 00:00 Beijing
    assert items and all(i.issued_at == midnight for i in items)
    rows = db.session.execute(sa.select(ItemHistory).where(ItemHistory.action == "issue")).scalars().all()
    assert len(rows) == len(items) and all(r.at == midnight for r in rows)


@pytest.mark.parametrize("day, message", [
    ("2099-01-01", "下发日期不能晚于今天"),
    ("2022-07-08", "下发日期不能早于清单所列问题的现场核查日期（2022年7月9日）"),
])
def test_issue_date_is_validated_and_the_input_kept(client, login_as, xinye_list, day, message):
    camp, _ = xinye_list
    login_as("leader8")
    response = client.post(list_url(camp, suffix="/issue"), data={"issued_on": day})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and f'value="{day}"' in body
    assert db.session.execute(sa.select(ProblemList)).first() is None


def test_issue_date_of_today_keeps_the_time_of_issue(app, xinye_list, world):
    from inspect_app.problem_lists.service import issue_instant
    now = datetime(2022, 7, 13, 3, 25, tzinfo=timezone.utc)
    assert issue_instant(date(2022, 7, 13), now) == now
    assert issue_instant(date(2022, 7, 12), now) == datetime(2022, 7, 11, 16, tzinfo=timezone.utc)


def test_the_week_of_the_recorded_date_reports_the_new_items(client, login_as, xinye_list):
    """A list dated 2022-07-13 and entered years later counts in the week of 13 July 2022."""
    camp, _ = xinye_list
    login_as("leader8")
    assert client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"}).status_code == 302
    count = db.session.scalar(sa.select(sa.func.count()).select_from(RectificationItem))
    page = client.get("/dashboard/reports?kind=week&day=2022-07-13&campaign=all").get_data(as_text=True)
    assert f"新下发整改事项{count}项" in page
    later = client.get("/dashboard/reports?kind=week&day=2022-07-20&campaign=all").get_data(as_text=True)
    assert "新下发整改事项0项" in later and f"累计下发整改事项{count}项" in later
