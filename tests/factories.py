"""Factories that build a small but real organisation tree, accounts and a team."""
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from inspect_app.auth.models import User
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.org import service as org_service
from inspect_app.org.models import MedicalCommunity, Region, RegionLevel, Site, Township
from inspect_app.roles import Role

PASSWORD = "Test@2022"
_HASH = None


def password_hash() -> str:
    """One scrypt hash for all test accounts: hashing per user would dominate the suite's time."""
    global _HASH
    if _HASH is None:
        _HASH = generate_password_hash(PASSWORD, method="scrypt")
    return _HASH


def make_region(code, name, level, parent=None) -> Region:
    region = Region(code=code, name=name, level=level, parent=parent)
    db.session.add(region)
    db.session.flush()
    return region


def make_county(code, name, city, *, sites=("office", "center_ecg", "township_center")) -> Region:
    """A county with its default units, one 医共体 and a few sites of the given kinds."""
    county = make_region(code, name, RegionLevel.COUNTY, city)
    db.session.add(Township(code=code + "001", name="城关镇", county_id=county.id))
    kinds = org_service.ensure_site_kinds()
    org_service.ensure_default_units(county)
    community = MedicalCommunity(county_id=county.id, name=f"{name}人民医院医共体", lead_hospital=f"{name}人民医院")
    db.session.add(community)
    db.session.flush()
    for kind in sites:
        db.session.add(Site(county_id=county.id, kind_id=kinds[kind].id, community_id=community.id,
                            name=f"{name}{kinds[kind].name}", address=""))
    db.session.flush()
    return county


def make_user(username, role, region=None, unit_name=None, active=True) -> User:
    unit = None
    if unit_name:
        from inspect_app.org.models import ResponsibleUnit
        unit = db.session.execute(sa.select(ResponsibleUnit).where(
            ResponsibleUnit.county_id == region.id, ResponsibleUnit.name == unit_name)).scalar_one()
    user = User(username=username, display_name=username, role=role, password_hash=password_hash(),
                region_id=region.id if region else None, unit_id=unit.id if unit else None, active=active,
                session_version=1)
    db.session.add(user)
    db.session.flush()
    return user


@dataclass
class World:
    """新野县 and 桐柏县 in 南阳市 (team 第八核查组), 郸城县 in 周口市 (no team), one account per role."""

    province: Region = None
    nanyang: Region = None
    zhoukou: Region = None
    xinye: Region = None
    tongbai: Region = None
    dancheng: Region = None
    users: dict[str, User] = field(default_factory=dict)

    def site(self, county: Region) -> Site:
        return db.session.execute(sa.select(Site).where(Site.county_id == county.id).order_by(Site.id)).scalars().first()


def make_world() -> World:
    world = World()
    world.province = make_region("410000", "河南省", RegionLevel.PROVINCE)
    world.nanyang = make_region("411300", "南阳市", RegionLevel.CITY, world.province)
    world.zhoukou = make_region("411600", "周口市", RegionLevel.CITY, world.province)
    world.xinye = make_county("411329", "新野县", world.nanyang)
    world.tongbai = make_county("411330", "桐柏县", world.nanyang)
    world.dancheng = make_county("411625", "郸城县", world.zhoukou)
    u = world.users
    u["admin"] = make_user("admin", Role.SYSTEM_ADMIN)
    u["auditor"] = make_user("auditor", Role.AUDIT_ADMIN)
    u["province"] = make_user("province", Role.PROVINCE_ADMIN)
    u["viewer"] = make_user("viewer", Role.PROVINCE_VIEWER)
    u["nanyang"] = make_user("nanyang", Role.CITY_VIEWER, world.nanyang)
    u["leader8"] = make_user("leader8", Role.TEAM_LEADER)
    u["inspector8"] = make_user("inspector8", Role.INSPECTOR)
    u["xinye"] = make_user("xinye", Role.COUNTY_COORDINATOR, world.xinye)
    u["xinye-wjw"] = make_user("xinye-wjw", Role.UNIT_RESPONDER, world.xinye, "新野县卫健委")
    u["tongbai"] = make_user("tongbai", Role.COUNTY_COORDINATOR, world.tongbai)
    campaign = Campaign(name="2022年紧密型县域医共体建设核查", year=2022, start_date=date(2022, 7, 9),
                        end_date=date(2022, 7, 13))
    db.session.add(campaign)
    db.session.flush()
    team = Team(campaign_id=campaign.id, name="第八核查组", leader_id=u["leader8"].id)
    team.members = [u["leader8"], u["inspector8"]]
    team.counties = [world.xinye, world.tongbai]
    db.session.add(team)
    db.session.commit()
    return world
