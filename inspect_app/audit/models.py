"""The append-only audit trail: who, when, what, from what to what, from where."""
from datetime import datetime
from itertools import count

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.extensions import UTCDateTime, db, utcnow


# How object types read on screen; unknown types show as stored.
OBJECT_TYPE_LABELS = {
    "User": "账户", "Site": "核查点位", "ResponsibleUnit": "责任单位", "MedicalCommunity": "医共体",
    "SiteKind": "点位类型", "Region": "行政区划", "Workbook": "Excel 导入", "ChecklistVersion": "核查表版本",
    "ChecklistItem": "核查条目", "Campaign": "核查任务", "Team": "核查组", "SiteVisit": "实地核查",
    "Answer": "核查结果", "Finding": "问题", "Attachment": "附件", "ProblemList": "问题清单",
    "RectificationItem": "整改事项", "ApiToken": "API 令牌", "Photo": "照片", "Report": "统计报表",
    "Route": "页面", "Ledger": "整改台账",
}

# Security events (audit/security.py and the sign-in lock) as the audit screen names them; other
# actions show their code.
ACTION_LABELS = {
    "access.denied": "拒绝访问（无权限）",
    "access.not_found": "拒绝访问（不存在或不在范围内）",
    "csrf.refused": "请求来源校验失败",
    "login.locked": "登录失败锁定",
    "login.blocked": "锁定期间尝试登录",
    "api_token.use": "API 令牌调用",
    "api_token.refused": "API 令牌被拒绝",
    "api_token.issue": "签发 API 令牌",
    "api_token.revoke": "吊销 API 令牌",
    "export.ledger": "导出整改台账",
    "job.create": "提交后台任务",
    "job.retry": "重试后台任务",
    "export.report": "下载统计报表",
    "export.feedback": "导出反馈问题清单",
    "export.checklist": "导出核查表",
    "download.evidence": "下载佐证材料",
    "download.photo": "查看照片",
}

_ORDER = count()


class AuditEvent(db.Model):
    """One state change or security event. Rows are only ever inserted."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_at", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    username: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(64), default="")
    object_id: Mapped[str] = mapped_column(sa.String(64), default="")
    object_label: Mapped[str] = mapped_column(sa.String(255), default="")
    county_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    ip: Mapped[str] = mapped_column(sa.String(64), default="")
    # The tamper-evident chain (see audit/chain.py): filled in at flush, never changed afterwards.
    seq: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Rows added in one flush are chained in the order they were created.
        self._order = next(_ORDER)

    @property
    def action_label(self) -> str:
        """The Chinese name of a security event's action, or the action code itself."""
        return ACTION_LABELS.get(self.action, "")

    @property
    def object_type_label(self) -> str:
        return OBJECT_TYPE_LABELS.get(self.object_type, self.object_type)
