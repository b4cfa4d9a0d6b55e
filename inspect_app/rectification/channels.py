"""Second channels for notices: e-mail (SMTP) and a WeCom/DingTalk group robot (webhook).

Both are optional and off unless configured (config.Config: NOTIFY_SMTP_*, NOTIFY_MAIL_FROM,
NOTIFY_WEBHOOK_URL). The in-app notice is the record; a channel only passes it on, so:

- notices are queued while the action's transaction is open (`queue`) and become sendable only when
  that transaction commits — a refused or rolled-back action sends nothing;
- `dispatch()` is called after the commit and sends what is ready. A channel that fails (refused
  connection, timeout after NOTIFY_CHANNEL_TIMEOUT seconds, an HTTP error or an errcode from the
  robot) is logged and recorded as a failed `NoticeDelivery`; it never raises into the action. After
  one failure the channel is not tried again in the same dispatch, so a bulk action waits at most one
  timeout per channel.

Messages: one e-mail per recipient and dispatch (all their new notices in one body), and one robot
post per dispatch (all new notices, one per line), so a bulk action of 20 items is one post.
The robot body ``{"msgtype": "text", "text": {"content": …}}`` is the text message of both the WeCom
(企业微信) and the DingTalk (钉钉) group robot.
"""
from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from inspect_app.extensions import db

log = logging.getLogger(__name__)

APP_NAME = "医共体核查整改"
ROBOT_LINES = 20   # a robot post lists at most this many notices, then "等 N 条"


@dataclass(frozen=True)
class Outgoing:
    """One event to pass on: what in-app notices were made, for whom, and where they point (a path)."""

    kind: str
    label: str          # the kind's Chinese name (subject line)
    message: str
    user_ids: tuple[int, ...]
    link: str = ""      # an app path such as /items/12; made absolute with NOTIFY_BASE_URL


def queue(event: Outgoing) -> None:
    """Hold the event until the current transaction commits (see the session hooks below)."""
    db.session.info.setdefault("notices_pending", []).append(event)


@sa.event.listens_for(Session, "after_commit")
def _committed(session) -> None:
    pending = session.info.pop("notices_pending", None)
    if pending:
        session.info.setdefault("notices_ready", []).extend(pending)


@sa.event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, previous_transaction) -> None:
    if previous_transaction.parent is None:   # the whole transaction, not a savepoint
        session.info.pop("notices_pending", None)


def enabled() -> dict[str, bool]:
    """Which channels are configured."""
    config = current_app.config
    return {"email": bool(config.get("NOTIFY_SMTP_HOST")), "webhook": bool(config.get("NOTIFY_WEBHOOK_URL"))}


def dispatch() -> int:
    """Send what committed transactions queued; returns how many deliveries failed. Never raises."""
    ready = db.session.info.pop("notices_ready", None)
    if not ready:
        return 0
    on = enabled()
    if not any(on.values()):
        return 0
    try:
        attempts = []
        if on["email"]:
            attempts += _send_emails(ready)
        if on["webhook"]:
            attempts += _post_robot(ready)
        _record(attempts)
        return sum(1 for a in attempts if not a["ok"])
    except Exception:  # noqa: BLE001 - a channel must never fail the action that is already saved
        log.exception("notice channels failed")
        db.session.rollback()
        return 0


def _link(path: str) -> str:
    base = (current_app.config.get("NOTIFY_BASE_URL") or "").rstrip("/")
    return f"{base}{path}" if base and path else ""


def _record(attempts: list[dict]) -> None:
    from inspect_app.rectification.models import NoticeDelivery
    for attempt in attempts:
        if not attempt["ok"]:
            log.warning("notice %s to %s failed: %s", attempt["channel"], attempt["target"], attempt["error"])
        db.session.add(NoticeDelivery(**attempt))
    db.session.commit()


# ---------------------------------------------------------------- e-mail

