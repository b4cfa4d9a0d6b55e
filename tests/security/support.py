"""Helpers shared by the security tests: reading the audit trail and issuing a token."""
import sqlalchemy as sa

from inspect_app.api import service as tokens
from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db


def events(action: str | None = None) -> list[AuditEvent]:
    """Audit rows in chain order, optionally only those of one action (read fresh from the database)."""
    db.session.expire_all()
    stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.execute(stmt).scalars())


def issue_token(world, username="viewer", days=365):
    """(token row, secret) for a world user, issued by the province admin."""
    return tokens.issue(world.users[username].id, "省级平台对接", world.users["province"], days)


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
