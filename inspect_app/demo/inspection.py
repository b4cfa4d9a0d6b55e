"""The demo inspection: 第八核查组's visits in 新野县 and 桐柏县, 新野县's issued problem list and
its items at every stage of rectification, so that each demo account has real work to look at.

Everything goes through the same services as the screens (signed in as the acting demo user), so
the audit trail, item timelines and notifications are the real ones; each action is recorded at the
day of the story it belongs to (history rows with those timestamps, not the seed's "today"), so the
burn-up, the median time to close and the period reports have real shapes. Two campaigns: July 2022
(issued at the feedback meeting on 13 July, closures spread over three months) and a 回头看 that
began RECHECK_DAYS_AGO days before the seed ran, still under way, so the three-colour supervision
shows its colours.
"""
import io
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_login import login_user, logout_user
from PIL import Image, ImageDraw

from inspect_app.auth.models import User
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.media.models import PhotoStage
from inspect_app.media.service import ingest_photo
from inspect_app.org.models import Region, ResponsibleUnit, Site, SiteKind
from inspect_app.problem_lists import service as problem_lists
from inspect_app.rectification import date_rules
from inspect_app.rectification import service as rectification
from inspect_app.rectification.lifecycle import Action
from inspect_app.visits import service as visits
from inspect_app.visits.models import AnswerResult, RectificationType, Severity, SiteVisit

# (site kind, [(item index among the site's items, result, note, finding: (severity, type))]); the
# deadlines are the defaults counted from the list's 下发 date (lifecycle.default_deadline).
XINYE_VISITS = [
    ("office", [
        (0, AnswerResult.NONCONFORMING, "未见医共体统一法人登记证书", (Severity.CRITICAL, RectificationType.DEADLINE)),
        (1, AnswerResult.BASICALLY, "资产划转清单未经财政部门确认", (Severity.SERIOUS, RectificationType.DEADLINE)),
        (2, AnswerResult.NONCONFORMING, "一办六部人员未实际到岗办公", (Severity.SERIOUS, RectificationType.IMMEDIATE)),
        (3, AnswerResult.BASICALLY, "医共体章程修订稿未报县政府备案", (Severity.GENERAL, RectificationType.DEADLINE)),
        (4, AnswerResult.BASICALLY, "管委会会议纪要不全", (Severity.GENERAL, RectificationType.IMMEDIATE)),
    ]),
    ("center_ecg", [
        (0, AnswerResult.NONCONFORMING, "3 个乡镇卫生院尚未接入远程心电", (Severity.GENERAL, RectificationType.DEADLINE)),
        (1, AnswerResult.BASICALLY, "诊断报告回传时间超过 30 分钟", (Severity.GENERAL, RectificationType.LONG_TERM)),
    ]),
    ("center_imaging", [
        (0, AnswerResult.NONCONFORMING, "远程影像诊断未覆盖全部乡镇卫生院", (Severity.SERIOUS, RectificationType.DEADLINE)),
        (1, AnswerResult.BASICALLY, "影像诊断质控记录缺失", (Severity.GENERAL, RectificationType.DEADLINE)),
    ]),
]
TONGBAI_VISITS = [
    ("office", [
        (0, AnswerResult.NONCONFORMING, "医共体章程未经县政府批准", (Severity.SERIOUS, RectificationType.DEADLINE)),
        (3, AnswerResult.BASICALLY, "绩效考核方案未覆盖乡镇卫生院", (Severity.GENERAL, RectificationType.DEADLINE)),
    ]),
]
# The later campaign (回头看): what the re-check found still open.
RECHECK_XINYE = [
    ("office", [
        (0, AnswerResult.BASICALLY, "统一法人登记后财务未实行统一核算", (Severity.SERIOUS, RectificationType.DEADLINE)),
        (2, AnswerResult.NONCONFORMING, "一办六部人员又被原单位抽回", (Severity.SERIOUS, RectificationType.IMMEDIATE)),
        (3, AnswerResult.BASICALLY, "章程执行情况未纳入年度考核", (Severity.GENERAL, RectificationType.DEADLINE)),
    ]),
    ("center_ecg", [
        (0, AnswerResult.BASICALLY, "新接入乡镇卫生院心电设备未校准", (Severity.GENERAL, RectificationType.IMMEDIATE)),
    ]),
]
RECHECK_TONGBAI = [
    ("office", [
        (0, AnswerResult.NONCONFORMING, "医共体章程批准后未公开", (Severity.GENERAL, RectificationType.IMMEDIATE)),
        (1, AnswerResult.BASICALLY, "资产清查未完成", (Severity.SERIOUS, RectificationType.DEADLINE)),
        (3, AnswerResult.BASICALLY, "绩效考核结果未与薪酬挂钩", (Severity.GENERAL, RectificationType.DEADLINE)),
    ]),
]
# 新野县's 自查 before the July 2022 visits: (site kind, {item index: (result, note)}); any other item
# 符合. Item 0 of the office and of the ECG centre are over-reported (自查虚报) against XINYE_VISITS.
XINYE_SELF_INSPECTION = [
    ("office", {1: (AnswerResult.BASICALLY, "资产划转清单已报财政局"), 2: (AnswerResult.NONCONFORMING, "人员尚未全部到岗")}),
    ("center_ecg", {}),
]
RECHECK_CAMPAIGN = "2026年紧密型县域医共体建设核查“回头看”"
RECHECK_DAYS_AGO = 45          # the re-check began this many days before the seed runs