def email_message(to: str, events: list[Outgoing]) -> EmailMessage:
    """The e-mail for one recipient: subject by kind (or a count), one paragraph per notice."""
    config = current_app.config
    mail = EmailMessage()
    mail["From"] = formataddr((APP_NAME, config["NOTIFY_MAIL_FROM"]))
    mail["To"] = to
    mail["Subject"] = f"【{APP_NAME}】{events[0].label}" if len(events) == 1 else f"【{APP_NAME}】{len(events)} 条新通知"
    paragraphs = []
    for event in events:
        link = _link(event.link)
        paragraphs.append(event.message + (f"\n{link}" if link else ""))
    mail.set_content("\n\n".join(paragraphs) + f"\n\n——\n{APP_NAME}平台自动发送，请勿直接回复。\n")
    return mail


def _smtp():
    config = current_app.config
    host, port, timeout = config["NOTIFY_SMTP_HOST"], int(config["NOTIFY_SMTP_PORT"]), float(config["NOTIFY_CHANNEL_TIMEOUT"])
    tls = config.get("NOTIFY_SMTP_TLS", "starttls")
    server = smtplib.SMTP_SSL(host, port, timeout=timeout) if tls == "ssl" else smtplib.SMTP(host, port, timeout=timeout)
    try:
        if tls == "starttls":
            server.starttls()
        if config.get("NOTIFY_SMTP_USER"):
            server.login(config["NOTIFY_SMTP_USER"], config.get("NOTIFY_SMTP_PASSWORD") or "")
    except BaseException:
        server.close()
        raise
    return server


def _send_emails(events: list[Outgoing]) -> list[dict]:
    from inspect_app.auth.models import User
    user_ids = {u for e in events for u in e.user_ids}
    addresses = dict(db.session.execute(sa.select(User.id, User.email).where(
        User.id.in_(user_ids), User.active.is_(True), User.email.is_not(None), User.email != "")).all())
    if not addresses:
        return []
    by_address: dict[str, list[Outgoing]] = {}
    for user_id, address in sorted(addresses.items()):
        by_address[address] = [e for e in events if user_id in e.user_ids]
    attempts, server, error = [], None, ""
    try:
        server = _smtp()
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
    for address, mine in by_address.items():
        mail = email_message(address, mine)
        if server is not None and not error:
            try:
                server.send_message(mail)
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"  # the rest of this dispatch is not tried
            else:
                attempts.append(_attempt("email", address, mine, ok=True))
                continue
        attempts.append(_attempt("email", address, mine, ok=False, error=error))
    if server is not None:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return attempts


# ---------------------------------------------------------------- group robot

def robot_text(events: list[Outgoing]) -> str:
    """The robot's text: the app's name (DingTalk robots often require it as a keyword), one line each."""
    lines = []
    for event in events[:ROBOT_LINES]:
        link = _link(event.link)
        lines.append(event.message + (f" {link}" if link else ""))
    if len(events) > ROBOT_LINES:
        lines.append(f"……等 {len(events)} 条通知")
    return f"【{APP_NAME}】\n" + "\n".join(lines)


def _post_robot(events: list[Outgoing]) -> list[dict]:
    config = current_app.config
    url = config["NOTIFY_WEBHOOK_URL"]
    body = json.dumps({"msgtype": "text", "text": {"content": robot_text(events)}}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    target = urllib.parse.urlsplit(url).netloc
    try:
        with urllib.request.urlopen(request, timeout=float(config["NOTIFY_CHANNEL_TIMEOUT"])) as response:
            answer = response.read(4096)
        # Both robots answer 200 with {"errcode": 0, …}; any other errcode is a refusal (bad key, rate limit).
        errcode = json.loads(answer or b"{}").get("errcode", 0) if answer.strip().startswith(b"{") else 0
        if errcode:
            return [_attempt("webhook", target, events, ok=False, error=f"errcode {errcode}: {answer[:200]!r}")]
        return [_attempt("webhook", target, events, ok=True)]
    except (OSError, ValueError) as exc:   # URLError/HTTPError/timeouts are OSErrors
        return [_attempt("webhook", target, events, ok=False, error=f"{type(exc).__name__}: {exc}")]


def _attempt(channel: str, target: str, events: list[Outgoing], ok: bool, error: str = "") -> dict:
    return {"channel": channel, "target": target[:255], "kind": events[0].kind if len(events) == 1 else "batch",
            "message": "\n".join(e.message for e in events), "ok": ok, "error": error[:1000]}
