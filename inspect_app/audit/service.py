"""Recording audit events inside the caller's transaction, so a change and its record commit together,
and searching them for the administrators' view."""
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from inspect_app.audit.models import ACTION_LABELS, OBJECT_TYPE_LABELS, AuditEvent
from inspect_app.extensions import db
from inspect_app.rectification import date_rules


def _snapshot(value):
    """JSON-friendly copy of a before/after summary (dates and enums become strings)."""
    if value is None:
        return None
    out = {}
    for key, val in value.items():
        if hasattr(val, "label"):
            val = val.label
        elif hasattr(val, "isoformat"):
            val = val.isoformat()
        elif val is not None and not isinstance(val, (str, int, float, bool, list, dict)):
            val = str(val)
        out[key] = val
    return out


def record(action: str, *, obj=None, object_type: str = "", object_id=None, label: str = "",
           county_id: int | None = None, before: dict | None = None, after: dict | None = None,
           summary: str = "", user=None, username: str | None = None) -> AuditEvent:
    """Append one audit event to the current session (the caller commits).

    Every state change calls this in the same transaction as the change itself: a rolled-back
    change leaves no audit row, and a committed one always has one.
    """
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    if obj is not None:
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        county_id = county_id if county_id is not None else getattr(obj, "county_id", None)
    event = AuditEvent(
        user_id=getattr(user, "id", None),
        username=username if username is not None else getattr(user, "username", ""),
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        object_label=label[:255],
        county_id=county_id,
        before=_snapshot(before),
        after=_snapshot(after),
        summary=summary,
        ip=(request.remote_addr or "") if has_request_context() else "cli",
    )
    db.session.add(event)
    return event


def changes(obj, fields: list[str], new_values: dict) -> tuple[dict, dict]:
    """Before/after dicts holding only the fields whose value actually changes."""
    before, after = {}, {}
    for field in fields:
        if field in new_values and getattr(obj, field) != new_values[field]:
            before[field] = getattr(obj, field)
            after[field] = new_values[field]
    return before, after


def _day(text: str):
    """The instant the Beijing day written `YYYY-MM-DD` begins, or None for anything else."""
    try:
        return date_rules.start_of_day_utc(datetime.strptime(text, "%Y-%m-%d").date())
    except (TypeError, ValueError):
        return None


def _filtered(filters: dict):
    """Events filtered by username, action (a code prefix such as `login`, or a word of its Chinese
    name such as 下发), object type and a Beijing date range (`start`/`end` as YYYY-MM-DD, both days
    included); unordered (callers page it by chain position)."""
    stmt = sa.select(AuditEvent)
    if filters.get("user"):
        stmt = stmt.where(AuditEvent.username.contains(filters["user"].lower(), autoescape=True))
    if action := filters.get("action"):
        if action.isascii():
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action.in_([code for code, label in ACTION_LABELS.items() if action in label]))
    if filters.get("object_type"):
        stmt = stmt.where(AuditEvent.object_type == filters["object_type"])
    if start := _day(filters.get("start")):
        stmt = stmt.where(AuditEvent.at >= start)
    if end := _day(filters.get("end")):
        stmt = stmt.where(AuditEvent.at < end + timedelta(days=1))
    return stmt


@dataclass
class EventPage:
    """A page of the trail, newest first, between two chain positions (seq): `older` is the seq to
    continue below (更早), `newer` the one to continue above (更新); None where there is nothing."""

    items: list
    older: int | None
    newer: int | None


def search_events(filters: dict, before: int | None = None, after: int | None = None,
                  per_page: int = 30) -> EventPage:
    """One page of events, newest first (chain order, seq), filtered as `_filtered` says.

    Keyset paging on the unique seq index: `before` a seq (older events) or `after` one (newer),
    else the newest page. No count: a page reads at most per_page + 1 rows, however long the trail."""
    stmt = _filtered(filters)
    if after is not None and before is None:
        rows = list(db.session.execute(stmt.where(AuditEvent.seq > after).order_by(AuditEvent.seq)
                                       .limit(per_page + 1)).scalars())
        items = list(reversed(rows[:per_page]))
        more_newer = len(rows) > per_page
        return EventPage(items, older=items[-1].seq if items else None,
                         newer=items[0].seq if items and more_newer else None)
    if before is not None:
        stmt = stmt.where(AuditEvent.seq < before)
    rows = list(db.session.execute(stmt.order_by(AuditEvent.seq.desc()).limit(per_page + 1)).scalars())
    items = rows[:per_page]
    return EventPage(items, older=items[-1].seq if len(rows) > per_page else None,
                     newer=items[0].seq if items and before is not None else None)


# An export holds at most this many rows (newest first); the file says so when the filter matched more.
EXPORT_LIMIT = 20_000


def export_events(filters: dict) -> tuple[list[AuditEvent], bool]:
    """The events the page's filters match, newest first (chain order), for the XLSX export, and
    whether the list was cut at EXPORT_LIMIT."""
    rows = list(db.session.execute(_filtered(filters).order_by(AuditEvent.seq.desc())
                                   .limit(EXPORT_LIMIT + 1)).scalars())
    return rows[:EXPORT_LIMIT], len(rows) > EXPORT_LIMIT


def object_types() -> list[str]:
    """The object types the app records (audit.models.OBJECT_TYPE_LABELS), for the filter's choices:
    read from the code, not by a DISTINCT over the whole trail (a full scan at 10⁶ rows)."""
    return sorted(OBJECT_TYPE_LABELS)
