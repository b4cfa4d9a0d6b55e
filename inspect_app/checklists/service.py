"""Business rules of checklists (核查表): versions, frozen published versions, XLSX exchange.

A published version never changes: visits keep the version they were answered against, so next
year's standard is a *copy* (`copy_as_draft`) edited as a draft and published on its own. Every
change is audited in the same transaction as the change.
"""
import re
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from inspect_app import locking
from inspect_app.audit.service import changes, record
from inspect_app.checklists import xlsx
from inspect_app.checklists.default_template import DEFAULT_TEMPLATE
from inspect_app.checklists.models import (CheckMethod, ChecklistItem, ChecklistSection, ChecklistTemplate,
                                           ChecklistVersion, VersionStatus, checklist_item_site_kinds)
from inspect_app.rectification.date_rules import today as today_china
from inspect_app.errors import DomainError
from inspect_app.documents.download_names import DownloadName, download_name
from inspect_app.extensions import db, utcnow
from inspect_app.org.models import SiteKind
from inspect_app.org.service import site_kinds

SYSTEM_USERNAME = "系统"
ITEM_FIELDS = ["section_id", "code", "content", "method", "guidance", "photo_required", "weight", "veto"]


def _who(user) -> dict:
    """Audit `user`/`username` arguments: the acting user, or the system for CLI seeding."""
    return {"user": user} if user is not None else {"username": SYSTEM_USERNAME}


def _method(value) -> CheckMethod:
    """A CheckMethod from its code, its Chinese label or itself."""
    if isinstance(value, CheckMethod):
        return value
    for method in CheckMethod:
        if value in (method.value, method.label):
            return method
    raise DomainError(f"核查方法“{value}”无效，应为 查资料、看现场 或 访谈", field="method")


def site_kind_names() -> dict[str, str]:
    """Site-kind code → Chinese name, for XLSX import and export."""
    return {k.code: k.name for k in site_kinds()}


def templates_with_versions() -> list[ChecklistTemplate]:
    """Every template with its versions loaded (the list page)."""
    return list(db.session.execute(
        sa.select(ChecklistTemplate).options(selectinload(ChecklistTemplate.versions))
        .order_by(ChecklistTemplate.name)).scalars())


def item_counts(version_ids: list[int]) -> dict[int, int]:
    """Number of items per version, in one query."""
    if not version_ids:
        return {}
    rows = db.session.execute(sa.select(ChecklistItem.version_id, sa.func.count(ChecklistItem.id))
                              .where(ChecklistItem.version_id.in_(version_ids))
                              .group_by(ChecklistItem.version_id))
    return dict(rows.all())


def published_versions() -> list[ChecklistVersion]:
    """Published versions, newest first (what a campaign may use)."""
    return list(db.session.execute(
        sa.select(ChecklistVersion).join(ChecklistVersion.template)
        .where(ChecklistVersion.status == VersionStatus.PUBLISHED)
        .options(contains_eager(ChecklistVersion.template))
        .order_by(ChecklistVersion.published_at.desc(), ChecklistVersion.id.desc())).scalars())


def _label_taken(template: ChecklistTemplate | None, label: str) -> bool:
    if template is None or template.id is None:
        return False
    return db.session.execute(sa.select(ChecklistVersion.id).where(
        ChecklistVersion.template_id == template.id, ChecklistVersion.label == label)).first() is not None


def _check_label(template: ChecklistTemplate | None, label: str) -> str:
    label = (label or "").strip()
    if not label:
        raise DomainError("请填写版本名称，如 2023版", field="label")
    if len(label) > 64:
        raise DomainError("版本名称不超过 64 字", field="label")
    if _label_taken(template, label):
        raise DomainError(f"该核查表已有版本“{label}”，请换一个版本名称", field="label")
    return label


def _template_named(name: str) -> ChecklistTemplate | None:
    return db.session.execute(sa.select(ChecklistTemplate).where(ChecklistTemplate.name == name)) \
        .scalar_one_or_none()


