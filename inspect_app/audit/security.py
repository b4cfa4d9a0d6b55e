"""Security events in the audit trail: denials, CSRF refusals, token use, exports and downloads.

Unlike `service.record` (which rides in the caller's transaction, so a state change and its record
commit together), a security event is committed on its own at once:

- a denial (403/404) is recorded by the error handler *after* rolling the request's session back, so
  the row is never lost with a transaction that rolls back, and never commits half of a view's work;
- a download is recorded by a view that only read, so committing the session commits just the row.

Auditing must never break the request it observes: a failure is logged and the response goes on.
Each event is one INSERT (plus the chain head's lock and update); nothing else is read — the user,
address, route and object come from the request.

Two kinds of event could flood the table, so they are thinned in memory, per process:
- identical denials (same user or, signed out, same address; same route and status; same minute)
  are written once; the repeats are counted, and the count is written with the next row for that
  key (`repeats` in `after`). An attacker hammering a route costs one row a minute, not one a request;
  if the storm stops, the count of the last minute is not written, but its first row is.
- photo views are written once per user, photo and Beijing day (photos are re-fetched on every
  page view and thumbnail scroll; the first view a day answers "who saw this photo").
With several worker processes each keeps its own memory, so at most one row per process per window.
"""
import logging
import threading
import time
from collections import OrderedDict
from types import SimpleNamespace

from flask import current_app, request
from flask_login import current_user

from inspect_app.audit.models import ACTION_LABELS
from inspect_app.audit.service import record
from inspect_app.extensions import db, utcnow
from inspect_app.rectification import date_rules

log = logging.getLogger(__name__)

_MAX_KEYS = 10_000


class _Thinner:
    """Counts events per key and window; says whether this one should be written (and with how many
    repeats since the last written one). Bounded: the oldest keys are forgotten first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seen: OrderedDict = OrderedDict()     # key -> [window, repeats not yet written]

    def admit(self, key, window) -> int | None:
        """None to skip this event, or the number of repeats to report with it."""
        with self._lock:
            entry = self._seen.get(key)
            if entry is not None and entry[0] == window:
                entry[1] += 1
                return None
            repeats = entry[1] if entry is not None else 0
            self._seen[key] = [window, 0]
            self._seen.move_to_end(key)
            while len(self._seen) > _MAX_KEYS:
                self._seen.popitem(last=False)
            return repeats

    def clear(self):
        with self._lock:
            self._seen.clear()


denials = _Thinner()
photo_views = _Thinner()


def _user():
    """Who is asking, as a plain (id, username) record: read before the session is rolled back, so
    writing the event needs no second read of the user row."""
    try:
        if current_user.is_authenticated:
            return SimpleNamespace(id=current_user.id, username=current_user.username)
    except Exception:  # the user loader itself may be what failed
        pass
    return None


def _commit_event(action: str, **fields) -> None:
    """Record one security event and commit it now; log and carry on when that fails."""
    try:
        record(action, **fields)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("security audit event %s not written", action)


def _target() -> tuple[str, str, str]:
    """(route, object id, label) of the current request: the route's endpoint and its URL values."""
    values = request.view_args or {}
    object_id = ",".join(str(v) for v in values.values())[:64]
    return request.endpoint or "", object_id, f"{request.method} {request.path}"[:255]


def denied(code: int) -> None:
    """Audit a 403, or a 404 raised by a matched route (an object that does not exist or lies
    outside the user's scope — deliberately indistinguishable on screen and here).

    A 404 for a URL that matches no route (or a missing static file) is not audited: it names no
    object, and scanners would fill the table with it. The request's own uncommitted work is rolled back first (it is being
    refused, and teardown would roll it back anyway), so the row commits alone.
    """
    if code == 404 and (request.url_rule is None or request.endpoint == "static"):
        return
    user = _user()
    db.session.rollback()
    route, object_id, label = _target()
    repeats = denials.admit((getattr(user, "id", None) or request.remote_addr, route, code), _window())
    if repeats is None:
        return
    action = "access.denied" if code == 403 else "access.not_found"
    _commit_event(action, object_type="Route", object_id=object_id, label=label, user=user,
                  after={"repeats": repeats} if repeats else None,
                  summary=f"{'无权限' if code == 403 else '对象不存在或不在查看范围内'}：{route}")


def _window() -> int:
    return int(time.time() // current_app.config.get("AUDIT_DENIAL_WINDOW_SECONDS", 60))


def admit_repeat_free(kind: str) -> bool:
    """Whether an anonymous event of `kind` from this address and route is the first this window."""
    return denials.admit((request.remote_addr, request.endpoint, kind), _window()) is not None


def csrf_refused(reason: str) -> None:
    """Audit a refused state change whose CSRF token was missing or wrong (thinned like denials)."""
    user = _user()
    db.session.rollback()
    route, object_id, label = _target()
    repeats = denials.admit((getattr(user, "id", None) or request.remote_addr, route, "csrf"), _window())
    if repeats is None:
        return
    after = {"reason": reason}
    if repeats:
        after["repeats"] = repeats
    _commit_event("csrf.refused", object_type="Route", object_id=object_id, label=label, user=user,
                  after=after, summary=f"CSRF 校验失败：{route}")


def download(action: str, *, obj=None, object_type: str = "", object_id=None, label: str = "",
             county_id: int | None = None, summary: str = "") -> None:
    """Audit an export or download (an `export.*`/`download.*` action) by the signed-in user.

    Call it in the view once the document is built, just before returning it; the view must not
    have uncommitted changes (downloads only read).
    """
    _commit_event(action, obj=obj, object_type=object_type, object_id=object_id, label=label,
                  county_id=county_id, summary=summary or ACTION_LABELS.get(action, action))


def photo_viewed(photo, county_id: int | None = None) -> None:
    """Audit a photo view at most once per user, photo and Beijing day (per process)."""
    user = _user()
    day = date_rules.today(utcnow()).isoformat()
    if photo_views.admit((getattr(user, "id", None), photo.id, day), day) is None:
        return
    download("download.photo", obj=photo, object_type="Photo", label=getattr(photo, "sha256", "")[:12],
             county_id=county_id)
