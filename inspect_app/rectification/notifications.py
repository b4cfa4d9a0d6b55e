"""In-app notifications (站内通知): who is told what, when a notice is handled, deadline reminders.

Who is told about a lifecycle action is part of the action's row in the transition table
(`lifecycle.Transition.notice`); this module resolves the audience to accounts and writes the notices
in the caller's transaction, so a refused or rolled-back action tells no one. The same notices are
queued for the second channels (channels.py), which send only after the commit.

A notice about an item records the item's version; once the item has changed since, the notice is
handled (已处理) for every recipient — someone has acted on it (`is_handled` and its SQL twin
`handled_clause`). Deadline reminders and the overdue digest carry a `dedupe_key`, so
`flask send-reminders` can run from cron as often as it likes without repeating itself.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from inspect_app.auth.models import User
from inspect_app.campaigns.models import Team, team_counties
from inspect_app.extensions import db, utcnow
from inspect_app.org.models import Region, ResponsibleUnit
from inspect_app.rectification import channels, date_rules, lifecycle
from inspect_app.rectification.models import Notification, ProblemList, RectificationItem
from inspect_app.roles import Role

log = logging.getLogger(__name__)

KIND_LABELS = {
    "issued": "下发",
    "assigned": "指派",
    "returned": "退回",
    "accepted": "验收通过",
    "submitted": "待验收",
    "extension": "延期申请",
    "extension_decided": "延期审批",
    "reopened": "重新打开",
    "near_deadline": "临近时限",
    "overdue": "已超期",
    "overdue_digest": "超期汇总",
    "account_locked": "登录锁定",
}

# Who gets the daily overdue digest besides the city viewers (whose digest covers their city).
PROVINCE_READERS = (Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER)
BATCH_SIZE = 500   # items per batch of the reminder job: a few statements per batch, none per item


def _path(endpoint: str, **values) -> str:
    """An app path without needing a request (the reminder job runs from cron)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def target(note: Notification) -> tuple[str, dict] | None:
    """Where a notice points, as (endpoint, values): its item, the county's items of an issued list,
    or the overdue items; None for a notice that points nowhere."""
    if note.item_id is not None:
        return "rectification.detail", {"item_id": note.item_id}
    data = note.data or {}
    if "county" in data:
        return "rectification.index", {"campaign": data.get("campaign"), "county": data["county"]}
    if data.get("bucket"):
        return "rectification.index", {"bucket": data["bucket"]}
    return None


def link_for(note: Notification) -> str:
    """The notice's target as an app path, for the second channels (no request needed)."""
    where = target(note)
    return _path(where[0], **where[1]) if where else ""


def notify(user_ids, item: RectificationItem | None, kind: str, message: str,
           dedupe_key: str | None = None, data: dict | None = None) -> list[Notification]:
    """Add one notification per distinct user (the caller commits), and queue it for the second channels.

    With a `dedupe_key`, each user's copy gets the key suffixed with the user id, and users who were
    already told under that key are skipped: the reminder job may run any number of times.
    """
    users = sorted({u for u in user_ids if u})
    if dedupe_key and users:
        taken = set(db.session.execute(sa.select(Notification.dedupe_key).where(
            Notification.dedupe_key.in_([f"{dedupe_key}:u{u}" for u in users]))).scalars())
        users = [u for u in users if f"{dedupe_key}:u{u}" not in taken]
    created = [Notification(user_id=u, item_id=item.id if item is not None else None,
                            item_version=item.version if item is not None else None, kind=kind, message=message,
                            data=data, dedupe_key=f"{dedupe_key}:u{u}" if dedupe_key else None) for u in users]
    db.session.add_all(created)
    if created:
        db.session.flush()
        channels.queue(channels.Outgoing(kind, KIND_LABELS.get(kind, kind), message, tuple(users),
                                         link_for(created[0])))
    return created


# ---------------------------------------------------------------- recipients

def _active_ids(stmt) -> list[int]:
    return list(db.session.execute(stmt.where(User.active.is_(True))).scalars())


def _grouped(stmt) -> dict[int, list[int]]:
    """(key, user id) rows as {key: [user ids]}."""
    out: dict[int, list[int]] = defaultdict(list)
    for key, user_id in db.session.execute(stmt.where(User.active.is_(True))):
        out[key].append(user_id)
    return out


def responders_of_units(unit_ids) -> dict[int, list[int]]:
    """Active unit responders of each unit, in one statement."""
    return _grouped(sa.select(User.unit_id, User.id).where(
        User.role == Role.UNIT_RESPONDER, User.unit_id.in_(set(unit_ids))))