def _build_version(template_name: str, label: str, data: dict) -> ChecklistVersion:
    """Add a draft version built from a template dict to the session (not committed, not audited)."""
    name = (template_name or "").strip()
    if not name:
        raise DomainError("请填写核查表名称", field="name")
    if len(name) > 128:
        raise DomainError("核查表名称不超过 128 字", field="name")
    template = _template_named(name)
    label = _check_label(template, label)
    kinds = {k.code: k for k in site_kinds()}
    issues = xlsx.template_issues(data, kinds.keys())
    if issues:
        raise DomainError("；".join(issues))
    if template is None:
        template = ChecklistTemplate(name=name, description="")
        db.session.add(template)
    version = ChecklistVersion(template=template, label=label, status=VersionStatus.DRAFT, created_at=utcnow())
    db.session.add(version)
    db.session.flush()
    for s_pos, section_data in enumerate(data["sections"]):
        section = ChecklistSection(version_id=version.id, code=str(section_data["code"]).strip(),
                                   title=str(section_data["title"]).strip(), position=s_pos)
        db.session.add(section)
        db.session.flush()
        for i_pos, item in enumerate(section_data["items"]):
            db.session.add(ChecklistItem(
                version_id=version.id, section_id=section.id, code=str(item["code"]).strip(),
                content=str(item["content"]).strip(), method=_method(item["method"]),
                guidance=(item.get("guidance") or "").strip(), photo_required=bool(item.get("photo_required")),
                weight=item.get("weight"), veto=bool(item.get("veto")), position=i_pos,
                site_kinds=[kinds[code] for code in item["site_kinds"]]))
    db.session.flush()
    return version


def create_version_from_dict(template_name: str, label: str, data: dict, user) -> ChecklistVersion:
    """Create a draft version of `template_name` (created when new) from a dict shaped like
    DEFAULT_TEMPLATE; site kinds are given by code. Raises DomainError, writing nothing."""
    try:
        version = _build_version(template_name, label, data)
    except Exception:
        db.session.rollback()
        raise
    record("checklist_version.create", obj=version, label=f"{version.template.name} {version.label}",
           after={"label": version.label, "items": _count(version)},
           summary=f"新建核查表草稿“{version.template.name}”{version.label}", **_who(user))
    db.session.commit()
    return version


def _count(version: ChecklistVersion) -> int:
    return item_counts([version.id]).get(version.id, 0)


def version_items(version_id: int, site_kind_id: int | None = None, q: str = "") -> list[ChecklistItem]:
    """Items of a version with their section and site kinds, in section/item order, optionally
    only those applying to one site kind and those whose code or content contains `q`."""
    stmt = sa.select(ChecklistItem).join(ChecklistItem.section) \
        .where(ChecklistItem.version_id == version_id) \
        .options(contains_eager(ChecklistItem.section), selectinload(ChecklistItem.site_kinds)) \
        .order_by(ChecklistSection.position, ChecklistItem.position, ChecklistItem.id)
    if site_kind_id:
        stmt = stmt.where(ChecklistItem.id.in_(sa.select(checklist_item_site_kinds.c.item_id).where(
            checklist_item_site_kinds.c.site_kind_id == site_kind_id)))
    q = (q or "").strip()
    if q:
        pattern = f"%{q}%"
        stmt = stmt.where(sa.or_(ChecklistItem.content.ilike(pattern), ChecklistItem.code.ilike(pattern)))
    return list(db.session.execute(stmt).scalars())


def items_for_site_kind(version_id: int, site_kind_id: int) -> list[ChecklistItem]:
    """The items of a version that apply to one site kind, each with its section loaded, in
    section/item order — one query whatever the number of items (the visit screen uses it).
    `item.site_kinds` is not loaded here: the caller already knows the site kind."""
    stmt = sa.select(ChecklistItem).join(ChecklistItem.section) \
        .join(checklist_item_site_kinds, checklist_item_site_kinds.c.item_id == ChecklistItem.id) \
        .where(ChecklistItem.version_id == version_id, checklist_item_site_kinds.c.site_kind_id == site_kind_id) \
        .options(contains_eager(ChecklistItem.section)) \
        .order_by(ChecklistSection.position, ChecklistItem.position, ChecklistItem.id)
    return list(db.session.execute(stmt).scalars())


def group_by_section(items: list[ChecklistItem]) -> list[tuple[ChecklistSection, list[ChecklistItem]]]:
    """[(section, items)] keeping the order of `items`."""
    groups: list[tuple[ChecklistSection, list[ChecklistItem]]] = []
    for item in items:
        if not groups or groups[-1][0].id != item.section_id:
            groups.append((item.section, []))
        groups[-1][1].append(item)
    return groups


def version_to_dict(version: ChecklistVersion) -> dict:
    """The version as a dict shaped like DEFAULT_TEMPLATE (what xlsx.export_version writes)."""
    items = version_items(version.id)
    sections = []
    by_section = {section.id: section for section in version.sections}
    grouped = {section.id: [] for section in version.sections}
    for item in items:
        grouped[item.section_id].append({
            "code": item.code, "content": item.content, "method": item.method.value,
            "site_kinds": [k.code for k in item.site_kinds], "photo_required": bool(item.photo_required),
            "weight": item.weight, "veto": bool(item.veto), "guidance": item.guidance or ""})
    for section_id, section_items in grouped.items():
        if not section_items:  # a draft's emptied section has no row to export or copy
            continue
        section = by_section[section_id]
        sections.append({"code": section.code, "title": section.title, "items": section_items})
    return {"name": version.template.name, "version_label": version.label, "sections": sections}


