"""The workflow in real sequences (issue 10): findings after the list was issued, a list issued
while visits are still 核查中, deadlines from the day of issue in working days, a second campaign
over the same county, and draft findings never reaching the county side."""
import io
import uuid as uuidlib
from datetime import date, datetime, timezone

import sqlalchemy as sa
from docx import Document

from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ProblemList, RectificationItem
from inspect_app.roles import Role
from inspect_app.visits.models import Finding, FindingStatus, RectificationType, VisitStatus
from tests.conftest import HX
from tests.factories import make_user
from tests.problem_lists.factories import list_url, make_finding, make_visit, sites


def items():
    return db.session.execute(sa.select(RectificationItem).order_by(RectificationItem.id)).scalars().all()


def issue(client, camp, issued_on="2022-07-13", **extra):
    return client.post(list_url(camp, suffix="/issue"), data={"issued_on": issued_on, **extra})


def record_finding(client, visit, description, rtype="immediate"):
    """An inspector records a free-standing finding on the visit screen (as the tablet posts it)."""
    return client.post(f"/visits/{visit.id}/findings", headers=HX, data={
        "uuid": str(uuidlib.uuid4()), "description": description, "category": "管理共同体",
        "severity": "general", "rectification_type": rtype, "suggested_measures": ""})


def open_visit(camp, world):
    """A visit of 新野县's township centre still 核查中."""
    visit = make_visit(camp, sites(world.xinye)[2], world.users["inspector8"])
    visit.status = VisitStatus.IN_PROGRESS
    db.session.commit()
    return visit


# ---------------------------------------------------------------- 1. findings after the list was issued

def test_findings_after_issue_form_a_supplementary_list(client, login_as, xinye_list, world):
    camp, _findings = xinye_list
    login_as("leader8")
    assert issue(client, camp).status_code == 302
    visit = open_visit(camp, world)
    login_as("inspector8")
    # The inspector on the visit screen is told that the list is issued and where new findings go.
    screen = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "本县反馈问题清单已于2022年7月13日下发，新记录的问题将列入补充反馈问题清单" in screen
    assert record_finding(client, visit, "乡镇卫生院未落实人员统一调配").status_code == 200
    assert record_finding(client, visit, "村卫生室药品未统一配送", "deadline").status_code == 200
    visit.status = VisitStatus.SUBMITTED
    db.session.commit()

    login_as("leader8")
    index = client.get(f"/problem-lists?campaign={camp.id}").get_data(as_text=True)
    assert "补充清单整理中" in index
    page = client.get(list_url(camp)).get_data(as_text=True)
    assert "补充反馈问题清单（整理中）" in page and "下发补充清单" in page
    assert "乡镇卫生院未落实人员统一调配" in page and "清单不能再修改" in page   # the first list stays frozen
    confirm = client.get(list_url(camp, suffix="/issue?issued_on=2022-07-20")).get_data(as_text=True)
    assert "下发新野县补充反馈问题清单" in confirm
    assert "411329-2022-005" in confirm and "411329-2022-006" in confirm      # numbered on
    assert issue(client, camp, "2022-07-20", sequence="2").status_code == 302

    lists = db.session.execute(sa.select(ProblemList).order_by(ProblemList.sequence)).scalars().all()
    assert [(p.sequence, p.title, p.issued_on) for p in lists] == [
        (1, "新野县反馈问题清单", date(2022, 7, 13)), (2, "新野县补充反馈问题清单", date(2022, 7, 20))]
    late = [i for i in items() if i.problem_list_id == lists[1].id]
    assert [(i.seq, i.number) for i in late] == [(1, "411329-2022-005"), (2, "411329-2022-006")]
    assert late[0].deadline == date(2022, 7, 27) and late[0].status == Status.PENDING
    assert {f.status for f in db.session.execute(sa.select(Finding)).scalars()} == {FindingStatus.ISSUED}
    # Issuing the same supplementary list again (double click) is refused with its date.
    again = issue(client, camp, "2022-07-20", sequence="2")
    assert again.status_code == 409 and "已于2022年7月20日下发" in again.get_data(as_text=True)

    docx = client.get(list_url(camp, suffix="/feedback.docx?list=2"))
    assert docx.status_code == 200 and "%E8%A1%A5%E5%85%85" in docx.headers["Content-Disposition"]  # 补充
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert "补充反馈问题清单" in text and "411329-2022-005" in text and "411329-2022-001" not in text
    assert "已于2022年7月13日" in text
    first = Document(io.BytesIO(client.get(list_url(camp, suffix="/feedback.docx?list=1")).data))
    assert "补充" not in first.paragraphs[0].text + first.paragraphs[1].text

    # The county sees both lists and all six items; nothing of drafts.
    login_as("xinye")
    county = client.get(list_url(camp)).get_data(as_text=True)
    assert "补充反馈问题清单" in county and "411329-2022-006" in county and "411329-2022-001" in county
    assert "整理中" not in county
    ledger = client.get("/items/").get_data(as_text=True)
    assert "411329-2022-005" in ledger and "411329-2022-001" in ledger