def coordinators_of_counties(county_ids) -> dict[int, list[int]]:
    """Active county coordinators of each county, in one statement."""
    return _grouped(sa.select(User.region_id, User.id).where(
        User.role == Role.COUNTY_COORDINATOR, User.region_id.in_(set(county_ids))))


def unit_responders(item: RectificationItem) -> list[int]:
    """Accounts of the item's responsible unit."""
    return responders_of_units([item.unit_id]).get(item.unit_id, []) if item.unit_id is not None else []


def coordinators(item: RectificationItem) -> list[int]:
    """The county coordinators of the item's county."""
    return coordinators_of_counties([item.county_id]).get(item.county_id, [])


def assignee(item: RectificationItem) -> list[int]:
    """The account named as 责任人, while it is active."""
    if item.assignee_id is None:
        return []
    return _active_ids(sa.select(User.id).where(User.id == item.assignee_id))


def reviewers(item: RectificationItem) -> list[int]:
    """Leaders of the item's campaign's teams covering its county (another campaign's team cannot
    open the item: access.can_see_item), and the province admins."""
    leaders = sa.select(Team.leader_id).join(team_counties, team_counties.c.team_id == Team.id) \
        .where(team_counties.c.county_id == item.county_id, Team.campaign_id == item.campaign_id,
               Team.leader_id.is_not(None))
    return _active_ids(sa.select(User.id).where(
        sa.or_(User.id.in_(leaders), User.role == Role.PROVINCE_ADMIN)))


AUDIENCES = {lifecycle.UNIT: unit_responders, lifecycle.ASSIGNEE: assignee,
             lifecycle.COORDINATORS: coordinators, lifecycle.REVIEWERS: reviewers}


def item_label(item: RectificationItem) -> str:
    """How a notice names an item: its number and the start of its description."""
    return f"{item.number}（{item.description[:30]}）"


def after_action(item: RectificationItem, step: lifecycle.HistoryRecord, actor_id: int) -> list[Notification]:
    """The notice of the transition just applied (its table row says who and what), never to the actor."""
    notice = lifecycle.TRANSITIONS[step.action].notice
    if notice is None:
        return []
    recipients = [u for name in sorted(notice.audience) for u in AUDIENCES[name](item)]
    unit = db.session.get(ResponsibleUnit, item.unit_id) if item.unit_id else None
    message = notice.message(item_label(item), {
        **step.data, "unit": unit.name if unit else "", "person": f"（责任人：{item.responsible_person}）"
        if item.responsible_person else ""})
    return notify([u for u in recipients if u != actor_id], item, notice.kind, message)


def list_issued(plist: ProblemList) -> int:
    """下发: one notice per issued list to the county's coordinators, linking to the county's items.

    Called after the issue has committed, in its own transaction: a failure here is logged and never
    undoes or fails the issue. Returns how many notices were made.
    """
    try:
        count = db.session.execute(sa.select(sa.func.count(RectificationItem.id)).where(
            RectificationItem.problem_list_id == plist.id)).scalar_one()
        team = f"{plist.team.name}" if plist.team else "核查组"
        # The list's own title names it: 新野县反馈问题清单, or 新野县补充反馈问题清单 for a later one.
        message = f"{team}已下发{plist.title}（{plist.campaign.name}），共 {count} 个问题，请指派责任单位"
        notes = notify(coordinators_of_counties([plist.county_id]).get(plist.county_id, []), None, "issued",
                       message, dedupe_key=f"issued:{plist.id}:{plist.version}",
                       data={"campaign": plist.campaign_id, "county": plist.county_id, "list": plist.id})
        db.session.commit()
    except Exception:  # noqa: BLE001 - the list is issued whatever happens to its notice
        db.session.rollback()
        log.exception("notice of issued list %s failed", plist.id)
        return 0
    channels.dispatch()
    return len(notes)


# ---------------------------------------------------------------- handled (已处理)

def is_handled(note: Notification) -> bool:
    """Whether the item the notice is about has changed since (someone acted): handled for everyone.

    Notices without an item (a list, a digest) and notices made before versions were recorded never are.
    """
    return note.item_version is not None and note.item is not None and note.item.version != note.item_version


def handled_clause() -> sa.ColumnElement[bool]:
    """SQL twin of `is_handled`, for counting."""
    current = sa.select(RectificationItem.version).where(RectificationItem.id == Notification.item_id) \
        .scalar_subquery()
    return sa.and_(Notification.item_version.is_not(None), current != Notification.item_version)


# ---------------------------------------------------------------- reading

