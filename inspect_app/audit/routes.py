"""The administrators' filterable view of the audit trail."""
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import request

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.audit import bp
from inspect_app.audit.models import OBJECT_TYPE_LABELS, AuditEvent
from inspect_app.documents.dates import CHINA_TZ
from inspect_app.extensions import db
from inspect_app.rendering import render


def _day(text: str):
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=CHINA_TZ)
    except (TypeError, ValueError):
        return None


@bp.get("")
@access.rule(Permission.AUDIT_VIEW)
def index():
    """Audit events, newest first, filtered by user, action, object type and Beijing date range."""
    args = {k: request.args.get(k, "").strip() for k in ("user", "action", "object_type", "start", "end")}
    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if args["user"]:
        stmt = stmt.where(AuditEvent.username.contains(args["user"].lower()))
    if args["action"]:
        stmt = stmt.where(AuditEvent.action.startswith(args["action"]))
    if args["object_type"]:
        stmt = stmt.where(AuditEvent.object_type == args["object_type"])
    if start := _day(args["start"]):
        stmt = stmt.where(AuditEvent.at >= start)
    if end := _day(args["end"]):
        stmt = stmt.where(AuditEvent.at < end + timedelta(days=1))
    pagination = db.paginate(stmt, page=max(request.args.get("page", 1, type=int), 1), per_page=30,
                             error_out=False)
    object_types = db.session.execute(sa.select(AuditEvent.object_type).distinct()
                                      .order_by(AuditEvent.object_type)).scalars().all()
    return render("audit/index.html", "audit/_table.html", pagination=pagination, args=args,
                  object_types=[t for t in object_types if t], labels=OBJECT_TYPE_LABELS)
