"""Two campaigns of the same checklist template (each year its own version with its own item rows,
the same codes), sites including two 政府部门 of 新野县, and findings recorded through
visits.service.create_finding — the path that links repeats."""
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign, Team
from inspect_app.checklists.models import (CheckMethod, ChecklistItem, ChecklistSection, ChecklistTemplate,
                                           ChecklistVersion, VersionStatus)
from inspect_app.extensions import db
from inspect_app.org import service as org_service
from inspect_app.org.models import Site
from inspect_app.visits import service as visits
from inspect_app.visits.models import RectificationType, Severity, SiteVisit, VisitStatus

ITEMS = (("A", "责任共同体", "A01", "县级政府落实财政投入政策"),
         ("B", "管理共同体", "B01", "一办六部实体化运行"),
         ("B", "管理共同体", "B02", "七统一管理"))


def make_version(template: ChecklistTemplate, label: str) -> dict[str, ChecklistItem]:
    """A published version of `template` with sections A, B and items A01, B01, B02 (by code)."""
    version = ChecklistVersion(template=template, label=label, status=VersionStatus.PUBLISHED)
    db.session.add(version)
    db.session.flush()
    sections, items = {}, {}
    for position, (scode, title, code, content) in enumerate(ITEMS):
        if scode not in sections:
            sections[scode] = ChecklistSection(version_id=version.id, code=scode, title=title, position=position)
            db.session.add(sections[scode])
            db.session.flush()
        items[code] = ChecklistItem(version_id=version.id, section_id=sections[scode].id, code=code,
                                    content=f"{content}（{label}）", method=CheckMethod.DOCUMENTS, position=position)
        db.session.add(items[code])
    db.session.flush()
    return items


@dataclass
class Rounds:
    """2022 (the world's campaign) and 2023, each with 第八核查组 (leader8) in 新野县 and 桐柏县; a
    third campaign whose team (leader9) also has 新野县; checklist items per campaign by code."""

    first: Campaign
    second: Campaign
    other: Campaign
    items: dict[int, dict[str, ChecklistItem]]
    foreign_items: dict[str, ChecklistItem]      # another template with the same codes
    sites: dict[str, Site] = field(default_factory=dict)


def make_rounds(world) -> Rounds:
    from tests.factories import make_user
    from inspect_app.roles import Role

    first = db.session.execute(sa.select(Campaign).order_by(Campaign.id)).scalars().first()
    template = ChecklistTemplate(name="紧密型县域医共体建设核查表")
    foreign = ChecklistTemplate(name="另一省核查表")
    db.session.add_all([template, foreign])
    db.session.flush()
    items_2022, items_2023 = make_version(template, "2022版"), make_version(template, "2023版")
    foreign_items = make_version(foreign, "2023版")
    first.checklist_version_id = items_2022["A01"].version_id
    second = Campaign(name="2023年紧密型县域医共体建设核查", year=2023, start_date=date(2023, 7, 10),
                      end_date=date(2023, 7, 14), checklist_version_id=items_2023["A01"].version_id)
    other = Campaign(name="2023年医共体专项督查", year=2023, start_date=date(2023, 9, 1),
                     end_date=date(2023, 9, 3), checklist_version_id=items_2023["A01"].version_id)
    db.session.add_all([second, other])
    db.session.flush()
    u = world.users
    team = Team(campaign_id=second.id, name="第八核查组", leader_id=u["leader8"].id)
    team.members = [u["leader8"], u["inspector8"]]
    team.counties = [world.xinye, world.tongbai]
    u["leader9"] = make_user("leader9", Role.TEAM_LEADER)
    team9 = Team(campaign_id=other.id, name="第九核查组", leader_id=u["leader9"].id)
    team9.members = [u["leader9"]]
    team9.counties = [world.xinye]
    db.session.add_all([team, team9])
    kinds = org_service.ensure_site_kinds()
    sites = {}
    for county in (world.xinye, world.tongbai):
        for name in ("卫健委", "财政局"):
            site = Site(county_id=county.id, kind_id=kinds["gov_department"].id, name=f"{county.name}{name}")
            db.session.add(site)
            sites[f"{county.name}{name}"] = site
    db.session.flush()
    for county in (world.xinye, world.tongbai):
        for site in db.session.execute(sa.select(Site).where(Site.county_id == county.id)).scalars():
            sites[site.name] = site
    db.session.commit()
    return Rounds(first, second, other, {first.id: items_2022, second.id: items_2023, other.id: items_2023},
                  foreign_items, sites)


def visit(campaign: Campaign, site: Site, inspector) -> SiteVisit:
    """The (campaign, site) visit, open for recording; made once."""
    existing = db.session.execute(sa.select(SiteVisit).where(SiteVisit.campaign_id == campaign.id,
                                                             SiteVisit.site_id == site.id)).scalar_one_or_none()
    if existing is not None:
        return existing
    row = SiteVisit(uuid=str(uuidlib.uuid4()), campaign_id=campaign.id, site_id=site.id, county_id=site.county_id,
                    checklist_version_id=campaign.checklist_version_id, inspector_id=inspector.id,
                    status=VisitStatus.IN_PROGRESS)
    db.session.add(row)
    db.session.flush()
    return row


def record(rounds: Rounds, world, campaign: Campaign, site_name: str, code: str | None, description: str,
           item: ChecklistItem | None = None):
    """A finding recorded by inspector8 (leader9 for the third campaign) through the visits service."""
    inspector = world.users["leader9" if campaign.id == rounds.other.id else "inspector8"]
    item = item if item is not None else (rounds.items[campaign.id][code] if code else None)
    values = {"description": description, "category": item.section.title if item else "其他",
              "severity": Severity.GENERAL, "rectification_type": RectificationType.DEADLINE,
              "suggested_measures": ""}
    finding, _ = visits.create_finding(visit(campaign, rounds.sites[site_name], inspector), values,
                                       str(uuidlib.uuid4()), inspector, item)
    return finding


def issue(world, campaign: Campaign, county):
    """下发 the county's list of `campaign` today as leader8 (the demo's path: visible_list + issue)."""
    from flask_login import login_user, logout_user
    from flask import current_app

    from inspect_app.problem_lists import service as problem_lists
    from inspect_app.rectification import date_rules

    leader = world.users["leader8"]
    with current_app.test_request_context("/tests"):
        login_user(leader)
        try:
            return problem_lists.issue(problem_lists.visible_list(leader, campaign, county), leader,
                                       date_rules.today())
        finally:
            logout_user()
