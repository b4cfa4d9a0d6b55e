"""`flask seed-demo`: the demo world of the seed reports, idempotent.

河南省 → 南阳市 (11 counties, 16 医共体) and 周口市 郸城县; 云南省 → 楚雄州 南华县. Every county gets its
一办六部 offices, the six remote centres, a county hospital, township health centres named after real
townships, village clinics named after real villages, and its default responsible units.
"""
import csv
import os
from datetime import date

import sqlalchemy as sa

from inspect_app.auth.models import User
from inspect_app.demo.inspection import seed_inspection
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.checklists.models import ChecklistVersion, VersionStatus
from inspect_app.extensions import db
from inspect_app.org import service as org_service
from inspect_app.org.divisions import import_divisions
from inspect_app.org.models import MedicalCommunity, Region, ResponsibleUnit, Site, Township
from inspect_app.roles import Role

DEMO_PASSWORD = "Demo@2022"
DEMO_CAMPAIGN = "2022年紧密型县域医共体建设核查"
NANYANG_COUNTIES = ["411321", "411322", "411323", "411324", "411325", "411326", "411327", "411328",
                    "411329", "411330", "411381"]
OTHER_COUNTIES = ["411625", "532324"]
# Five Nanyang counties run two 医共体 (people's hospital + TCM hospital): 11 + 5 = 16.
TWO_COMMUNITIES = {"411381", "411328", "411324", "411326", "411322"}
OFFICE_SITES = [("office", "医共体管理办公室"), ("dept_hr", "医共体人力资源部"), ("dept_finance", "医共体财务管理部"),
                ("dept_medical", "医共体医疗业务部"), ("dept_public_health", "医共体公共卫生部"),
                ("dept_it", "医共体信息管理部"), ("dept_operations", "医共体医保药械运营管理部")]
CENTER_SITES = [("center_imaging", "远程影像诊断中心"), ("center_ecg", "远程心电诊断中心"),
                ("center_consult", "远程会诊中心"), ("center_lab", "医学检验中心"),
                ("center_pathology", "病理诊断中心"), ("center_sterile", "消毒供应中心")]
TOWNSHIP_CENTRES_PER_COUNTY = 4
VILLAGE_CLINICS_PER_COUNTY = 3

DEMO_USERS = [
    ("admin", "系统管理员", "省卫健委信息中心", Role.SYSTEM_ADMIN, None, None),
    ("secadmin", "安全管理员", "省卫健委信息中心", Role.SECURITY_ADMIN, None, None),
    ("auditor", "审计管理员", "省卫健委信息中心", Role.AUDIT_ADMIN, None, None),
    ("province", "省体改处管理员", "河南省卫健委体改处", Role.PROVINCE_ADMIN, None, None),
    ("viewer", "省级领导", "河南省卫健委", Role.PROVINCE_VIEWER, None, None),
    ("nanyang", "南阳市医改办", "南阳市医改办", Role.CITY_VIEWER, "411300", None),
    ("leader8", "第八核查组组长", "河南省紧密型县域医共体建设第八核查组", Role.TEAM_LEADER, None, None),
    ("inspector8", "第八核查组核查员", "河南省紧密型县域医共体建设第八核查组", Role.INSPECTOR, None, None),
    ("xinye", "新野县联络员", "新野县医改办", Role.COUNTY_COORDINATOR, "411329", None),
    ("xinye-wjw", "新野县卫健委经办人", "新野县卫健委", Role.UNIT_RESPONDER, "411329", "新野县卫健委"),
    ("tongbai", "桐柏县联络员", "桐柏县医改办", Role.COUNTY_COORDINATOR, "411330", None),
]


def _village_names(data_dir: str, township_codes: set[str], per_township: int = 1) -> dict[str, list[str]]:
    """A few real village names per township, streamed from the large villages file."""
    path = os.path.join(data_dir, "villages.csv")
    names: dict[str, list[str]] = {}
    if not os.path.exists(path):
        return names
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["streetCode"]
            if code in township_codes and len(names.setdefault(code, [])) < per_township \
                    and row["name"].endswith("村民委员会"):
                names[code].append(row["name"].removesuffix("村民委员会") + "村")
    return names


def _site(county, kind, name, community=None):
    exists = db.session.execute(sa.select(Site.id).where(Site.county_id == county.id, Site.name == name)).first()
    if not exists:
        db.session.add(Site(county_id=county.id, kind_id=kind.id, name=name, address="",
                            community_id=community.id if community else None, active=True))


def _community(county, name, lead):
    community = db.session.execute(sa.select(MedicalCommunity).where(
        MedicalCommunity.county_id == county.id, MedicalCommunity.name == name)).scalar_one_or_none()
    if community is None:
        community = MedicalCommunity(county_id=county.id, name=name, lead_hospital=lead)
        db.session.add(community)
        db.session.flush()
    return community


