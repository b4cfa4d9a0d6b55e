"""Account rules: which scope each role needs, who may grant which role, and audited changes."""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from inspect_app import access, locking
from inspect_app.api import service as api_tokens
from inspect_app.audit.service import changes, record
from inspect_app.auth.models import User
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.org.models import Region, RegionLevel, ResponsibleUnit
from inspect_app.org.service import search_regions
from inspect_app.roles import Role

REGION_LEVEL_FOR_ROLE = {Role.CITY_VIEWER: RegionLevel.CITY, Role.COUNTY_COORDINATOR: RegionLevel.COUNTY,
                         Role.UNIT_RESPONDER: RegionLevel.COUNTY}


def grantable_roles(actor) -> list[Role]:
    """Roles this administrator may give, in the enum's order (decided by access.manageable_roles)."""
    allowed = access.manageable_roles(actor)
    return [r for r in Role if r in allowed]


def search_users(q: str = "", role: str = "", page: int = 1, per_page: int = 20):
    """One page of accounts matched by username or name, optionally of one role; each row's region
    and unit are loaded with the page, since the table shows every account's scope."""
    stmt = sa.select(User).options(selectinload(User.region), selectinload(User.unit)).order_by(User.id)
    if q:
        stmt = stmt.where(sa.or_(User.username.contains(q.lower()), User.display_name.contains(q)))
    if role:
        stmt = stmt.where(User.role == Role(role))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def units_of(region_code: str) -> list[ResponsibleUnit]:
    return list(db.session.execute(
        sa.select(ResponsibleUnit).join(Region, Region.id == ResponsibleUnit.county_id)
        .where(Region.code == region_code).order_by(ResponsibleUnit.sort_order, ResponsibleUnit.id)).scalars())


def region_levels_for(role_value: str | None) -> tuple[RegionLevel, ...]:
    """The division levels the region search offers for a role: a city viewer's city, a county
    role's county, and both while no such role is chosen."""
    try:
        level = REGION_LEVEL_FOR_ROLE.get(Role(role_value))
    except ValueError:
        level = None
    return (level,) if level else (RegionLevel.CITY, RegionLevel.COUNTY)


def find_regions(q: str, role_value: str | None, limit: int = 10) -> list[Region]:
    """The active search of the account form's region field (org.service.search_regions, by name or
    code), limited to the levels the chosen role can be bound to."""
    return search_regions(q, region_levels_for(role_value), limit)


def picked_region_code(region_code: str | None, search: str | None, role_value: str | None) -> str:
    """The region the form means: the one picked from the search results, else — without
    JavaScript, or typed and saved without picking — the only division the typed text finds.
    Empty when nothing or more than one matches (the scope check then asks to choose)."""
    if region_code or not search:
        return region_code or ""
    matches = find_regions(search, role_value, limit=2)
    return matches[0].code if len(matches) == 1 else ""


def region_of(code: str | None) -> Region | None:
    """The division with this code (parents loaded, for its label), or None."""
    found = search_regions(code or "", (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY), 1) \
        if code and code.isdigit() and len(code) == 6 else []
    return found[0] if found else None


def resolve_scope(role: Role, region_code: str, unit_id: int | None) -> tuple[int | None, int | None]:
    """The region and unit a role needs: a city for city viewers, a county for county roles, a unit
    of that county for unit responders, nothing for province-wide and team roles."""
    level = REGION_LEVEL_FOR_ROLE.get(role)
    if level is None:
        return None, None
    region = db.session.execute(sa.select(Region).where(Region.code == (region_code or ""))).scalar_one_or_none()
    if region is None or region.level != level:
        raise DomainError(f"{role.label}需要选择所属{'市' if level == RegionLevel.CITY else '县'}级区划", field="region_code")
    if role != Role.UNIT_RESPONDER:
        return region.id, None
    unit = db.session.get(ResponsibleUnit, unit_id) if unit_id else None
    if unit is None or unit.county_id != region.id:
        raise DomainError("请选择本县的责任单位", field="unit_id")
    return region.id, unit.id


def _check_grant(actor, role: Role, target: User | None = None):
    if role not in grantable_roles(actor) or (target is not None and target.role not in grantable_roles(actor)):
        raise DomainError("您无权授予或修改该角色", field="role")


def create_user(actor, values: dict, password: str) -> User:
    """Create an account with a policy-checked initial password."""
    role = Role(values["role"])
    _check_grant(actor, role)
    if db.session.execute(sa.select(User.id).where(User.username == values["username"])).first():
        raise DomainError("该用户名已被使用", field="username")
    if not password:
        raise DomainError("请设置初始密码", field="password")
    region_id, unit_id = resolve_scope(role, values.get("region_code"), values.get("unit_id"))
    user = User(username=values["username"], display_name=values["display_name"],
                organisation=values.get("organisation") or "", role=role, region_id=region_id,
                unit_id=unit_id, active=values.get("active", True), session_version=0)
    user.set_password(password, chosen_by_user=False)   # changed at the first sign-in
    db.session.add(user)
    db.session.flush()
    record("user.create", obj=user, label=user.display_name, summary=f"新建账户 {user.username}（{role.label}）",
           after={"username": user.username, "role": role, "region_id": region_id, "unit_id": unit_id})
    db.session.commit()
    return user


def update_user(actor, user: User, values: dict, seen: int | None) -> User:
    """Edit role, scope and status; disabling an account ends its sessions at once.

    `seen` is the account's version the form was drawn from: a save over another administrator's
    newer one raises locking.EditConflict (409; 422 without it) and writes nothing.
    """
    role = Role(values["role"])
    _check_grant(actor, role, user)
    if user.id == actor.id and (role != user.role or not values.get("active", True)):
        raise DomainError("不能修改自己的角色或停用自己的账户", field="role")
    region_id, unit_id = resolve_scope(role, values.get("region_code"), values.get("unit_id"))
    new = {"display_name": values["display_name"], "organisation": values.get("organisation") or "",
           "role": role, "region_id": region_id, "unit_id": unit_id, "active": values.get("active", True)}
    before, after = changes(user, list(new), new)
    if not after:
        return user
    locking.claim(user, seen)
    for key, value in after.items():
        setattr(user, key, value)
    if "active" in after or "role" in after or "region_id" in after or "unit_id" in after:
        user.session_version += 1  # a narrowed or disabled account must not keep its old session
    if after.get("active") is False:
        api_tokens.revoke_all_of(user, actor)   # re-enabling the account must not revive its tokens
    record("user.update", obj=user, label=user.display_name, before=before, after=after,
           summary=f"修改账户 {user.username}")
    db.session.commit()
    return user


def reset_password(actor, user: User, password: str) -> None:
    """An administrator sets a new password: the user's sessions end and the user must change it at
    the next sign-in. Who may do this is access.can_set_password (三权分立); raises DomainError."""
    from inspect_app.auth.service import reuses_recent_password

    if not access.can_set_password(actor, user):
        raise DomainError("您无权重置该账户的密码", field="password")
    if reuses_recent_password(user, password):
        raise DomainError("不能使用该账户最近 5 次用过的密码", field="password")
    user.set_password(password, chosen_by_user=False)
    record("user.password_reset", obj=user, label=user.display_name, summary=f"管理员重置 {user.username} 的密码",
           after={"must_change_password": user.must_change_password})
    db.session.commit()
