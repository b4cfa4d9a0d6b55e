"""Business rules of campaigns (核查任务) and teams (核查组).

A campaign uses one *published* checklist version. A team's counties decide what its leader and
members see (access.county_clause reads team_counties / team_members), so every change to a team
is audited in the same transaction.
"""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from inspect_app import access, locking
from inspect_app.audit.service import changes, record
from inspect_app.auth.models import User
from inspect_app.campaigns.models import Campaign, Team, team_counties
from inspect_app.checklists.models import ChecklistVersion, VersionStatus
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.org.models import Region, RegionLevel
from inspect_app.roles import Role

# The default rectification periods from 下发 (Campaign.deadline_periods); absent → the column default.
PERIOD_FIELDS = ["immediate_working_days", "deadline_working_days", "long_term_days"]
CAMPAIGN_FIELDS = ["name", "year", "start_date", "end_date", "checklist_version_id", *PERIOD_FIELDS]
MEMBER_ROLES = (Role.TEAM_LEADER, Role.INSPECTOR)


def visible_campaigns(user) -> list[Campaign]:
    """Campaigns the user may see (province roles: all; team roles: their teams'), newest first."""
    stmt = sa.select(Campaign).where(access.campaign_clause(user, Campaign.id)) \
        .options(selectinload(Campaign.teams), selectinload(Campaign.checklist_version)) \
        .order_by(Campaign.start_date.desc(), Campaign.id.desc())
    return list(db.session.execute(stmt).scalars())


def visible_teams(user, campaign: Campaign) -> list[Team]:
    """The campaign's teams the user may see, with leader, members and counties loaded."""
    stmt = sa.select(Team).where(Team.campaign_id == campaign.id, access.team_clause(user, Team.id)) \
        .options(selectinload(Team.leader), selectinload(Team.members), selectinload(Team.counties)) \
        .order_by(Team.id)
    return list(db.session.execute(stmt).scalars())


def leaders() -> list[User]:
    """Active accounts that may lead a team."""
    return list(db.session.execute(sa.select(User).where(User.role == Role.TEAM_LEADER, User.active.is_(True))
                                   .order_by(User.display_name)).scalars())


def member_candidates() -> list[User]:
    """Active inspectors and team leaders (possible team members)."""
    return list(db.session.execute(sa.select(User).where(User.role.in_(MEMBER_ROLES), User.active.is_(True))
                                   .order_by(User.role, User.display_name)).scalars())


def search_counties(q: str, exclude_ids=(), limit: int = 12) -> list[Region]:
    """Counties whose name or code contains `q` (with their city), for the county picker."""
    q = (q or "").strip()
    if not q:
        return []
    pattern = f"%{q}%"
    stmt = sa.select(Region).where(Region.level == RegionLevel.COUNTY,
                                   sa.or_(Region.name.ilike(pattern), Region.code.like(pattern))) \
        .options(selectinload(Region.parent)).order_by(Region.code).limit(limit)
    if exclude_ids:
        stmt = stmt.where(Region.id.not_in(list(exclude_ids)))
    return list(db.session.execute(stmt).scalars())


# ---------------------------------------------------------------- campaigns

def _check_campaign(values: dict, current: Campaign | None = None) -> dict:
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError("请填写任务名称", field="name")
    clash = db.session.execute(sa.select(Campaign.id).where(
        Campaign.name == name, Campaign.id != (current.id if current is not None else -1))).first()
    if clash:
        raise DomainError(f"已有同名的核查任务“{name}”", field="name")
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        raise DomainError("结束日期不能早于开始日期", field="end_date")
    version = db.session.get(ChecklistVersion, values.get("checklist_version_id") or 0)
    if version is None or version.status != VersionStatus.PUBLISHED:
        raise DomainError("请选择一个已发布的核查表版本", field="checklist_version_id")
    periods = {key: values[key] for key in PERIOD_FIELDS if values.get(key)}
    return {"name": name, "year": values["year"], "start_date": start, "end_date": end,
            "checklist_version_id": version.id, **periods}


def create_campaign(values: dict, user) -> Campaign:
    """Create a campaign using a published checklist version."""
    clean = _check_campaign(values)
    campaign = Campaign(**clean)
    db.session.add(campaign)
    db.session.flush()
    record("campaign.create", obj=campaign, label=campaign.name, after=clean,
           summary=f"新建核查任务“{campaign.name}”", user=user)
    db.session.commit()
    return campaign


