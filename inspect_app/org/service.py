"""Business rules of the organisation tree: listing within scope, editing with audit, defaults."""
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inspect_app import access, locking
from inspect_app.audit.service import changes, record
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.org.models import (MedicalCommunity, Region, RegionLevel, ResponsibleUnit, Site,
                                    SiteKind, SiteKindGroup, UnitCategory)

# Site kinds are data (names vary by county); these are the defaults every province starts with.
DEFAULT_SITE_KINDS = [
    ("office", "医共体管理办公室", SiteKindGroup.OFFICE),
    ("dept_hr", "人力资源部", SiteKindGroup.OFFICE),
    ("dept_finance", "财务管理部", SiteKindGroup.OFFICE),
    ("dept_medical", "医疗业务部", SiteKindGroup.OFFICE),
    ("dept_public_health", "公共卫生部", SiteKindGroup.OFFICE),
    ("dept_it", "信息管理部", SiteKindGroup.OFFICE),
    ("dept_operations", "医保药械运营管理部", SiteKindGroup.OFFICE),
    ("center_imaging", "远程影像诊断中心", SiteKindGroup.CENTER),
    ("center_ecg", "远程心电诊断中心", SiteKindGroup.CENTER),
    ("center_consult", "远程会诊中心", SiteKindGroup.CENTER),
    ("center_lab", "医学检验中心", SiteKindGroup.CENTER),
    ("center_pathology", "病理诊断中心", SiteKindGroup.CENTER),
    ("center_sterile", "消毒供应中心", SiteKindGroup.CENTER),
    ("county_hospital", "县级医院", SiteKindGroup.INSTITUTION),
    ("township_center", "乡镇卫生院/社区卫生服务中心", SiteKindGroup.INSTITUTION),
    ("village_clinic", "村卫生室", SiteKindGroup.INSTITUTION),
    ("gov_department", "政府部门", SiteKindGroup.GOVERNMENT),
]

# Responsible units every county starts with; `{county}` becomes the county's name.
DEFAULT_UNITS = [
    ("{county}卫健委", UnitCategory.GOVERNMENT),
    ("{county}医保局", UnitCategory.GOVERNMENT),
    ("{county}财政局", UnitCategory.GOVERNMENT),
    ("{county}人社局", UnitCategory.GOVERNMENT),
    ("{county}委编办", UnitCategory.GOVERNMENT),
    ("{county}医共体总医院", UnitCategory.COMMUNITY),
    ("医共体管理办公室", UnitCategory.DEPARTMENT),
    ("医共体人力资源部", UnitCategory.DEPARTMENT),
    ("医共体财务管理部", UnitCategory.DEPARTMENT),
    ("医共体医疗业务部", UnitCategory.DEPARTMENT),
    ("医共体公共卫生部", UnitCategory.DEPARTMENT),
    ("医共体信息管理部", UnitCategory.DEPARTMENT),
    ("医共体医保药械运营管理部", UnitCategory.DEPARTMENT),
]


def ensure_site_kinds() -> dict[str, SiteKind]:
    """Create the default site kinds that are missing (idempotent); return all kinds by code."""
    kinds = {k.code: k for k in db.session.execute(sa.select(SiteKind)).scalars()}
    for order, (code, name, group) in enumerate(DEFAULT_SITE_KINDS):
        if code not in kinds:
            kinds[code] = SiteKind(code=code, name=name, group=group, sort_order=order)
            db.session.add(kinds[code])
    db.session.flush()
    return kinds


def ensure_default_units(county: Region) -> list[ResponsibleUnit]:
    """Give a county its default responsible units (idempotent)."""
    existing = {u.name: u for u in db.session.execute(
        sa.select(ResponsibleUnit).where(ResponsibleUnit.county_id == county.id)).scalars()}
    for order, (pattern, category) in enumerate(DEFAULT_UNITS):
        name = pattern.format(county=county.name)
        if name not in existing:
            existing[name] = ResponsibleUnit(county_id=county.id, name=name, category=category,
                                             sort_order=order)
            db.session.add(existing[name])
    db.session.flush()
    return list(existing.values())


def site_kinds() -> list[SiteKind]:
    """Every site kind, in display order."""
    return list(db.session.execute(sa.select(SiteKind).order_by(SiteKind.sort_order, SiteKind.id)).scalars())


