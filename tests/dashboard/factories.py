"""Rectification items built directly with the models, in any status, for the figure tests.

`known_items(world)` is the small hand-checked dataset the dashboard tests compute against (see
EXPECTED in test_service.py).
"""
import itertools
import uuid
from datetime import date, datetime, timezone

import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.org.models import ResponsibleUnit
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ProblemList, ProblemListStatus, RectificationItem
from inspect_app.visits.models import Finding, FindingStatus, RectificationType, Severity

_seq = itertools.count(1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def campaign(world) -> Campaign:
    return db.session.execute(sa.select(Campaign).order_by(Campaign.id)).scalars().first()


def unit(county, name_suffix="卫健委") -> ResponsibleUnit:
    return db.session.execute(sa.select(ResponsibleUnit).where(
        ResponsibleUnit.county_id == county.id, ResponsibleUnit.name == county.name + name_suffix)).scalar_one()


def problem_list(world, county, camp=None) -> ProblemList:
    camp = camp or campaign(world)
    plist = db.session.execute(sa.select(ProblemList).where(ProblemList.campaign_id == camp.id,
                                                            ProblemList.county_id == county.id)).scalar_one_or_none()
    if plist is None:
        team = db.session.execute(sa.select(Team).where(Team.campaign_id == camp.id)).scalars().first()
        in_team = team is not None and county in team.counties
        plist = ProblemList(campaign_id=camp.id, county_id=county.id, team_id=team.id if in_team else None,
                            title=f"{county.name}反馈问题清单", status=ProblemListStatus.ISSUED,
                            issued_at=utc(2022, 7, 11, 2), issued_on=date(2022, 7, 11))
        db.session.add(plist)
        db.session.flush()
    return plist


def make_item(world, county, *, status=Status.PENDING, deadline=date(2022, 8, 10), extended=None,
              issued_at=None, closed_at=None, returns=0, reopens=0, category="责任共同体",
              severity=Severity.GENERAL, rtype=RectificationType.DEADLINE, unit_id=None, camp=None,
              description="问题描述") -> RectificationItem:
    """One issued item (with its finding and problem list) in exactly the given state."""
    plist = problem_list(world, county, camp)
    site = world.site(county)
    n = next(_seq)
    issued_at = issued_at or utc(2022, 7, 11, 2)
    finding = Finding(uuid=str(uuid.uuid4()), campaign_id=plist.campaign_id, county_id=county.id, site_id=site.id,
                      category=category, description=description, severity=severity, rectification_type=rtype,
                      deadline=deadline, status=FindingStatus.ISSUED, created_by_id=world.users["inspector8"].id,
                      created_at=issued_at)
    db.session.add(finding)
    db.session.flush()
    item = RectificationItem(problem_list_id=plist.id, finding_id=finding.id, campaign_id=plist.campaign_id,
                             county_id=county.id, site_id=site.id, seq=n, number=f"{county.code}-2022-{n:03d}",
                             category=category, description=description, severity=severity,
                             rectification_type=rtype, deadline=deadline, extended_deadline=extended, status=status,
                             unit_id=unit_id, return_count=returns, reopen_count=reopens, issued_at=issued_at,
                             closed_at=closed_at)
    db.session.add(item)
    db.session.flush()
    return item


# Instants around the deadline 2022-08-10 (Beijing): the last second of that day, and midnight after.
LAST_SECOND = utc(2022, 8, 10, 15, 59, 59)      # 2022-08-10 23:59:59 Beijing
MIDNIGHT = utc(2022, 8, 10, 16, 0, 0)           # 2022-08-11 00:00:00 Beijing


def known_items(world) -> dict[int, RectificationItem]:
    """Ten items in three counties (新野 1–6, 桐柏 7–8, 郸城 9–10), hand-computed in test_service.py."""
    x, t, d = world.xinye, world.tongbai, world.dancheng
    early = utc(2022, 7, 11, 2)           # 2022-07-11 10:00 Beijing (a Monday)
    late = utc(2022, 7, 11, 16, 30)       # 2022-07-12 00:30 Beijing: the 12th in Beijing, the 11th in UTC
    items = {
        1: make_item(world, x, status=Status.CLOSED, deadline=date(2022, 8, 1), issued_at=early,
                     closed_at=utc(2022, 7, 17, 18), severity=Severity.CRITICAL, unit_id=unit(x).id),
        2: make_item(world, x, status=Status.CLOSED, deadline=date(2022, 8, 1), issued_at=early,
                     closed_at=utc(2022, 7, 31, 2), returns=1, category="管理共同体", unit_id=unit(x).id),
        3: make_item(world, x, status=Status.IN_PROGRESS, deadline=date(2022, 8, 10), issued_at=early,
                     unit_id=unit(x).id, rtype=RectificationType.IMMEDIATE),
        4: make_item(world, x, status=Status.SUBMITTED, deadline=date(2022, 8, 9), issued_at=early, returns=2,
                     severity=Severity.CRITICAL, unit_id=unit(x, "医保局").id),
        5: make_item(world, x, status=Status.PENDING, deadline=date(2022, 8, 9), extended=date(2022, 8, 20),
                     issued_at=early),
        6: make_item(world, x, status=Status.IN_PROGRESS, deadline=date(2022, 7, 20), extended=date(2022, 9, 30),
                     issued_at=early, reopens=1, rtype=RectificationType.LONG_TERM, unit_id=unit(x).id),
        7: make_item(world, t, status=Status.CLOSED, deadline=date(2022, 8, 1), issued_at=late,
                     closed_at=utc(2022, 7, 15, 16, 30)),
        8: make_item(world, t, status=Status.PENDING, deadline=date(2022, 8, 5), issued_at=late),
        9: make_item(world, d, status=Status.CLOSED, deadline=date(2022, 8, 20), issued_at=early,
                     closed_at=utc(2022, 8, 10, 2), category="管理共同体"),
        10: make_item(world, d, status=Status.IN_PROGRESS, deadline=date(2022, 8, 25), issued_at=early),
    }
    db.session.commit()
    return items