@contextmanager
def acting_as(user: User):
    """Run service calls as `user` (audit rows name them), as a request from that user would."""
    with current_app.test_request_context("/demo-seed"):
        login_user(user)
        try:
            yield user
        finally:
            logout_user()


def _user(name: str) -> User:
    return db.session.execute(sa.select(User).where(User.username == name)).scalar_one()


def _site(county: Region, kind: str) -> Site:
    return db.session.execute(sa.select(Site).join(SiteKind).where(
        Site.county_id == county.id, SiteKind.code == kind).order_by(Site.id)).scalars().first()


def _photo_bytes(text: str) -> bytes:
    """A plain 'camera' picture: what matters for the demo is that the pipeline really ran."""
    image = Image.new("RGB", (1600, 1200), (214, 222, 230))
    draw = ImageDraw.Draw(image)
    for y in range(0, 1200, 40):
        draw.line([(0, y), (1600, y + 200)], fill=(190, 200, 212), width=6)
    draw.rectangle([200, 300, 1400, 900], outline=(90, 100, 110), width=12)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _inspect(county: Region, plan, inspector: User, campaign: Campaign, visit_day: date) -> None:
    """One county's visits on `visit_day`: every applicable item answered, findings recorded, visits
    submitted; then dated to that day (09:00–11:30 Beijing), when the inspection took place."""
    assignment = visits.assignment_for(inspector, county.id, campaign.id)
    done = []
    for kind, problems in plan:
        visit, _ = visits.start_visit(inspector, _site(county, kind), assignment, visits.new_uuid())
        items = [row.item for _section, rows in visits.visit_screen(visit).sections for row in rows]
        marked = {index: (result, note, finding) for index, result, note, finding in problems}
        for index, item in enumerate(items):
            result, note, _finding = marked.get(index, (AnswerResult.CONFORMS, "", None))
            visits.save_answer(visit, item, visits.new_uuid(), result, note, inspector)
        for index, (result, note, (severity, rtype)) in marked.items():
            item = items[index]
            values = visits.finding_defaults(item, None, note)
            values.update(severity=severity, rectification_type=rtype, deadline=None,
                          suggested_measures="对照核查要点逐项整改，形成佐证材料后申请销号")
            finding, _ = visits.create_finding(visit, values, visits.new_uuid(), inspector, item)
            if index == min(marked):
                ingest_photo(_photo_bytes(note), finding, inspector, visits.new_uuid(), PhotoStage.BEFORE,
                             filename="现场照片.jpg")
        # Required photos the demo did not take: the inspector says why, as the submit page asks.
        visits.submit_visit(visit, inspector, {gap.field: "演示数据：现场资料已查阅，未另行拍照"
                                               for gap in visits.visit_screen(visit).gaps})
        done.append(visit.id)
    for visit in db.session.execute(sa.select(SiteVisit).where(SiteVisit.id.in_(done))).scalars():
        visit.started_at, visit.submitted_at = _at(visit_day, 9), _at(visit_day, 11, 30)
    db.session.commit()