def create_site_kind(code: str, name: str, group: SiteKindGroup) -> SiteKind:
    """Add a site kind (codes are unique), with its audit event, in one transaction."""
    if db.session.execute(sa.select(SiteKind.id).where(SiteKind.code == code)).first():
        raise DomainError("该代码已存在", field="code")
    kind = SiteKind(code=code, name=name, group=group, sort_order=100)
    db.session.add(kind)
    db.session.flush()
    record("site_kind.create", obj=kind, label=kind.name, after={"code": kind.code, "name": kind.name})
    db.session.commit()
    return kind


def cities_in_scope(user) -> list[Region]:
    """Cities that contain at least one county the user may see (for the city filter)."""
    counties = access.visible_counties(user).with_only_columns(Region.parent_id).scalar_subquery()
    return list(db.session.execute(
        sa.select(Region).where(Region.level == RegionLevel.CITY, Region.id.in_(counties))
        .order_by(Region.code)).scalars())


def search_counties(user, q: str = "", city_code: str = "", page: int = 1, per_page: int = 20):
    """Counties the user may see, matched by name or code, optionally within one city."""
    stmt = access.visible_counties(user)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(sa.or_(Region.name.contains(q), Region.code.startswith(q)))
    if city_code:
        city = sa.select(Region.id).where(Region.code == city_code).scalar_subquery()
        stmt = stmt.where(Region.parent_id == city)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


COUNTY_OPTIONS_LIMIT = 20


@dataclass
class CountyOptions:
    """What a county picker shows: at most COUNTY_OPTIONS_LIMIT matches in scope, the chosen county
    (kept visible even when it does not match) and whether more matched."""

    matches: list
    chosen: Region | None
    more: bool
    county_q: str = ""


def county_options(user, q: str = "", chosen_id: int = 0) -> CountyOptions:
    """The county picker's options: counties the user may see (access.visible_counties) whose name
    contains `q` or whose code starts with it, by code, at most COUNTY_OPTIONS_LIMIT of them — so a
    province of 3,000 counties sends 20 options, not 3,000. With nothing typed, a scope of more than
    the limit lists none (the picker asks for a name). `chosen_id` outside the scope is ignored."""
    q = (q or "").strip()[:20]
    stmt = access.visible_counties(user).options(joinedload(Region.parent))
    if q:
        stmt = stmt.where(sa.or_(Region.name.contains(q, autoescape=True), Region.code.startswith(q, autoescape=True)))
    rows = list(db.session.execute(stmt.limit(COUNTY_OPTIONS_LIMIT + 1)).scalars())
    chosen = None
    if chosen_id:
        chosen = db.session.execute(access.visible_counties(user).where(Region.id == chosen_id)).scalar_one_or_none()
    more = len(rows) > COUNTY_OPTIONS_LIMIT
    if more and not q:      # a province: nothing typed yet, so no arbitrary first 20 — ask for a name
        rows = []
    return CountyOptions(rows[:COUNTY_OPTIONS_LIMIT], chosen, more, q)


def county_counts(county_ids: list[int]) -> dict[int, dict[str, int]]:
    """Number of 医共体, sites and units per county, in three grouped queries."""
    result = {cid: {"communities": 0, "sites": 0, "units": 0} for cid in county_ids}
    for key, model in (("communities", MedicalCommunity), ("sites", Site), ("units", ResponsibleUnit)):
        rows = db.session.execute(sa.select(model.county_id, sa.func.count())
                                  .where(model.county_id.in_(county_ids)).group_by(model.county_id))
        for county_id, count in rows:
            result[county_id][key] = count
    return result


def scope_overview(user) -> dict:
    """Headline counts of what the account covers, for the home page."""
    county_ids = access.visible_counties(user).with_only_columns(Region.id).scalar_subquery()
    counts = {"counties": db.session.scalar(sa.select(sa.func.count()).where(Region.id.in_(county_ids)))}
    for key, model in (("communities", MedicalCommunity), ("sites", Site), ("units", ResponsibleUnit)):
        counts[key] = db.session.scalar(sa.select(sa.func.count()).select_from(model)
                                        .where(model.county_id.in_(county_ids)))
    return counts


def list_rows(model, county: Region, q: str = "", page: int = 1, per_page: int = 20, kind_id=None):
    """One page of a county's sites, units or 医共体, matched by name."""
    stmt = sa.select(model).where(model.county_id == county.id)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(model.name.contains(q))
    if kind_id and model is Site:
        stmt = stmt.where(Site.kind_id == kind_id)
    order = [model.kind_id, model.name] if model is Site else \
        [model.sort_order, model.id] if model is ResponsibleUnit else [model.name]
    return db.paginate(stmt.order_by(*order), page=page, per_page=per_page, error_out=False)


