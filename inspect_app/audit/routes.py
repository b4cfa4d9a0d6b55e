"""The auditor's filterable view of the audit trail, and its export."""
from flask import Response, request

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.audit import bp, display, export, security, service
from inspect_app.audit.models import ACTION_LABELS, OBJECT_TYPE_LABELS
from inspect_app.documents.dates import to_china
from inspect_app.documents.workbook import content_disposition
from inspect_app.extensions import utcnow
from inspect_app.rendering import render, wants_fragment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTER_KEYS = ("user", "action", "object_type", "start", "end")


def _filters() -> dict:
    return {k: request.args.get(k, "").strip()[:64] for k in FILTER_KEYS}


@bp.get("")
@access.rule(Permission.AUDIT_VIEW)
def index():
    """Audit events, newest first, filtered by user, action, object type and Beijing date range; paged
    by chain position (?before=/?after= a seq), never counted; shown with Chinese names, changed fields
    only and names for ids (audit/display.py)."""
    args = _filters()
    pagination = service.search_events(args, before=request.args.get("before", type=int),
                                       after=request.args.get("after", type=int))
    # Only the full page draws the object-type filter; the table fragment skips that whole-table scan.
    object_types = [] if wants_fragment() else service.object_types()
    return render("audit/index.html", "audit/_table.html", pagination=pagination, args=args,
                  events=display.describe(pagination.items), object_types=object_types,
                  labels=OBJECT_TYPE_LABELS, action_labels=ACTION_LABELS)


@bp.get("/export.xlsx")
@access.rule(Permission.AUDIT_VIEW)
def export_xlsx():
    """The events the page's filters match as XLSX (auditor only); the export itself is audited."""
    args = _filters()
    events, cut = service.export_events(args)
    data = export.audit_workbook(display.describe(events))
    filename = f"审计日志_{to_china(utcnow()).date().isoformat()}.xlsx"
    summary = f"导出审计日志 {len(events)} 条{'（已截断）' if cut else ''}，筛选：{export.filters_text(args, OBJECT_TYPE_LABELS)}"
    security.download("export.audit", object_type="AuditLog", label=filename, summary=summary[:1000])
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": content_disposition(filename)})
