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
    """Audit events, newest first, filtered by user, action, object type and Beijing date range; paged
    by chain position (?before=/?after= a seq), never counted."""
    args = {k: request.args.get(k, "").strip() for k in ("user", "action", "object_type", "start", "end")}
    pagination = service.search_events(args, before=request.args.get("before", type=int),
                                       after=request.args.get("after", type=int))
    # Only the full page draws the object-type filter; the table fragment skips that whole-table scan.
    object_types = [] if wants_fragment() else service.object_types()
    return render("audit/index.html", "audit/_table.html", pagination=pagination, args=args,
                  object_types=object_types, labels=OBJECT_TYPE_LABELS, action_labels=ACTION_LABELS)