def unread_count(user) -> int:
    """How many of the user's notifications are unread and still to be handled (the bell's number)."""
    return db.session.execute(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), sa.not_(handled_clause()))).scalar_one()


def recent(user, page: int = 1, per_page: int = 20):
    """The user's notifications, unread first, newest first, paged; their items loaded for `is_handled`."""
    stmt = sa.select(Notification).where(Notification.user_id == user.id) \
        .options(joinedload(Notification.item)) \
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def is_own(user, notification_id: int) -> bool:
    """Whether the notification exists and is addressed to `user` (anyone else's answers 404)."""
    return db.session.execute(sa.select(Notification.id).where(
        Notification.id == notification_id, Notification.user_id == user.id)).first() is not None


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, all) of the user's notifications read; returns how many changed.

    Another user's notification id changes nothing (the caller answers 404).
    """
    stmt = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    count = db.session.execute(stmt.values(read_at=utcnow())).rowcount
    db.session.commit()
    return count


def set_email(user, address: str) -> None:
    """The user's own address for e-mail notices (empty: none). The caller has validated it."""
    user.email = address.strip() or None
    db.session.commit()


# ---------------------------------------------------------------- reminders and the overdue digest

def send_reminders(now: dt.datetime | None = None) -> int:
    """`flask send-reminders`: the deadline reminders, then the overdue digest; returns notices made."""
    now = now or utcnow()
    created = _deadline_reminders(now) + _overdue_digest(now)
    channels.dispatch()
    return created


def _deadline_reminders(now: dt.datetime) -> int:
    """Near-deadline (≤ 7 days) and overdue notices to the unit's responders, the named account and the
    county coordinators, once per item, deadline and kind.

    The key includes the deadline in force, so an approved extension re-arms the reminders. The
    database finds what is still to send, set-based: the (item, recipient) pairs of the open items
    within the horizon whose dedupe key is not yet taken (an anti-join on the unique key), read in
    keyset batches of BATCH_SIZE pairs. Each batch costs one SELECT and one INSERT; a run with
    nothing to send costs one SELECT, whatever the number of items (issue 12, seen 4).
    """
    today = date_rules.today(now)
    pending = _pending_reminders(today)
    created, after = 0, (0, 0)
    while True:
        rows = db.session.execute(
            sa.select(pending).where(sa.tuple_(pending.c.item_id, pending.c.user_id) > sa.tuple_(*after))
            .order_by(pending.c.item_id, pending.c.user_id).limit(BATCH_SIZE)).all()
        if not rows:
            break
        after = (rows[-1].item_id, rows[-1].user_id)
        by_item: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
        for row in rows:
            by_item[(row.item_id, row.version, row.number, row.deadline, row.kind)].append((row.user_id, row.key))
        planned = []
        for (item_id, version, number, deadline, kind), pairs in by_item.items():
            deadline = deadline if isinstance(deadline, dt.date) else dt.date.fromisoformat(str(deadline)[:10])
            if kind == "overdue":
                message = f"整改事项 {number} 已超过完成时限（{lifecycle.format_date(deadline)}），请尽快整改"
            else:
                message = (f"整改事项 {number} 距完成时限（{lifecycle.format_date(deadline)}）还剩 "
                           f"{(deadline - today).days} 天")
            planned.append(_Planned(_ItemRef(item_id, version), None, kind, message, pairs))
        created += _add_new(planned, checked=True)
        db.session.commit()
        if len(rows) < BATCH_SIZE:
            break
    return created


@dataclass(frozen=True)
class _ItemRef:
    """What a reminder needs of its item: the id and the version it was made at."""

    id: int
    version: int


def _pending_reminders(today: dt.date):
    """The reminders still to send, as a subquery of (item_id, user_id, key, kind, deadline, number,
    version): open, assigned items whose deadline in force is at most BLUE_ALERT_DAYS away, times
    their active recipients (the unit's responders, the county's coordinators, the named account),
    minus the pairs whose dedupe key a notice already carries."""
    Item = RectificationItem
    eff = date_rules.effective_deadline_sql(Item)
    horizon = today + dt.timedelta(days=date_rules.BLUE_ALERT_DAYS)
    kind = sa.case((eff < today, sa.literal("overdue")), else_=sa.literal("near_deadline"))
    candidate = sa.and_(date_rules.is_open_sql(Item.status), Item.unit_id.is_not(None), eff <= horizon)
    audiences = [
        sa.and_(User.role == Role.UNIT_RESPONDER, User.unit_id == Item.unit_id),
        sa.and_(User.role == Role.COUNTY_COORDINATOR, User.region_id == Item.county_id),
        User.id == Item.assignee_id,
    ]
    pairs = sa.union(*[
        sa.select(Item.id.label("item_id"), User.id.label("user_id"), Item.version.label("version"),
                  Item.number.label("number"), eff.label("deadline"), kind.label("kind"))
        .join(User, sa.and_(audience, User.active.is_(True))).where(candidate)
        for audience in audiences]).subquery()
    key = (sa.literal("deadline:") + sa.cast(pairs.c.item_id, sa.String) + ":" + sa.cast(pairs.c.deadline, sa.String)
           + ":" + pairs.c.kind + ":u" + sa.cast(pairs.c.user_id, sa.String))
    taken = sa.select(Notification.id).where(Notification.dedupe_key == key).exists()
    return sa.select(pairs, key.label("key")).where(~taken).subquery()


