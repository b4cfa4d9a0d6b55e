"""The administrators' filterable view of the audit trail."""
from flask import request

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.audit import bp, service
from inspect_app.audit.models import ACTION_LABELS, OBJECT_TYPE_LABELS
from inspect_app.rendering import render, wants_fragment


@bp.get("")
@access.rule(Permission.AUDIT_VIEW)
def index():
    """Audit events, newest first, filtered by user, action, object type and Beijing date range."""
    args = {k: request.args.get(k, "").strip() for k in ("user", "action", "object_type", "start", "end")}
    pagination = service.search_events(args, page=max(request.args.get("page", 1, type=int), 1))
    # Only the full page draws the object-type filter; the table fragment skips that whole-table scan.
    object_types = [] if wants_fragment() else service.object_types()
    return render("audit/index.html", "audit/_table.html", pagination=pagination, args=args,
                  object_types=object_types, labels=OBJECT_TYPE_LABELS, action_labels=ACTION_LABELS)