def test_coordinator_never_sees_the_open_supplementary_drafts(client, login_as, xinye_list, world):
    camp, _findings = xinye_list
    login_as("leader8")
    issue(client, camp)
    late = make_finding(camp, sites(world.xinye)[0], world.users["inspector8"], "补充发现：绩效方案未公示")
    db.session.commit()
    login_as("xinye")
    page = client.get(list_url(camp)).get_data(as_text=True)
    assert "绩效方案未公示" not in page and "整理中" not in page
    assert client.get(f"/problem-lists/findings/{late.id}", headers=HX).status_code == 404
    assert client.get(list_url(camp, suffix="/feedback.docx")).status_code == 200   # the issued list
    assert "绩效方案未公示".encode() not in client.get(list_url(camp, suffix="/list.xlsx")).data


# ---------------------------------------------------------------- 2. visits still 核查中

def test_issue_warns_about_open_visits_and_waits_for_confirmation(client, login_as, xinye_list, world):
    camp, _findings = xinye_list
    visit = open_visit(camp, world)
    login_as("leader8")
    page = client.get(list_url(camp, suffix="/issue")).get_data(as_text=True)
    assert "还有 1 个点位仍在核查中" in page and visit.site.name in page and f"/visits/{visit.id}" in page
    refused = issue(client, camp, "2022-07-13", **{"deadline-999999": ""})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "该县还有核查中的点位，请确认后再下发" in body
    assert 'value="2022-07-13"' in body                      # the date typed is kept
    assert db.session.execute(sa.select(ProblemList)).first() is None and not items()
    assert issue(client, camp, "2022-07-13", confirm_open_visits="y").status_code == 302
    assert len(items()) == 4


def test_no_warning_once_every_visit_is_submitted(client, login_as, xinye_list):
    camp, _findings = xinye_list
    login_as("leader8")
    assert "仍在核查中" not in client.get(list_url(camp, suffix="/issue")).get_data(as_text=True)
    assert issue(client, camp).status_code == 302


# ---------------------------------------------------------------- 3. deadlines from the day of issue

