"""The lifecycle's deadline rules as SQL, for lists, the ledger, reminders and the dashboards.

lifecycle.py decides one item in Python (effective_deadline, is_overdue, aging_bucket); these are
its twins for WHERE clauses and aggregates, written once so every screen counts alike. `today` is
the Beijing date (lifecycle.beijing_today): a deadline date means the end of that day.
"""
import datetime as dt

import sqlalchemy as sa

from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem as Item

AGING_BUCKETS = ("overdue", "le10", "le20", "gt20")


def effective_deadline() -> sa.ColumnElement[dt.date]:
    """The deadline in force: the approved extension, else the original."""
    return sa.func.coalesce(Item.extended_deadline, Item.deadline)


def effective_deadline_between(first: dt.date, last: dt.date) -> sa.ColumnElement[bool]:
    """effective_deadline() BETWEEN first AND last, written so the deadline and extended_deadline
    indexes can answer it (a COALESCE hides both from the planner)."""
    return sa.or_(sa.and_(Item.extended_deadline.is_not(None), Item.extended_deadline.between(first, last)),
                  sa.and_(Item.extended_deadline.is_(None), Item.deadline.between(first, last)))


def is_open() -> sa.ColumnElement[bool]:
    return Item.status != Status.CLOSED


def overdue(today: dt.date) -> sa.ColumnElement[bool]:
    """Not closed, and the effective deadline day ended before `today`."""
    return sa.and_(is_open(), effective_deadline() < today)


def bucket(name: str, today: dt.date) -> sa.ColumnElement[bool]:
    """The ledger filter of that name: 已销号 (closed), 未销号 (open), or an aging bucket of open
    items — 已超期, 剩余 ≤ 10 天, 11–20 天, > 20 天 (lifecycle.aging_bucket's boundaries)."""
    eff = effective_deadline()
    conditions = {
        "closed": Item.status == Status.CLOSED,
        "open": is_open(),
        "overdue": overdue(today),
        "le10": sa.and_(is_open(), eff.between(today, today + dt.timedelta(days=10))),
        "le20": sa.and_(is_open(), eff.between(today + dt.timedelta(days=11), today + dt.timedelta(days=20))),
        "gt20": sa.and_(is_open(), eff > today + dt.timedelta(days=20)),
    }
    return conditions[name]