def export_filename(version: ChecklistVersion, today: date | None = None) -> DownloadName:
    """E.g. 紧密型县域医共体建设核查表_2022版_2022-07-25.xlsx (a trailing （示例） is dropped; the date
    is the day of the export, Beijing time), fallback checklist-v<version id>-2022-07-25.xlsx."""
    name = re.sub(r"[（(][^（）()]*[）)]$", "", version.template.name).strip() or version.template.name
    return download_name(name, "checklist", today or today_china(), "xlsx", detail=version.label,
                         detail_ascii=f"v{version.id}")


def export_xlsx(version: ChecklistVersion) -> bytes:
    """The version as an .xlsx workbook, one row per item."""
    return xlsx.export_version(version_to_dict(version), site_kind_names())


def import_xlsx(data: bytes, template, label: str, user):
    """Create a draft version from an uploaded workbook; all rows valid or nothing is written.

    `template` is a ChecklistTemplate, or the name of a template (new or existing), or None to use
    the name stored in the workbook. Returns (version, []) or (None, [Chinese messages]).
    """
    result = xlsx.import_version(data, site_kind_names())
    if not result.ok:
        return None, [error.message for error in result.errors]
    if isinstance(template, ChecklistTemplate):
        name = template.name
    else:
        name = (template or "").strip() or (result.template.get("name") or "").strip()
    if not name:
        return None, ["请填写核查表名称（文件中也没有记录核查表名称）"]
    try:
        version = create_version_from_dict(name, label, result.template, user)
    except DomainError as error:
        return None, [error.message]
    return version, []


def copy_as_draft(version: ChecklistVersion, label: str, user) -> ChecklistVersion:
    """A new draft of the same template with the same sections and items (next year's standard);
    the copy shares no rows with the original, so editing it never changes `version`."""
    data = version_to_dict(version)
    try:
        copy = _build_version(version.template.name, label, data)
    except Exception:
        db.session.rollback()
        raise
    record("checklist_version.copy", obj=copy, label=f"{copy.template.name} {copy.label}",
           before={"from_version": version.label}, after={"label": copy.label},
           summary=f"由“{version.label}”复制出新草稿“{copy.label}”", **_who(user))
    db.session.commit()
    return copy


def _require_draft(version: ChecklistVersion) -> None:
    if version.frozen:
        raise DomainError(f"“{version.label}”已发布，不能再修改。如需调整，请“复制为新草稿”后修改并发布新版本。",
                          status=409)


def _check_item(version: ChecklistVersion, values: dict, current: ChecklistItem | None = None) -> dict:
    """Validated item values (method as CheckMethod, site kinds as SiteKind rows)."""
    code = (values.get("code") or "").strip()
    if not code:
        raise DomainError("请填写条目编号", field="code")
    clash = db.session.execute(sa.select(ChecklistItem.id).where(
        ChecklistItem.version_id == version.id, ChecklistItem.code == code,
        ChecklistItem.id != (current.id if current is not None else -1))).first()
    if clash:
        raise DomainError(f"本版本已有条目编号“{code}”", field="code")
    content = (values.get("content") or "").strip()
    if not content:
        raise DomainError("请填写核查内容", field="content")
    section = db.session.get(ChecklistSection, values.get("section_id") or
                             (current.section_id if current is not None else 0))
    if section is None or section.version_id != version.id:
        raise DomainError("请选择本版本的章节", field="section_id")
    kind_ids = list(values.get("site_kind_ids") or [])
    kinds = list(db.session.execute(sa.select(SiteKind).where(SiteKind.id.in_(kind_ids))
                                    .order_by(SiteKind.sort_order)).scalars()) if kind_ids else []
    if not kinds or len(kinds) != len(set(kind_ids)):
        raise DomainError("请至少选择一种适用点位类型", field="site_kind_ids")
    weight = values.get("weight")
    if weight is not None and weight < 0:
        raise DomainError("分值不能为负数", field="weight")
    return {"section_id": section.id, "code": code, "content": content, "method": _method(values.get("method")),
            "guidance": (values.get("guidance") or "").strip(), "photo_required": bool(values.get("photo_required")),
            "weight": weight, "veto": bool(values.get("veto")), "site_kinds": kinds}