@dataclass
class _Planned:
    """A reminder to make: about an item (or, for a digest, `data` to link by), to (user, dedupe key) pairs."""

    item: RectificationItem | _ItemRef | None
    data: dict | None
    kind: str
    message: str
    pairs: list[tuple[int, str]]


def _add_new(planned: list[_Planned], checked: bool = False) -> int:
    """Write the planned notices whose key is not taken yet (one statement per BATCH_SIZE keys to find
    the taken ones, none when the caller's query has `checked` already) and queue one channel event
    per planned notice."""
    keys = [] if checked else [key for p in planned for _u, key in p.pairs]
    taken = set()
    for start in range(0, len(keys), BATCH_SIZE):   # bounded IN lists
        taken |= set(db.session.execute(sa.select(Notification.dedupe_key).where(
            Notification.dedupe_key.in_(keys[start:start + BATCH_SIZE]))).scalars())
    rows, now = [], utcnow()
    for p in planned:
        fresh = [(u, key) for u, key in p.pairs if key not in taken]
        if not fresh:
            continue
        common = {"item_id": p.item.id if p.item else None, "item_version": p.item.version if p.item else None,
                  "kind": p.kind, "message": p.message, "data": p.data}
        rows += [{**common, "user_id": u, "dedupe_key": key, "created_at": now} for u, key in fresh]
        channels.queue(channels.Outgoing(p.kind, KIND_LABELS[p.kind], p.message, tuple(u for u, _ in fresh),
                                         link_for(Notification(item_id=common["item_id"], data=p.data))))
    if rows:   # one executemany, not one INSERT per row (the ORM would need each new id back)
        db.session.execute(sa.insert(Notification), rows)
    return len(rows)


def _overdue_digest(now: dt.datetime) -> int:
    """The daily 超期汇总: one notice per city viewer (their city's counties) and province reader (every
    county) per Beijing day, counting the overdue items by county — so no item is in two notices to
    the same person on one day. Four statements whatever the number of items."""
    today = date_rules.today(now)
    per_county = dict(db.session.execute(sa.select(RectificationItem.county_id, sa.func.count(RectificationItem.id))
                                         .where(date_rules.is_overdue_sql(RectificationItem.status,
                                                                         date_rules.effective_deadline_sql(RectificationItem),
                                                                         today)).group_by(RectificationItem.county_id)).all())
    if not per_county:
        return 0
    counties = db.session.execute(sa.select(Region.id, Region.name, Region.parent_id).where(
        Region.id.in_(per_county)).order_by(Region.code)).all()
    cities = dict(db.session.execute(sa.select(Region.id, Region.name).where(
        Region.id.in_({c.parent_id for c in counties}))).all())
    readers = db.session.execute(sa.select(User.id, User.role, User.region_id).where(
        User.active.is_(True), sa.or_(User.role.in_(PROVINCE_READERS),
                                      sa.and_(User.role == Role.CITY_VIEWER, User.region_id.in_(cities))))).all()
    planned = []
    for reader in readers:
        mine = [c for c in counties if reader.role != Role.CITY_VIEWER or c.parent_id == reader.region_id]
        if not mine:
            continue
        total = sum(per_county[c.id] for c in mine)
        scope = cities[reader.region_id] if reader.role == Role.CITY_VIEWER else "全省"
        parts = "、".join(f"{c.name} {per_county[c.id]} 项" for c in mine[:10]) + ("等" if len(mine) > 10 else "")
        message = (f"截至{lifecycle.format_date(today)}，{scope}有 {total} 项整改事项已超期（{parts}），请督办")
        planned.append(_Planned(None, {"bucket": "overdue", "items": total, "day": today.isoformat()},
                                "overdue_digest", message,
                                [(reader.id, f"overdue-digest:{today.isoformat()}:u{reader.id}")]))
    created = _add_new(planned)
    db.session.commit()
    return created