def test_meeting_days_after_the_visit_gets_full_working_days(client, login_as, world):
    """Recorded on 2025-09-25, issued at a meeting on 2025-09-30: 立行立改 runs 5 working days from
    the 30th across the National Day holiday — 2025-10-14, not 7 days from the recording."""
    from tests.problem_lists.factories import campaign, make_checklist
    camp = campaign()
    make_checklist(camp)
    visit = make_visit(camp, sites(world.xinye)[0], world.users["inspector8"])
    visit.status = VisitStatus.IN_PROGRESS
    db.session.commit()
    login_as("inspector8")
    record_finding(client, visit, "一办六部人员未到岗", "immediate")
    record_finding(client, visit, "七统一未落实", "deadline")
    record_finding(client, visit, "医防融合机制未建立", "long_term")
    assert {f.deadline for f in db.session.execute(sa.select(Finding)).scalars()} == {None}
    visit.status = VisitStatus.SUBMITTED
    db.session.commit()
    login_as("leader8")
    confirm = client.get(list_url(camp, suffix="/issue?issued_on=2025-09-30")).get_data(as_text=True)
    assert 'value="2025-10-14"' in confirm
    assert issue(client, camp, "2025-09-30").status_code == 302
    by_type = {i.rectification_type: i.deadline for i in items()}
    assert by_type == {RectificationType.IMMEDIATE: date(2025, 10, 14),      # 5 working days (调休 11 Oct)
                       RectificationType.DEADLINE: date(2025, 11, 18),       # 30 working days
                       RectificationType.LONG_TERM: date(2026, 3, 29)}       # 180 calendar days