def update_item(item: ChecklistItem, values: dict, user, seen: int | None) -> ChecklistItem:
    """Edit one item of a draft version; a published version refuses (DomainError, 409).

    `seen` is the item's version the form was drawn from: a save over a newer one raises
    locking.EditConflict (409; 422 without it) and writes nothing. A saved edit also moves the draft's
    own version on, so a publish confirmed on an older view of the draft is refused (`publish`).
    """
    version = db.session.get(ChecklistVersion, item.version_id)
    _require_draft(version)
    clean = _check_item(version, values, current=item)
    kinds = clean.pop("site_kinds")
    before, after = changes(item, ITEM_FIELDS, clean)
    old_kinds, new_kinds = [k.code for k in item.site_kinds], [k.code for k in kinds]
    if old_kinds != new_kinds:
        before["site_kinds"], after["site_kinds"] = old_kinds, new_kinds
    if not after:
        return item
    locking.claim(item, seen)
    locking.bump(version)
    for key, value in clean.items():
        setattr(item, key, value)
    item.site_kinds = kinds
    record("checklist_item.update", obj=item, label=f"{version.label} {item.code}", before=before, after=after,
           summary=f"修改核查表“{version.label}”条目 {item.code}", **_who(user))
    db.session.commit()
    return item


def add_item(version: ChecklistVersion, values: dict, user) -> ChecklistItem:
    """Append an item to a section of a draft version."""
    _require_draft(version)
    clean = _check_item(version, values)
    kinds = clean.pop("site_kinds")
    last = db.session.execute(sa.select(sa.func.max(ChecklistItem.position))
                              .where(ChecklistItem.section_id == clean["section_id"])).scalar()
    item = ChecklistItem(version_id=version.id, position=(last if last is not None else -1) + 1, **clean)
    item.site_kinds = kinds
    db.session.add(item)
    locking.bump(version)
    db.session.flush()
    record("checklist_item.create", obj=item, label=f"{version.label} {item.code}",
           after={**clean, "site_kinds": [k.code for k in kinds]},
           summary=f"核查表“{version.label}”新增条目 {item.code}", **_who(user))
    db.session.commit()
    return item


def delete_item(item: ChecklistItem, user, seen: int | None) -> None:
    """Remove an item from a draft version. `seen` is the item's version the row on screen showed:
    deleting an item someone edited since refuses (locking.EditConflict, 409) so their edit is seen."""
    version = db.session.get(ChecklistVersion, item.version_id)
    _require_draft(version)
    locking.claim(item, seen)
    locking.bump(version)
    before = {"code": item.code, "content": item.content}
    record("checklist_item.delete", obj=item, label=f"{version.label} {item.code}", before=before,
           summary=f"核查表“{version.label}”删除条目 {item.code}", **_who(user))
    db.session.delete(item)
    db.session.commit()


DRAFT_CHANGED_MESSAGE = "您打开页面后，他人修改了该草稿的条目；下方是当前内容，请核对后再发布"


def publish(version: ChecklistVersion, user, seen: int | None) -> ChecklistVersion:
    """Publish a draft: from now on it is frozen and campaigns may use it.

    `seen` is the draft's version on the page where 发布 was pressed: items added, edited or deleted
    since then refuse the publish (locking.EditConflict, 409) — what is published is what was read.
    """
    _require_draft(version)
    if not _count(version):
        raise DomainError("没有任何条目的版本不能发布")
    try:
        locking.claim(version, seen)
    except locking.EditConflict as error:
        raise locking.EditConflict(DRAFT_CHANGED_MESSAGE if error.status == 409 else error.message,
                                   error.status) from None
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()
    version.published_by_id = getattr(user, "id", None)
    record("checklist_version.publish", obj=version, label=f"{version.template.name} {version.label}",
           before={"status": VersionStatus.DRAFT}, after={"status": VersionStatus.PUBLISHED},
           summary=f"发布核查表“{version.template.name}”{version.label}", **_who(user))
    db.session.commit()
    return version


def ensure_default_checklist(user=None) -> ChecklistVersion:
    """The published default template 《紧密型县域医共体建设核查表（示例）》 2022版, created and
    published the first time only (idempotent: later calls change nothing)."""
    from inspect_app.org.service import ensure_site_kinds

    template = _template_named(DEFAULT_TEMPLATE["name"])
    version = None
    if template is not None:
        version = db.session.execute(sa.select(ChecklistVersion).where(
            ChecklistVersion.template_id == template.id,
            ChecklistVersion.label == DEFAULT_TEMPLATE["version_label"])).scalar_one_or_none()
    if version is None:
        ensure_site_kinds()
        version = create_version_from_dict(DEFAULT_TEMPLATE["name"], DEFAULT_TEMPLATE["version_label"],
                                           DEFAULT_TEMPLATE, user)
    if not version.frozen:
        publish(version, user, version.version)
    return version
