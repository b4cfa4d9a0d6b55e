"""The audit trail as an XLSX file for the auditor: the rows the screen's filters match, readable
as on screen (Chinese action and field names, names instead of ids), through the shared sheet writer."""
from inspect_app.audit.display import EventView
from inspect_app.documents.dates import to_china
from inspect_app.documents.workbook import build_simple_table

COLUMNS = ("时间（北京）", "用户", "操作", "操作代码", "对象类型", "对象", "核查任务与清单", "说明", "变更", "IP")
FILTER_LABELS = {"user": "用户", "action": "操作", "object_type": "对象", "start": "起始日期", "end": "截止日期"}


def filters_text(filters: dict, object_labels: dict) -> str:
    """The filters in force, as one line (`用户：xinye；起始日期：2022-07-10`), or 全部."""
    parts = []
    for key, label in FILTER_LABELS.items():
        if value := filters.get(key):
            parts.append(f"{label}：{object_labels.get(value, value) if key == 'object_type' else value}")
    return "；".join(parts) or "全部"


def audit_workbook(views: list[EventView]) -> bytes:
    """XLSX bytes, one row per event, newest first (times as Beijing `YYYY-MM-DD HH:MM:SS` text)."""
    rows = [(to_china(v.event.at).strftime("%Y-%m-%d %H:%M:%S"), v.user, v.action, v.event.action, v.object_type,
             v.object, v.context, v.summary + (f"（同一分钟内另有 {v.repeats} 次）" if v.repeats else ""),
             v.changes_text, v.event.ip) for v in views]
    return build_simple_table("审计日志", COLUMNS, rows)   # every cell wraps, row heights stored
