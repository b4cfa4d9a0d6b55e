"""The session as the page sees it: the idle clock, the way back after signing in again, and which
requests are not the user's activity.

Issue 9 ("field work is never lost"): a tablet left with typed text must not lose it when the idle
timeout passes. The page keeps a local draft (static/js/drafts.js); the server's part is here:
- the idle clock (`IDLE_TIMEOUT_MINUTES`, the `seen` session key) answered in seconds so the page can
  warn before it runs out, without the poll itself counting as activity;
- a same-site `next` path so that signing in again returns to the page the user was on.
No Flask request globals are read here except in `return_path`, which is handed the request.
"""
from urllib.parse import urlsplit

# Requests a page makes on its own (the notification bell's poll, the session status check): they
# do not keep the session alive, or a tablet left open would never time out.
PASSIVE_ENDPOINTS = frozenset({"rectification.bell", "auth.session_status"})

# Pages that make no sense to come back to after signing in (a loop, or a state change by GET).
_NO_RETURN = ("/login", "/logout", "/session")

IDLE_HEADER = "X-Idle-Remaining"
CSRF_EXPIRED_HEADER = "X-CSRF-Expired"


def safe_next_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None.

    Refused (an open redirect otherwise): anything not starting with one "/", "//host", a scheme or
    host, backslashes (browsers read "/\\host" as "//host"), control characters and spaces (browsers
    drop tabs and newlines, so "/\\t/host" becomes "//host"), and overlong values.
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if parts.path.rstrip("/") in _NO_RETURN or parts.path.startswith("/session/"):
        return None
    return target


def _same_site_path(url: str | None, host: str) -> str | None:
    """The path and query of an absolute URL on `host` (HX-Current-URL, Referer), else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc != host:
        return None
    path = parts.path or "/"
    return safe_next_path(path + (f"?{parts.query}" if parts.query else ""))


def return_path(request) -> str | None:
    """The page to come back to after signing in again, for a request refused for want of a session.

    A full-page or boosted GET returns to what it asked for; an htmx fragment or a save returns to
    the page it was made from (HX-Current-URL), a plain form post or the page's own JSON fetch to
    its Referer. Only same-site paths survive (`safe_next_path`).
    """
    htmx = request.headers.get("HX-Request") == "true"
    boosted = request.headers.get("HX-Boosted") == "true"
    fetch = request.accept_mimetypes.best == "application/json"
    if request.method == "GET" and not fetch and (not htmx or boosted):
        query = request.query_string.decode("latin-1")
        return safe_next_path(request.path + (f"?{query}" if query else ""))
    source = request.headers.get("HX-Current-URL") if htmx else request.headers.get("Referer")
    return _same_site_path(source, request.host)


def idle_remaining(seen: float | None, now: float, timeout_minutes: float) -> int:
    """Whole seconds left before the idle timeout (0 when passed), from the `seen` timestamp
    (POSIX seconds, UTC) of the session's last activity. No `seen` counts as just seen."""
    timeout = timeout_minutes * 60
    if seen is None:
        return int(timeout)
    return max(0, int(timeout - (now - seen)))


def session_state(*, user_id: int, csrf_token: str, seen: float | None, now: float, config) -> dict:
    """What GET /session and POST /session/keepalive answer (JSON): who is signed in, this
    session's CSRF token (for a page whose token went stale after signing in again elsewhere) and
    the idle clock in seconds."""
    return {
        "signed_in": True,
        "user": user_id,
        "csrf_token": csrf_token,
        "idle_timeout": int(config["IDLE_TIMEOUT_MINUTES"] * 60),
        "idle_remaining": idle_remaining(seen, now, config["IDLE_TIMEOUT_MINUTES"]),
        "idle_warning": int(config["IDLE_WARNING_SECONDS"]),
    }