def _self_inspect(county: Region, plan, coordinator: User, campaign: Campaign, day: date) -> None:
    """The county's 自查 of a few sites before the visits, answered and submitted on `day`."""
    from inspect_app.self_inspections import service as self_inspections

    with acting_as(coordinator):
        for kind, marked in plan:
            inspection, _ = self_inspections.start(coordinator, campaign, _site(county, kind))
            for index, row in enumerate(self_inspections.screen(inspection).rows):
                result, note = marked.get(index, (AnswerResult.CONFORMS, ""))
                self_inspections.save_answer(inspection, row.answer, result, note, row.answer.version, coordinator)
            self_inspections.submit(inspection, coordinator)
            inspection.started_at, inspection.submitted_at = _at(day, 9), _at(day, 16)
    db.session.commit()


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A Beijing wall-clock time on `day`, as the UTC instant the services record."""
    return date_rules.beijing_wall_clock(datetime.combine(day, time(hour, minute)))


def _act(item_id: int, user: User, action: Action, when: datetime, **data) -> None:
    """One lifecycle action by `user`, recorded at `when` (the story's day, not the seed's)."""
    item = db.session.get(rectification.RectificationItem, item_id)
    rectification.apply_action(item_id, user, action, rectification.ActionInput(version=item.version, **data),
                               now=when)


def _issue(leader: User, campaign: Campaign, county: Region, issued_on: date) -> list[int]:
    """下发 the county's list on its feedback-meeting date; the items' ids in list order."""
    with acting_as(leader):
        problem_lists.issue(problem_lists.visible_list(leader, campaign, county), leader, issued_on)
    return [i.id for i in problem_lists.issued_items(problem_lists.visible_list(leader, campaign, county))]


def _unit(name: str) -> ResponsibleUnit:
    return db.session.execute(sa.select(ResponsibleUnit).where(ResponsibleUnit.name == name)).scalar_one()


def _work(item_id: int, county_user: User, leader: User, start: datetime, *, unit: ResponsibleUnit,
          assigner: User, person: str, measures: str, weeks: int | None, returns: int = 0,
          submit: bool = True, extension_days: int | None = None) -> None:
    """One item's story from `start`: assigned, measures written, progress posted, then (if `submit`)
    submitted, returned `returns` times a week apart, and accepted after `weeks` weeks (None: left
    waiting for acceptance). `extension_days`: an extension asked and granted in the first weeks."""
    day = lambda n: start + timedelta(days=n)   # noqa: E731
    deadline = db.session.get(rectification.RectificationItem, item_id).deadline
    with acting_as(assigner):
        _act(item_id, assigner, Action.ASSIGN, day(1), unit_id=unit.id, person=person)
    with acting_as(county_user):
        _act(item_id, county_user, Action.WRITE_MEASURES, day(3), text=f"{measures}，按期完成整改", new_date=deadline)
        _act(item_id, county_user, Action.POST_PROGRESS, day(6), text=f"{measures}，已完成一半")
        if extension_days:
            _act(item_id, county_user, Action.REQUEST_EXTENSION, day(8), reason="需县政府常务会研究，申请延期",
                 new_date=deadline + timedelta(days=extension_days))
    if extension_days:
        with acting_as(leader):
            _act(item_id, leader, Action.APPROVE_EXTENSION, day(9), opinion="同意延期")
    if not submit:
        return
    last = weeks * 7 if weeks is not None else 10 + 7 * returns + 2
    for r in range(returns):
        with acting_as(county_user):
            _act(item_id, county_user, Action.SUBMIT, day(10 + 7 * r), text="整改已完成，申请销号")
        with acting_as(leader):
            _act(item_id, leader, Action.RETURN, day(11 + 7 * r), reason="佐证材料不全，请补充后再申请")
    with acting_as(county_user):
        _act(item_id, county_user, Action.SUBMIT, day(last - 2), text="已补充佐证材料，申请销号")
    if weeks is not None:
        with acting_as(leader):
            _act(item_id, leader, Action.ACCEPT, day(last), opinion="经核查，整改到位，同意销号")


def _first_campaign(campaign: Campaign) -> None:
    """July 2022: visits on 10 and 12 July, 新野县's list issued at the feedback meeting on 13 July, its
    items worked on, returned, extended and closed over the following weeks; 桐柏县's list is left for
    leader8 to issue."""
    xinye, tongbai = (db.session.execute(sa.select(Region).where(Region.code == code)).scalar_one()
                      for code in ("411329", "411330"))
    inspector, leader = _user("inspector8"), _user("leader8")
    _self_inspect(xinye, XINYE_SELF_INSPECTION, _user("xinye"), campaign, date(2022, 7, 5))
    with acting_as(inspector):
        _inspect(xinye, XINYE_VISITS, inspector, campaign, date(2022, 7, 10))
        _inspect(tongbai, TONGBAI_VISITS, inspector, campaign, date(2022, 7, 12))
    items = _issue(leader, campaign, xinye, date(2022, 7, 13))
    wjw, ybj, czj = _unit("新野县卫健委"), _unit("新野县医保局"), _unit("新野县财政局")
    coordinator, responder = _user("xinye"), _user("xinye-wjw")
    start = _at(date(2022, 7, 13), 15)
    story = [   # (unit, who works on it, measures, weeks to close or None, returns, submit, extension days)
        (wjw, responder, "已向县编办报送统一法人登记材料", 3, 0, True, None),
        (wjw, responder, "已与财政局核对资产清单", None, 1, True, None),
        (wjw, responder, "一办六部人员已集中办公", None, 0, True, None),
        (ybj, coordinator, "章程修订稿已报县政府", 5, 1, True, None),
        (czj, coordinator, "补齐管委会会议纪要", 2, 0, True, None),
        (ybj, coordinator, "剩余乡镇卫生院远程心电已接入", 8, 0, True, 30),
        (czj, coordinator, "回传时限纳入质控考核", None, 0, False, None),
        (ybj, coordinator, "远程影像诊断已覆盖全部乡镇卫生院", 11, 2, True, None),
    ]
    for item_id, (unit, worker, measures, weeks, returns, submit, extension) in zip(items, story):
        _work(item_id, worker, leader, start, unit=unit, assigner=coordinator, person="王科长", measures=measures,
              weeks=weeks, returns=returns, submit=submit, extension_days=extension)
    # items[8] (影像诊断质控记录) is left 待整改: overdue since the summer of 2022.


def _recheck_campaign(first: Campaign) -> None:
    """The 回头看 a few weeks ago: both counties visited again, their lists issued at the feedback
    meeting, the items under way week by week until yesterday — some closed, some waiting for
    acceptance, one returned, one still untouched."""
    today = date_rules.today()
    begin = today - timedelta(days=RECHECK_DAYS_AGO)
    campaign = Campaign(name=RECHECK_CAMPAIGN, year=begin.year, start_date=begin, end_date=begin + timedelta(days=3),
                        checklist_version_id=first.checklist_version_id)
    db.session.add(campaign)
    db.session.flush()
    old_team = db.session.execute(sa.select(Team).where(Team.campaign_id == first.id)).scalars().first()
    team = Team(campaign_id=campaign.id, name="第八核查组", leader_id=old_team.leader_id)
    team.members, team.counties = list(old_team.members), list(old_team.counties)
    db.session.add(team)
    db.session.commit()
    xinye, tongbai = (db.session.execute(sa.select(Region).where(Region.code == code)).scalar_one()
                      for code in ("411329", "411330"))
    inspector, leader = _user("inspector8"), _user("leader8")
    with acting_as(inspector):
        _inspect(xinye, RECHECK_XINYE, inspector, campaign, begin + timedelta(days=1))
        _inspect(tongbai, RECHECK_TONGBAI, inspector, campaign, begin + timedelta(days=2))
    issued_on = begin + timedelta(days=3)
    start = _at(issued_on, 15)
    xinye_items = _issue(leader, campaign, xinye, issued_on)
    tongbai_items = _issue(leader, campaign, tongbai, issued_on)
    coordinator, responder, tongbai_coordinator = _user("xinye"), _user("xinye-wjw"), _user("tongbai")
    ybj = _unit("新野县医保局")
    plan = [(xinye_items[0], coordinator, coordinator, ybj, "实行统一核算", 4, 0, True),
            (xinye_items[1], coordinator, coordinator, ybj, "人员重新集中办公", 2, 1, True),
            (xinye_items[2], coordinator, coordinator, ybj, "章程执行纳入年度考核", None, 0, True)]
    units = {u.name: u for u in db.session.execute(sa.select(ResponsibleUnit).where(
        ResponsibleUnit.county_id == tongbai.id)).scalars()}
    plan += [(tongbai_items[0], tongbai_coordinator, tongbai_coordinator, units["桐柏县卫健委"], "章程已在政府网站公开",
              1, 0, True),
             (tongbai_items[1], tongbai_coordinator, tongbai_coordinator, units["桐柏县财政局"], "资产清查推进中",
              None, 0, False),
             (tongbai_items[2], tongbai_coordinator, tongbai_coordinator, units["桐柏县人社局"], "薪酬挂钩方案已起草",
              5, 0, True)]
    for item_id, worker, assigner, unit, measures, weeks, returns, submit in plan:
        _work(item_id, worker, leader, start, unit=unit, assigner=assigner, person="张主任", measures=measures,
              weeks=weeks, returns=returns, submit=submit)
    # xinye_items[3] (心电设备未校准, 立行立改) is left 待整改 and overdue; nothing for 新野县卫健委 here.


def seed_inspection() -> bool:
    """Create the demo story once: the July 2022 campaign and the recent 回头看; False when the demo
    campaign already has visits (the story is there)."""
    campaign = db.session.execute(sa.select(Campaign).where(
        Campaign.name == "2022年紧密型县域医共体建设核查")).scalar_one_or_none()
    if campaign is None or campaign.checklist_version_id is None or db.session.execute(
            sa.select(SiteVisit.id).where(SiteVisit.campaign_id == campaign.id)).first():
        return False
    _first_campaign(campaign)
    _recheck_campaign(campaign)
    _recheck_round(campaign)
    return True


def _recheck_round(campaign: Campaign) -> None:
    """A sampled re-check round (抽查复核) of the 2022 campaign's closed items for 第八核查组, drawn by the
    province with a fixed seed; one item already re-checked 整改到位, the rest waiting for the tablet."""
    from inspect_app.idempotency import new_uuid
    from inspect_app.rechecks import service as rechecks
    from inspect_app.rechecks.models import RecheckResult

    team = db.session.execute(sa.select(Team).where(Team.campaign_id == campaign.id)).scalars().first()
    if not rechecks.frame_of(campaign.id, team.id):
        return
    rnd = rechecks.draw_round(_user("province"), campaign.id, team.id, "2022年核查问题整改回头看（第一轮）",
                              rate=Decimal("0.5"), seed=20220713)
    first = rnd.samples[0]
    rechecks.record_result(first.id, _user("inspector8"), result=RecheckResult.FIXED.value, note="现场核实，整改到位",
                           version=first.version, item_version=first.item.version, client_uuid=new_uuid())