def seed_county(county: Region, kinds: dict, villages: dict[str, list[str]]) -> None:
    """One county's 医共体, sites and responsible units."""
    org_service.ensure_default_units(county)
    main = _community(county, f"{county.name}人民医院医共体", f"{county.name}人民医院")
    if county.code in TWO_COMMUNITIES:
        _community(county, f"{county.name}中医院医共体", f"{county.name}中医院")
    for code, name in OFFICE_SITES + CENTER_SITES:
        _site(county, kinds[code], f"{county.name}{name}", main)
    _site(county, kinds["county_hospital"], f"{county.name}人民医院", main)
    for name in ("卫健委", "医保局"):
        _site(county, kinds["gov_department"], f"{county.name}{name}")
    townships = db.session.execute(sa.select(Township).where(Township.county_id == county.id)
                                   .order_by(Township.code).limit(TOWNSHIP_CENTRES_PER_COUNTY)).scalars().all()
    clinics = 0
    for township in townships:
        _site(county, kinds["township_center"], township.health_centre_name, main)
        for village in villages.get(township.code, []):
            if clinics < VILLAGE_CLINICS_PER_COUNTY:
                _site(county, kinds["village_clinic"], f"{township.name}{village}卫生室", main)
                clinics += 1


def seed_users(regions: dict[str, Region]) -> None:
    """The demo accounts, marked as such (演示账户: exempt from the forced password change)."""
    for username, name, organisation, role, region_code, unit_name in DEMO_USERS:
        existing = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
        if existing is not None:
            existing.is_demo = True
            continue
        region = regions.get(region_code) if region_code else None
        unit = None
        if unit_name:
            unit = db.session.execute(sa.select(ResponsibleUnit).where(
                ResponsibleUnit.county_id == region.id, ResponsibleUnit.name == unit_name)).scalar_one()
        user = User(username=username, display_name=name, organisation=organisation, role=role,
                    region_id=region.id if region else None, unit_id=unit.id if unit else None,
                    active=True, session_version=0, is_demo=True)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    db.session.flush()


def seed_campaign(regions: dict[str, Region]) -> None:
    """2022年紧密型县域医共体建设核查 with 第八核查组 assigned to Nanyang's counties, 9–13 July 2022."""
    name = DEMO_CAMPAIGN
    campaign = db.session.execute(sa.select(Campaign).where(Campaign.name == name)).scalar_one_or_none()
    if campaign is None:
        campaign = Campaign(name=name, year=2022, start_date=date(2022, 7, 9), end_date=date(2022, 7, 13))
        db.session.add(campaign)
        db.session.flush()
    team = db.session.execute(sa.select(Team).where(Team.campaign_id == campaign.id,
                                                    Team.name == "第八核查组")).scalar_one_or_none()
    if team is None:
        users = {u.username: u for u in db.session.execute(
            sa.select(User).where(User.username.in_(["leader8", "inspector8"]))).scalars()}
        team = Team(campaign_id=campaign.id, name="第八核查组", leader_id=users["leader8"].id)
        team.members = [users["leader8"], users["inspector8"]]
        team.counties = [regions[code] for code in NANYANG_COUNTIES]
        db.session.add(team)
    db.session.flush()


def seed_checklist() -> bool:
    """Publish the default checklist once and let the demo campaign use it; True when anything changed
    (also brings an existing demo database whose campaign has no checklist version up to date)."""
    from inspect_app.checklists.default_template import DEFAULT_TEMPLATE
    from inspect_app.checklists.models import ChecklistTemplate
    from inspect_app.checklists.service import ensure_default_checklist

    existed = db.session.execute(sa.select(ChecklistVersion.id).join(ChecklistVersion.template).where(
        ChecklistTemplate.name == DEFAULT_TEMPLATE["name"],
        ChecklistVersion.label == DEFAULT_TEMPLATE["version_label"],
        ChecklistVersion.status == VersionStatus.PUBLISHED)).first() is not None
    version = ensure_default_checklist()
    campaign = db.session.execute(sa.select(Campaign).where(Campaign.name == DEMO_CAMPAIGN)).scalar_one_or_none()
    changed = not existed
    if campaign is not None and campaign.checklist_version_id is None:
        campaign.checklist_version_id = version.id
        changed = True
    db.session.commit()
    return changed


def seed_demo(data_dir: str) -> bool:
    """Build the demo world; returns False when it was already there (nothing changed)."""
    if db.session.execute(sa.select(User.id).where(User.username == "province")).first():
        changed = seed_checklist()
        return seed_inspection() or changed
    for province in ("41", "53"):
        if not db.session.execute(sa.select(Region.id).where(Region.code == f"{province}0000")).first():
            import_divisions(data_dir, province)
    kinds = org_service.ensure_site_kinds()
    codes = NANYANG_COUNTIES + OTHER_COUNTIES + ["411300"]
    regions = {r.code: r for r in db.session.execute(sa.select(Region).where(Region.code.in_(codes))).scalars()}
    township_codes = {t.code for t in db.session.execute(
        sa.select(Township).where(Township.county_id.in_([regions[c].id for c in NANYANG_COUNTIES + OTHER_COUNTIES]))
    ).scalars()}
    villages = _village_names(data_dir, township_codes)
    for code in NANYANG_COUNTIES + OTHER_COUNTIES:
        seed_county(regions[code], kinds, villages)
    seed_users(regions)
    seed_campaign(regions)
    db.session.commit()
    seed_checklist()
    seed_inspection()
    return True