def update_campaign(campaign: Campaign, values: dict, user, seen: int | None) -> Campaign:
    """Edit a campaign's name, year, dates or checklist version (recording only what changed).

    `seen` is the version the form was drawn from: a save over a newer one raises
    locking.EditConflict (409; 422 without it) and writes nothing.
    """
    clean = _check_campaign(values, current=campaign)
    before, after = changes(campaign, CAMPAIGN_FIELDS, clean)
    if not after:
        return campaign
    locking.claim(campaign, seen)
    for key, value in after.items():
        setattr(campaign, key, value)
    record("campaign.update", obj=campaign, label=campaign.name, before=before, after=after,
           summary=f"修改核查任务“{campaign.name}”", user=user)
    db.session.commit()
    return campaign


# ---------------------------------------------------------------- teams

def _users(ids, roles) -> list[User]:
    ids = [i for i in ids or [] if i]
    if not ids:
        return []
    users = list(db.session.execute(sa.select(User).where(User.id.in_(ids), User.role.in_(roles))
                                    .order_by(User.id)).scalars())
    if len(users) != len(set(ids)):
        raise DomainError("所选人员中有不能加入核查组的账户", field="member_ids")
    return users


def _check_team(campaign: Campaign, values: dict, current: Team | None = None) -> dict:
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError("请填写核查组名称", field="name")
    clash = db.session.execute(sa.select(Team.id).where(
        Team.campaign_id == campaign.id, Team.name == name,
        Team.id != (current.id if current is not None else -1))).first()
    if clash:
        raise DomainError(f"本任务已有“{name}”", field="name")
    leader = None
    if values.get("leader_id"):
        leader = db.session.get(User, values["leader_id"])
        if leader is None or leader.role != Role.TEAM_LEADER:
            raise DomainError("组长必须是“核查组组长”角色的账户", field="leader_id")
    members = _users(values.get("member_ids"), MEMBER_ROLES)
    if leader is not None and leader not in members:
        members.insert(0, leader)  # the leader is always a member of the team
    return {"name": name, "leader": leader, "members": members}


def _team_snapshot(team: Team) -> dict:
    return {"name": team.name, "leader": team.leader.username if team.leader else None,
            "members": [u.username for u in team.members]}


def create_team(campaign: Campaign, values: dict, user) -> Team:
    """Add a team (name, leader, members) to a campaign; counties are added on the team page."""
    clean = _check_team(campaign, values)
    team = Team(campaign_id=campaign.id, name=clean["name"], leader=clean["leader"])
    team.members = clean["members"]
    db.session.add(team)
    db.session.flush()
    record("team.create", obj=team, label=f"{campaign.name} {team.name}", after=_team_snapshot(team),
           summary=f"“{campaign.name}”新建{team.name}", user=user)
    db.session.commit()
    return team


def update_team(team: Team, values: dict, user, seen: int | None) -> Team:
    """Edit a team's name, leader and members (its members' county scope follows). A save over a
    newer version than `seen` raises locking.EditConflict (409; 422 without it), nothing written."""
    clean = _check_team(team.campaign, values, current=team)
    before = _team_snapshot(team)
    team.name, team.leader, team.members = clean["name"], clean["leader"], clean["members"]
    after = _team_snapshot(team)
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return team
    locking.claim(team, seen)
    record("team.update", obj=team, label=f"{team.campaign.name} {team.name}",
           before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
           summary=f"修改{team.name}", user=user)
    db.session.commit()
    return team


def add_county(team: Team, county_id: int, user) -> Region:
    """Assign a county to a team: its leader and members can now see that county."""
    county = db.session.get(Region, county_id)
    if county is None or county.level != RegionLevel.COUNTY:
        raise DomainError("请选择一个县（市、区）", field="county")
    if county in team.counties:
        raise DomainError(f"{county.name}已在本组负责的县中", field="county")
    other = db.session.execute(sa.select(Team).join(team_counties, team_counties.c.team_id == Team.id).where(
        Team.campaign_id == team.campaign_id, Team.id != team.id, team_counties.c.county_id == county.id)).scalar()
    if other is not None:       # one county, one team per campaign: its problem list and figures belong to it
        raise DomainError(f"{county.name}已由本次核查的{other.name}负责，请先从该组移除", field="county")
    team.counties.append(county)
    record("team.county_add", obj=team, label=f"{team.name} {county.name}", county_id=county.id,
           after={"county": county.code}, summary=f"{team.name}新增负责县 {county.name}（{county.code}）", user=user)
    db.session.commit()
    return county


def remove_county(team: Team, county_id: int, user) -> None:
    """Take a county away from a team: its members no longer see it (unless another team has it)."""
    county = next((c for c in team.counties if c.id == county_id), None)
    if county is None:
        raise DomainError("该县不在本组负责的县中", field="county")
    team.counties.remove(county)
    record("team.county_remove", obj=team, label=f"{team.name} {county.name}", county_id=county.id,
           before={"county": county.code}, summary=f"{team.name}移除负责县 {county.name}（{county.code}）", user=user)
    db.session.commit()