def test_changing_the_meeting_date_moves_the_proposed_deadlines(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    preview = client.post(list_url(camp, suffix="/issue"), headers={**HX, "HX-Target": "issue-form"}, data={
        "issued_on": "2026-02-13", "basis": "2022-07-13", "preview": "1",
        f"deadline-{b01.id}": "2022-07-20",        # the proposal for the old date: follows the new one
        f"deadline-{free.id}": "2026-06-30"})      # the leader's own date: stays
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<html" not in body
    assert f'name="deadline-{b01.id}" id="deadline-{b01.id}" aria-label="411329-2022-001 完成时限"' in body
    assert 'value="2026-02-27"' in body and 'value="2026-06-30"' in body
    assert not items()


def test_a_deadline_before_the_issue_date_is_refused_and_inputs_kept(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    response = issue(client, camp, "2025-09-30", **{f"deadline-{b01.id}": "2020-01-01",
                                                    f"deadline-{free.id}": "2025-12-31"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "完成时限不能早于下发日期（2025年9月30日）" in body
    assert 'value="2020-01-01"' in body and 'value="2025-12-31"' in body and 'value="2025-09-30"' in body
    assert not items() and db.session.execute(sa.select(ProblemList)).first() is None
    bad = issue(client, camp, "2025-09-30", **{f"deadline-{b01.id}": "明天"})
    assert bad.status_code == 422 and "完成时限“明天”无效" in bad.get_data(as_text=True)
    ok = issue(client, camp, "2025-09-30", **{f"deadline-{b01.id}": "2025-10-09", f"deadline-{free.id}": "2025-12-31"})
    assert ok.status_code == 302
    got = {i.finding_id: i.deadline for i in items()}
    assert got[b01.id] == date(2025, 10, 9) and got[free.id] == date(2025, 12, 31)
    assert got[c01.id] == date(2026, 3, 29)                    # 长期坚持 default: 180 days


def test_campaign_periods_and_the_fallback_note(client, login_as, xinye_list, monkeypatch):
    # Issued on 2027-03-01 (a year without an official calendar yet), seen from the next day.
    from inspect_app.problem_lists import service as problem_lists
    monkeypatch.setattr(problem_lists, "utcnow", lambda: datetime(2027, 3, 2, 2, tzinfo=timezone.utc))
    camp, (b01, b02, free, c01) = xinye_list
    camp.immediate_working_days, camp.deadline_working_days = 3, 10
    db.session.commit()
    login_as("leader8")
    page = client.get(list_url(camp, suffix="/issue?issued_on=2027-03-01")).get_data(as_text=True)
    assert "立行立改 3 个工作日" in page and "限期整改 10 个工作日" in page
    assert 'value="2027-03-04"' in page                      # 3 working days, Monday-Friday
    assert "按周一至周五估算，未含法定节假日调整" in page
    issue(client, camp, "2027-03-01")
    assert "按周一至周五估算，未含法定节假日调整" in client.get(list_url(camp)).get_data(as_text=True)
    login_as("xinye")
    item = next(i for i in items() if i.finding_id == b01.id)
    assert item.deadline == date(2027, 3, 4)
    detail = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert 'id="deadline-note">按周一至周五估算，未含法定节假日调整' in detail
    long_term = next(i for i in items() if i.finding_id == c01.id)      # calendar days: no estimate
    assert "deadline-note" not in client.get(f"/items/{long_term.id}").get_data(as_text=True)


# ---------------------------------------------------------------- 5. a second campaign over the same county

def _second_campaign(world):
    """2023's campaign, whose 第三核查组 (leader3) was given 新野县 too."""
    leader3 = make_user("leader3", Role.TEAM_LEADER)
    world.users["leader3"] = leader3
    other = Campaign(name="2023年紧密型县域医共体建设核查", year=2023, start_date=date(2023, 7, 1),
                     end_date=date(2023, 7, 5))
    db.session.add(other)
    db.session.flush()
    team = Team(campaign_id=other.id, name="第三核查组", leader_id=leader3.id)
    team.members = [leader3]
    team.counties = [world.xinye]
    db.session.add(team)
    db.session.commit()
    return other


def test_other_campaigns_team_gets_404_on_this_campaigns_objects(client, login_as, xinye_list, world):
    camp, (b01, b02, free, c01) = xinye_list
    _second_campaign(world)
    login_as("leader3")
    for url in (f"/problem-lists/findings/{b01.id}", f"/problem-lists/findings/{b01.id}/edit",
                list_url(camp), list_url(camp, suffix="/issue"), list_url(camp, suffix="/feedback.docx")):
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers=HX).status_code == 404, url
    reword = client.post(f"/problem-lists/findings/{b01.id}", data={f"f{b01.id}-description": "改写"})
    assert reword.status_code == 404
    assert issue(client, camp).status_code == 404 and not items()
    assert client.get(f"/visits/{b01.visit_id}").status_code == 404
    assert client.get(f"/visits/findings/{b01.id}", headers=HX).status_code == 404
    assert f"/problem-lists/{camp.id}/" not in client.get("/problem-lists").get_data(as_text=True)

    # leader8 issues; the item is submitted for acceptance; leader3 cannot accept (销号) it.
    login_as("leader8")
    issue(client, camp)
    item = items()[0]
    item.status = Status.SUBMITTED
    item.unit_id = world.users["xinye-wjw"].unit_id
    db.session.commit()
    login_as("leader3")
    assert client.get(f"/items/{item.id}").status_code == 404
    accept = client.post(f"/items/{item.id}/actions/accept", data={"opinion": "同意销号", "version": item.version})
    assert accept.status_code == 404
    bulk = client.post("/items/review/accept", data={"item_ids": [item.id], "opinion": "同意销号"})
    db.session.refresh(item)
    assert item.status == Status.SUBMITTED and bulk.status_code in (200, 302, 422)
    assert "411329-2022-001" not in client.get("/items/review").get_data(as_text=True)
    assert "411329-2022-001" not in client.get("/items/").get_data(as_text=True)
    # Nor is leader3 asked to accept it.
    from inspect_app.rectification import notifications
    assert world.users["leader8"].id in notifications.reviewers(item)
    assert world.users["leader3"].id not in notifications.reviewers(item)
    # leader8, whose team's campaign it is, still can.
    login_as("leader8")
    assert client.get(f"/items/{item.id}").status_code == 200
    assert client.get(list_url(camp)).status_code == 200


# ---------------------------------------------------------------- 6. drafts never reach the county side

def test_coordinators_fragment_of_a_draft_finding_is_404(client, login_as, xinye_list):
    camp, (b01, *_rest) = xinye_list
    login_as("xinye")
    assert client.get(f"/problem-lists/findings/{b01.id}", headers=HX).status_code == 404
    assert client.get(f"/problem-lists/findings/{b01.id}").status_code == 404
    login_as("leader8")
    issue(client, camp)
    login_as("xinye")
    # An issued finding is an item of the county's list: its card may be fetched.
    assert client.get(f"/problem-lists/findings/{b01.id}", headers=HX).status_code == 200
