"""How audit events read on screen and in the export: Chinese field names, only the fields that
changed, names instead of ids, and the campaign of a 下发 (issue 14, seen 8).

Display only: the stored rows and their hash chain (audit/chain.py) are never touched. Names are
looked up once per page of events (one query per kind of id), as they are now — a renamed unit shows
its current name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.documents.dates import to_china
from inspect_app.extensions import db

# Field names in before/after snapshots as they read on screen; an unknown key shows as stored.
FIELD_LABELS = {
    "status": "状态", "unit_id": "责任单位", "responsible_person": "责任人", "assignee_id": "责任人账户",
    "planned_date": "计划完成日期", "extended_deadline": "延期后完成时限", "deadline": "完成时限",
    "return_count": "退回次数", "region_id": "地区", "county_id": "县(市)", "county": "县(市)",
    "role": "角色", "username": "账户名", "display_name": "姓名", "active": "启用", "phone": "电话",
    "email": "电子邮箱", "must_change_password": "须修改密码", "locked_until": "锁定至", "key": "锁定对象",
    "issued_on": "下发日期", "items": "条数", "sequence": "批次", "name": "名称", "code": "编码",
    "kind_id": "点位类型", "community_id": "医共体", "address": "地址", "description": "问题描述",
    "position": "顺序", "created": "新增", "updated": "更新", "user": "账户", "prefix": "令牌前缀",
    "expires_on": "到期日", "revoked": "已吊销", "query": "查询", "owner": "归属", "stage": "阶段",
    "sha256": "SHA-256", "due_date": "阶段时限", "expected": "阶段目标", "label": "名称",
    "from_version": "复制自", "site_kinds": "适用点位类型", "merged_into_id": "合并到问题",
    "attachment_ids": "照片", "reason": "原因", "content": "内容", "guidance": "核查方法",
    "veto": "否决项", "photo_required": "须拍照", "score": "分值", "leader_id": "组长", "member_ids": "组员",
    "members": "组员", "counties": "负责县", "start_date": "开始日期", "end_date": "结束日期",
    "year": "年度", "checklist_version_id": "核查表版本", "campaign_id": "核查任务", "team_id": "核查组",
    "site_id": "核查点位", "finding_id": "问题", "severity": "严重程度", "category": "问题类别",
    "rectification_type": "整改类型", "measures": "整改措施", "suggestion": "整改建议",
    "result": "核查结果", "note": "说明", "title": "标题", "unit": "责任单位",
    "latitude": "纬度", "longitude": "经度", "position_source": "位置来源",
}

# Internal bookkeeping that changes with every edit and says nothing to a reader.
HIDDEN_FIELDS = frozenset({"version", "session_version", "repeats"})


def _id_sources():
    """Which model and attribute name an `*_id` field points to (imported late: every package's
    models import the audit service)."""
    from inspect_app.auth.models import User
    from inspect_app.campaigns.models import Campaign, Team
    from inspect_app.org.models import MedicalCommunity, Region, ResponsibleUnit, Site, SiteKind
    return {
        "region_id": (Region, "name"), "county_id": (Region, "name"), "unit_id": (ResponsibleUnit, "name"),
        "assignee_id": (User, "display_name"), "leader_id": (User, "display_name"),
        "user_id": (User, "display_name"), "kind_id": (SiteKind, "name"),
        "community_id": (MedicalCommunity, "name"), "campaign_id": (Campaign, "name"),
        "team_id": (Team, "name"), "site_id": (Site, "name"),
    }


@dataclass
class Change:
    """One changed field: its Chinese name, the old text (None for a new value) and the new text
    (None for a removed one)."""
    label: str
    before: str | None
    after: str | None


@dataclass
class EventView:
    """An audit event as a reader sees it."""
    event: AuditEvent
    user: str
    action: str
    object_type: str
    object: str
    context: str
    summary: str
    changes: list[Change] = field(default_factory=list)
    repeats: int = 0

    @property
    def changes_text(self) -> str:
        """The changes as plain lines (`名称：旧 → 新`) for the export."""
        return "\n".join(_change_line(c) for c in self.changes)


def _change_line(change: Change) -> str:
    if change.before is None:
        return f"{change.label}：{change.after}"
    if change.after is None:
        return f"{change.label}：{change.before} → （删除）"
    return f"{change.label}：{change.before} → {change.after}"


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _text(value, key: str, names: dict) -> str:
    """One snapshot value as text: ids as names, booleans as 是/否, lists joined, datetimes in Beijing."""
    if value is None or value == "" or value == []:
        return "（空）"
    if key in names and isinstance(value, int) and not isinstance(value, bool):
        return names[key].get(value) or f"#{value}"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_text(v, "", names) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{FIELD_LABELS.get(k, k)}：{_text(v, k, names)}" for k, v in value.items())
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            return to_china(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)


def changes_of(event: AuditEvent, names: dict) -> list[Change]:
    """The fields an event changed, in the order it recorded them: with both snapshots, only the keys
    whose value differs; a creation shows its non-empty values; a deletion its old ones."""
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    out = []
    for key in list(after) + [k for k in before if k not in after]:
        if key in HIDDEN_FIELDS:
            continue
        label = FIELD_LABELS.get(key, key)
        if event.before is None:
            if after[key] not in (None, "", []):
                out.append(Change(label, None, _text(after[key], key, names)))
        elif event.after is None:
            out.append(Change(label, _text(before[key], key, names), None))
        elif key not in before:
            out.append(Change(label, None, _text(after[key], key, names)))
        elif key not in after:
            out.append(Change(label, _text(before[key], key, names), None))
        elif before[key] != after[key]:
            out.append(Change(label, _text(before[key], key, names), _text(after[key], key, names)))
    return out


def _names(events: list[AuditEvent]) -> dict[str, dict[int, str]]:
    """{field: {id: name}} for every `*_id` field the events mention, one query per model."""
    sources = _id_sources()
    wanted: dict[str, set[int]] = {}
    for e in events:
        for snap in (e.before, e.after):
            if isinstance(snap, dict):
                for key, value in snap.items():
                    if key in sources and isinstance(value, int) and not isinstance(value, bool):
                        wanted.setdefault(key, set()).add(value)
    by_model: dict[tuple, dict[int, str]] = {}
    out = {}
    for key, ids in wanted.items():
        model, attr = sources[key]
        cache = by_model.setdefault((model, attr), {})
        missing = ids - cache.keys()
        if missing:
            rows = db.session.execute(sa.select(model.id, getattr(model, attr)).where(model.id.in_(missing)))
            cache.update({row[0]: row[1] for row in rows})
        out[key] = cache
    return out


def _user_names(events: list[AuditEvent]) -> dict[int, str]:
    from inspect_app.auth.models import User
    ids = {e.user_id for e in events if e.user_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _issue_contexts(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """`核查任务：…；清单：…` for the events about a problem list or an issued item (a 下发 row names
    the campaign and the list)."""
    from inspect_app.campaigns.models import Campaign
    from inspect_app.rectification.models import ProblemList, RectificationItem
    list_ids = {int(e.object_id) for e in events if e.object_type == "ProblemList" and e.object_id.isdigit()}
    item_ids = {int(e.object_id) for e in events
                if e.object_type == "RectificationItem" and e.action == "item.issue" and e.object_id.isdigit()}
    out: dict[tuple[str, str], str] = {}
    if item_ids:
        rows = db.session.execute(sa.select(RectificationItem.id, RectificationItem.problem_list_id)
                                  .where(RectificationItem.id.in_(item_ids))).all()
        item_list = dict(rows)
        list_ids |= set(item_list.values())
    else:
        item_list = {}
    if list_ids:
        rows = db.session.execute(sa.select(ProblemList.id, ProblemList.title, Campaign.name)
                                  .join(Campaign, Campaign.id == ProblemList.campaign_id)
                                  .where(ProblemList.id.in_(list_ids))).all()
        lists = {row[0]: f"核查任务：{row[2]}；清单：{row[1]}" for row in rows}
        out.update({("ProblemList", str(i)): text for i, text in lists.items()})
        out.update({("RectificationItem", str(item)): lists[plist]
                    for item, plist in item_list.items() if plist in lists})
    return out


def describe(events: list[AuditEvent]) -> list[EventView]:
    """The events as readers see them (one set of name look-ups for the lot)."""
    names = _names(events)
    users = _user_names(events)
    contexts = _issue_contexts(events)
    views = []
    for e in events:
        user = e.username or "—"
        if e.user_id and users.get(e.user_id) and users[e.user_id] != e.username:
            user = f"{users[e.user_id]}（{e.username}）"
        after = e.after if isinstance(e.after, dict) else {}
        views.append(EventView(
            event=e, user=user, action=e.action_label, object_type=e.object_type_label,
            object=e.object_label, context=contexts.get((e.object_type, e.object_id), ""),
            summary=e.summary, changes=changes_of(e, names), repeats=after.get("repeats") or 0))
    return views
