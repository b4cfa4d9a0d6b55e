"""In-app notifications (站内通知) about rectification items: who is told what, and deadline reminders.

Notifications are written in the caller's transaction, so a refused or rolled-back action tells no
one. Deadline reminders carry a `dedupe_key`, so `flask send-reminders` can run from cron as often as
it likes without repeating itself.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from inspect_app.auth.models import User
from inspect_app.campaigns.models import Team, team_counties
from inspect_app.extensions import db, utcnow
from inspect_app.rectification import deadlines, lifecycle
from inspect_app.rectification.models import Notification, RectificationItem
from inspect_app.roles import Role

KIND_LABELS = {
    "assigned": "指派",
    "returned": "退回",
    "submitted": "待验收",
    "extension": "延期申请",
    "extension_decided": "延期审批",
    "reopened": "重新打开",
    "near_deadline": "临近时限",
    "overdue": "已超期",
    "account_locked": "登录锁定",
}


def notify(user_ids, item: RectificationItem | None, kind: str, message: str,
           dedupe_key: str | None = None) -> list[Notification]:
    """Add one notification per distinct user (the caller commits).

    With a `dedupe_key`, each user's copy gets the key suffixed with the user id, and users who were
    already told under that key are skipped: the reminder job may run any number of times.
    """
    created = []
    for user_id in sorted({u for u in user_ids if u}):
        key = f"{dedupe_key}:u{user_id}" if dedupe_key else None
        if key and db.session.execute(sa.select(Notification.id).where(Notification.dedupe_key == key)).first():
            continue
        note = Notification(user_id=user_id, item_id=item.id if item is not None else None, kind=kind,
                            message=message, dedupe_key=key)
        db.session.add(note)
        created.append(note)
    return created


# ---------------------------------------------------------------- recipients

def _active_ids(stmt) -> list[int]:
    return list(db.session.execute(stmt.where(User.active.is_(True))).scalars())


def unit_responders(item: RectificationItem) -> list[int]:
    """Accounts of the item's responsible unit."""
    if item.unit_id is None:
        return []
    return _active_ids(sa.select(User.id).where(User.role == Role.UNIT_RESPONDER, User.unit_id == item.unit_id))


def coordinators(item: RectificationItem) -> list[int]:
    """The county coordinators of the item's county."""
    return _active_ids(sa.select(User.id).where(User.role == Role.COUNTY_COORDINATOR,
                                                User.region_id == item.county_id))


def reviewers(item: RectificationItem) -> list[int]:
    """Team leaders of the teams covering the item's county, and the province admins."""
    leaders = sa.select(Team.leader_id).join(team_counties, team_counties.c.team_id == Team.id) \
        .where(team_counties.c.county_id == item.county_id, Team.leader_id.is_not(None))
    return _active_ids(sa.select(User.id).where(
        sa.or_(User.id.in_(leaders), User.role == Role.PROVINCE_ADMIN)))


def after_action(item: RectificationItem, action: lifecycle.Action, actor_id: int) -> None:
    """Tell the people who must act next about a transition that just happened (not the actor)."""
    A = lifecycle.Action
    label = f"{item.number}（{item.description[:30]}）"
    county = "county"   # the unit's responders and the county coordinator
    plan = {
        A.ASSIGN: (county, "assigned", f"整改事项 {label} 已指派给贵单位，请制定整改措施"),
        A.RETURN: (county, "returned", f"整改事项 {label} 被退回，请补充整改"),
        A.SUBMIT: ("reviewers", "submitted", f"整改事项 {label} 已申请销号，等待您验收"),
        A.REQUEST_EXTENSION: ("reviewers", "extension", f"整改事项 {label} 申请延期，等待您审批"),
        A.APPROVE_EXTENSION: (county, "extension_decided", f"整改事项 {label} 的延期申请已同意"),
        A.REFUSE_EXTENSION: (county, "extension_decided", f"整改事项 {label} 的延期申请未获同意"),
        A.REOPEN: (county, "reopened", f"整改事项 {label} 已重新打开，请继续整改"),
    }
    if action not in plan:
        return   # most actions notify nobody: ask for no recipients then
    who, kind, message = plan[action]
    recipients = reviewers(item) if who == "reviewers" else unit_responders(item) + coordinators(item)
    notify([u for u in recipients if u != actor_id], item, kind, message)


# ---------------------------------------------------------------- reading

def unread_count(user) -> int:
    """How many of the user's notifications are unread (the bell's number)."""
    return db.session.execute(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()


def recent(user, page: int = 1, per_page: int = 20):
    """The user's notifications, newest first, paged."""
    stmt = sa.select(Notification).where(Notification.user_id == user.id) \
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


# ---------------------------------------------------------------- reminders

def send_reminders(now: dt.datetime | None = None) -> int:
    """Create the near-deadline (≤ 7 days) and overdue notifications, once per item, deadline and kind.

    The key includes the deadline in force, so an approved extension re-arms the reminders.
    """
    now = now or utcnow()
    today = lifecycle.beijing_today(now)
    horizon = today + dt.timedelta(days=lifecycle.BLUE_ALERT_DAYS)
    items = db.session.execute(sa.select(RectificationItem).where(
        deadlines.is_open(), RectificationItem.unit_id.is_not(None),
        deadlines.effective_deadline() <= horizon).order_by(RectificationItem.id)).scalars()
    created = 0
    for item in items:
        deadline = lifecycle.effective_deadline(item)
        left = lifecycle.days_remaining(item, now)
        if left < 0:
            kind, message = "overdue", f"整改事项 {item.number} 已超过完成时限（{lifecycle.format_date(deadline)}），请尽快整改"
        else:
            kind, message = "near_deadline", f"整改事项 {item.number} 距完成时限（{lifecycle.format_date(deadline)}）还剩 {left} 天"
        created += len(notify(unit_responders(item) + coordinators(item), item, kind, message,
                              dedupe_key=f"deadline:{item.id}:{deadline.isoformat()}:{kind}"))
    db.session.commit()
    return created
