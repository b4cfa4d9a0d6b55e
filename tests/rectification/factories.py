"""Rectification items built directly with the models (the problem-list issuing flow is tested elsewhere).

`make_item(world, ...)` gives an item of 新野县 (or any county) in any status, assigned or not.
"""
import datetime as dt
import itertools
import uuid

import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign
from inspect_app.extensions import db
from inspect_app.org.models import ResponsibleUnit
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ProblemList, ProblemListStatus, RectificationItem
from inspect_app.visits.models import Finding, FindingStatus, RectificationType, Severity

_numbers = itertools.count(1)


def unit_named(county, name) -> ResponsibleUnit:
    return db.session.execute(sa.select(ResponsibleUnit).where(
        ResponsibleUnit.county_id == county.id, ResponsibleUnit.name == name)).scalar_one()


def wjw(world) -> ResponsibleUnit:
    """新野县卫健委, the unit of the `xinye-wjw` account."""
    return unit_named(world.xinye, "新野县卫健委")


def other_unit(world) -> ResponsibleUnit:
    """Another unit of 新野县 (not the one of `xinye-wjw`)."""
    return db.session.execute(sa.select(ResponsibleUnit).where(
        ResponsibleUnit.county_id == world.xinye.id, ResponsibleUnit.name != "新野县卫健委")
        .order_by(ResponsibleUnit.id)).scalars().first()


def problem_list(world, county) -> ProblemList:
    campaign = db.session.execute(sa.select(Campaign).order_by(Campaign.id)).scalars().first()
    found = db.session.execute(sa.select(ProblemList).where(
        ProblemList.campaign_id == campaign.id, ProblemList.county_id == county.id)).scalar_one_or_none()
    if found:
        return found
    plist = ProblemList(campaign_id=campaign.id, county_id=county.id, title=f"{county.name}反馈问题清单",
                        status=ProblemListStatus.ISSUED, issued_on=dt.date(2022, 7, 13),
                        issued_at=dt.datetime(2022, 7, 13, 8, tzinfo=dt.timezone.utc))
    db.session.add(plist)
    db.session.flush()
    return plist


def make_item(world, county=None, *, status=Status.PENDING, unit=None, person="", deadline=None,
              rectification_type=RectificationType.DEADLINE, measures="", planned_date=None,
              description="远程心电诊断中心未覆盖全部乡镇卫生院", extended_deadline=None,
              pending_extension=None, return_count=0, closed_at=None, commit=True) -> RectificationItem:
    """One issued item. Deadline defaults to 30 days from today (Beijing), so it is not urgent."""
    county = county or world.xinye
    plist = problem_list(world, county)
    site = world.site(county)
    seq = len(plist.items) + 1
    n = next(_numbers)
    finding = Finding(uuid=str(uuid.uuid4()), campaign_id=plist.campaign_id, county_id=county.id, site_id=site.id,
                      category="服务共同体", description=description, severity=Severity.SERIOUS,
                      rectification_type=rectification_type, status=FindingStatus.ISSUED,
                      created_by_id=world.users["inspector8"].id)
    db.session.add(finding)
    db.session.flush()
    if status is Status.IN_PROGRESS and not measures:
        measures = "制定远程心电覆盖计划，年底前全部接入"
    if status is Status.SUBMITTED and not measures:
        measures = "已全部接入远程心电诊断中心"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    item = RectificationItem(
        problem_list_id=plist.id, finding_id=finding.id, campaign_id=plist.campaign_id, county_id=county.id,
        site_id=site.id, seq=seq, number=f"{county.code}-2022-{n:03d}", category="服务共同体",
        description=description, severity=Severity.SERIOUS, rectification_type=rectification_type,
        suggested_measures="尽快接入", deadline=deadline or today + dt.timedelta(days=30),
        extended_deadline=extended_deadline, status=status,
        unit_id=(unit.id if unit else (wjw(world).id if county is world.xinye and status is not Status.PENDING else None)),
        responsible_person=person, measures=measures, planned_date=planned_date, return_count=return_count,
        pending_extension=pending_extension, version=1,
        closed_at=closed_at or (dt.datetime.now(dt.timezone.utc) if status is Status.CLOSED else None))
    db.session.add(item)
    db.session.flush()
    if commit:
        db.session.commit()
    return item


def row_versions(*items) -> dict[str, int]:
    """The hidden version-<id> fields a bulk form's rows carry, as the page sends them."""
    return {f"version-{item.id}": item.version for item in items}