@dataclass(frozen=True)
class EntitySpec:
    """How one editable kind of tree row is named, checked and audited."""

    key: str
    model: type
    label: str
    permission: access.Permission
    fields: tuple[str, ...]


ENTITIES = {
    "sites": EntitySpec("sites", Site, "核查点位", access.Permission.SITE_MANAGE,
                        ("name", "kind_id", "community_id", "address", "active", "latitude", "longitude",
                         "position_source")),
    "units": EntitySpec("units", ResponsibleUnit, "责任单位", access.Permission.UNIT_MANAGE,
                        ("name", "category", "active")),
    "communities": EntitySpec("communities", MedicalCommunity, "医共体", access.Permission.ORG_MANAGE,
                              ("name", "lead_hospital")),
}


def _check(spec: EntitySpec, county: Region, values: dict, current=None) -> None:
    """Names are unique within a county; a site's 医共体 must belong to the same county."""
    clash = db.session.execute(sa.select(spec.model.id).where(
        spec.model.county_id == county.id, spec.model.name == values["name"],
        spec.model.id != (current.id if current is not None else -1))).first()
    if clash:
        raise DomainError(f"{county.name}已有同名的{spec.label}“{values['name']}”", field="name")
    if spec.model is Site:
        if db.session.get(SiteKind, values["kind_id"]) is None:
            raise DomainError("请选择点位类型", field="kind_id")
        community_id = values.get("community_id")
        if community_id:
            community = db.session.get(MedicalCommunity, community_id)
            if community is None or community.county_id != county.id:
                raise DomainError("所选医共体不属于本县", field="community_id")


def create_entity(spec: EntitySpec, county: Region, values: dict):
    """Add a site, unit or 医共体 to a county, with its audit event, in one transaction."""
    values = {k: v for k, v in values.items() if k in spec.fields}
    _check(spec, county, values)
    obj = spec.model(county_id=county.id, **values)
    db.session.add(obj)
    db.session.flush()
    record(f"{spec.key}.create", obj=obj, label=obj.name, after=values,
           summary=f"新增{spec.label}“{obj.name}”（{county.name}）")
    db.session.commit()
    return obj


def update_entity(spec: EntitySpec, obj, values: dict, seen: int | None):
    """Edit a site, unit or 医共体; records only the fields that changed.

    `seen` is the row's version the edit form was drawn from: a save over a newer one raises
    locking.EditConflict (409; 422 without it) and writes nothing.
    """
    values = {k: v for k, v in values.items() if k in spec.fields}
    _check(spec, obj.county, values, current=obj)
    before, after = changes(obj, list(spec.fields), values)
    if not after:
        return obj
    locking.claim(obj, seen)
    for key, value in after.items():
        setattr(obj, key, value)
    record(f"{spec.key}.update", obj=obj, label=obj.name, before=before, after=after,
           summary=f"修改{spec.label}“{obj.name}”")
    db.session.commit()
    return obj


# ---------------------------------------------------------------- finding a division

def search_regions(q: str, levels=(RegionLevel.CITY, RegionLevel.COUNTY), limit: int = 10) -> list[Region]:
    """Divisions of `levels` found by what someone typed, for the active search of a region field.

    A 6-digit run anywhere in `q` (e.g. a picked label "河南省 南阳市 新野县 411329") matches that code
    exactly; other digits match a code prefix ("4113" → 南阳市 and its counties); anything else
    matches inside the name ("新野" → 新野县). Cities come before counties, then code order; at most
    `limit` rows, each with its parent and grandparent loaded for `region_label`. Unscoped: the
    caller's route rule decides who may search (codes are GB/T 2260, public).
    """
    q = (q or "").strip()
    if not q:
        return []
    code = re.search(r"\d{6}", q)
    if code:
        match = Region.code == code.group(0)
    elif q.isdigit():
        match = Region.code.startswith(q, autoescape=True)
    else:
        match = Region.name.contains(q, autoescape=True)
    level_order = sa.case({RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1}, value=Region.level, else_=2)
    return list(db.session.execute(
        sa.select(Region).where(match, Region.level.in_(list(levels)))
        .options(joinedload(Region.parent).joinedload(Region.parent))
        .order_by(level_order, Region.code).limit(limit)).scalars())


def region_label(region: Region | None) -> str:
    """The division with its ancestors and code, as people read it: "河南省 南阳市 新野县 411329"."""
    if region is None:
        return ""
    names, node = [], region
    while node is not None:
        names.append(node.name)
        node = node.parent
    return " ".join(reversed(names)) + f" {region.code}"
