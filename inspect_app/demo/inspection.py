"""The demo inspection: 第八核查组's visits in 新野县 and 桐柏县, 新野县's issued problem list and
its items at every stage of rectification, so that each demo account has real work to look at.

Everything goes through the same services as the screens (signed in as the acting demo user), so
the audit trail, item timelines and notifications are the real ones. Deadlines are set relative to
today so that the three-colour supervision shows all its colours.
"""
import io
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import login_user, logout_user
from PIL import Image, ImageDraw

from inspect_app.auth.models import User
from inspect_app.campaigns.models import Campaign
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

# (site kind, [(item index among the site's items, result, note, finding: (severity, type, days left))])
XINYE_VISITS = [
    ("office", [
        (0, AnswerResult.NONCONFORMING, "未见医共体统一法人登记证书", (Severity.CRITICAL, RectificationType.DEADLINE, 25)),
        (1, AnswerResult.BASICALLY, "资产划转清单未经财政部门确认", (Severity.SERIOUS, RectificationType.DEADLINE, 5)),
        (2, AnswerResult.NONCONFORMING, "一办六部人员未实际到岗办公", (Severity.SERIOUS, RectificationType.IMMEDIATE, -3)),
    ]),
    ("center_ecg", [
        (0, AnswerResult.NONCONFORMING, "3 个乡镇卫生院尚未接入远程心电", (Severity.GENERAL, RectificationType.DEADLINE, 40)),
        (1, AnswerResult.BASICALLY, "诊断报告回传时间超过 30 分钟", (Severity.GENERAL, RectificationType.LONG_TERM, 160)),
    ]),
]
TONGBAI_VISITS = [
    ("office", [
        (0, AnswerResult.NONCONFORMING, "医共体章程未经县政府批准", (Severity.SERIOUS, RectificationType.DEADLINE, 30)),
        (3, AnswerResult.BASICALLY, "绩效考核方案未覆盖乡镇卫生院", (Severity.GENERAL, RectificationType.DEADLINE, 30)),
    ]),
]


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


def _inspect(county: Region, plan, inspector: User, today) -> None:
    """One county's visits: every applicable item answered, findings recorded, visits submitted."""
    assignment = visits.assignment_for(inspector, county.id)
    for kind, problems in plan:
        visit, _ = visits.start_visit(inspector, _site(county, kind), assignment, visits.new_uuid())
        items = [row.item for _section, rows in visits.visit_screen(visit).sections for row in rows]
        marked = {index: (result, note, finding) for index, result, note, finding in problems}
        for index, item in enumerate(items):
            result, note, _finding = marked.get(index, (AnswerResult.CONFORMS, "", None))
            visits.save_answer(visit, item, visits.new_uuid(), result, note, inspector)
        for index, (result, note, (severity, rtype, days_left)) in marked.items():
            item = items[index]
            values = visits.finding_defaults(item, None, note)
            values.update(severity=severity, rectification_type=rtype, deadline=today + timedelta(days=days_left),
                          suggested_measures="对照核查要点逐项整改，形成佐证材料后申请销号")
            finding, _ = visits.create_finding(visit, values, visits.new_uuid(), inspector, item)
            if index == 0:
                ingest_photo(_photo_bytes(note), finding, inspector, visits.new_uuid(), PhotoStage.BEFORE,
                             filename="现场照片.jpg")
        # Required photos the demo did not take: the inspector says why, as the submit page asks.
        visits.submit_visit(visit, inspector, {gap.field: "演示数据：现场资料已查阅，未另行拍照"
                                               for gap in visits.visit_screen(visit).gaps})


def _act(item_id: int, user: User, action: Action, **data) -> None:
    item = db.session.get(rectification.RectificationItem, item_id)
    rectification.apply_action(item_id, user, action, rectification.ActionInput(version=item.version, **data))


def seed_inspection() -> bool:
    """Create the demo inspection once; False when the demo campaign already has visits."""
    campaign = db.session.execute(sa.select(Campaign).where(
        Campaign.name == "2022年紧密型县域医共体建设核查")).scalar_one_or_none()
    if campaign is None or campaign.checklist_version_id is None or db.session.execute(
            sa.select(SiteVisit.id).where(SiteVisit.campaign_id == campaign.id)).first():
        return False
    today = date_rules.today()
    xinye, tongbai = (db.session.execute(sa.select(Region).where(Region.code == code)).scalar_one()
                      for code in ("411329", "411330"))
    inspector, leader = _user("inspector8"), _user("leader8")
    with acting_as(inspector):
        _inspect(xinye, XINYE_VISITS, inspector, today)
        _inspect(tongbai, TONGBAI_VISITS, inspector, today)
    with acting_as(leader):
        sheet = problem_lists.visible_list(leader, campaign, xinye)
        problem_lists.issue(sheet, leader, today - timedelta(days=20))
    items = [i.id for i in problem_lists.issued_items(problem_lists.visible_list(leader, campaign, xinye))]
    wjw = db.session.execute(sa.select(ResponsibleUnit).where(ResponsibleUnit.name == "新野县卫健委")).scalar_one()
    ybj = db.session.execute(sa.select(ResponsibleUnit).where(ResponsibleUnit.name == "新野县医保局")).scalar_one()
    coordinator, responder = _user("xinye"), _user("xinye-wjw")
    with acting_as(coordinator):
        for item_id in items[:3]:
            _act(item_id, coordinator, Action.ASSIGN, unit_id=wjw.id, person="王科长")
        _act(items[3], coordinator, Action.ASSIGN, unit_id=ybj.id, person="李股长")
    with acting_as(responder):
        for item_id, text in zip(items[:3], ["已向县编办报送统一法人登记材料", "已与财政局核对资产清单",
                                               "一办六部人员已集中办公"]):
            planned = db.session.get(rectification.RectificationItem, item_id).deadline
            _act(item_id, responder, Action.WRITE_MEASURES, text=f"{text}，按期完成整改", new_date=planned)
            _act(item_id, responder, Action.POST_PROGRESS, text=text)
            _act(item_id, responder, Action.SUBMIT, text="整改已完成，申请销号")
    with acting_as(leader):
        _act(items[0], leader, Action.ACCEPT, opinion="经核查，统一法人登记已完成，同意销号")
        _act(items[1], leader, Action.RETURN, reason="资产清单缺少财政部门盖章，请补充后再申请")
    return True
