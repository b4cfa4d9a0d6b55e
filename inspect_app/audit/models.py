"""The append-only audit trail: who, when, what, from what to what, from where."""
from datetime import datetime
from itertools import count

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.extensions import UTCDateTime, db, utcnow
from inspect_app.rectification.lifecycle import ACTION_LABELS as LIFECYCLE_ACTION_LABELS


# How object types read on screen; unknown types show as stored.
OBJECT_TYPE_LABELS = {
    "User": "账户", "Site": "核查点位", "ResponsibleUnit": "责任单位", "MedicalCommunity": "医共体",
    "SiteKind": "点位类型", "Region": "行政区划", "Workbook": "Excel 导入", "ChecklistVersion": "核查表版本",
    "ChecklistItem": "核查条目", "Campaign": "核查任务", "Team": "核查组", "SiteVisit": "实地核查",
    "Answer": "核查结果", "Finding": "问题", "Attachment": "附件", "ProblemList": "问题清单",
    "RectificationItem": "整改事项", "ApiToken": "API 令牌", "Photo": "照片", "Report": "统计报表",
    "Route": "页面", "Ledger": "整改台账", "AuditLog": "审计日志", "LoginThrottle": "登录锁定",
    "RecheckRound": "抽查复核轮次", "RecheckSample": "抽查复核事项",
    "SelfInspection": "县级自查", "SelfAnswer": "自查结果",
}

# Every action code the app records (grep `record(` and `security.download(`), as the audit screen and
# its export name it — the one mapping (issue 14, seen 8). An unknown code shows as stored.
ACTION_LABELS = {
    "login.success": "登录成功",
    "login.failure": "登录失败",
    "login.unlocked": "解除登录锁定",
    "user.create": "新建账户",
    "user.update": "修改账户",
    "user.password_reset": "重置密码",
    "user.password_changed": "修改密码",
    "org.import": "导入组织架构",
    "sites.create": "新增核查点位",
    "sites.update": "修改核查点位",
    "site.position": "按首次核查照片定位点位",
    "units.create": "新增责任单位",
    "units.update": "修改责任单位",
    "communities.create": "新增医共体",
    "communities.update": "修改医共体",
    "site_kind.create": "新增点位类型",
    "checklist_version.create": "导入核查表",
    "checklist_version.copy": "复制核查表版本",
    "checklist_version.publish": "发布核查表",
    "checklist_item.create": "新增核查条目",
    "checklist_item.update": "修改核查条目",
    "checklist_item.delete": "删除核查条目",
    "campaign.create": "新建核查任务",
    "campaign.update": "修改核查任务",
    "team.create": "新建核查组",
    "team.update": "修改核查组",
    "team.county_add": "核查组新增负责县",
    "team.county_remove": "核查组移除负责县",
    "visit.start": "开始实地核查",
    "visit.submit": "提交实地核查",
    "visit.reopen": "重新打开实地核查",
    "answer.save": "保存核查结果",
    "self_inspection.start": "开始县级自查",
    "self_inspection.submit": "提交县级自查",
    "self_answer.save": "保存自查结果",
    "photo.upload": "上传照片",
    "finding.create": "记录问题",
    "finding.update": "修改问题",
    "finding.edit": "修改问题表述",
    "finding.delete": "删除问题",
    "finding.merge": "合并问题",
    "finding.unmerge": "取消合并",
    "finding.move": "调整问题顺序",
    "problem_list.issue": "下发问题清单",
    "item.issue": "下发整改事项",
    "item.milestone_add": "新增阶段目标",
    "recheck.draw": "抽取复核样本",
    "recheck.result": "记录复核结果",
    **{f"item.{action.value}": label for action, label in LIFECYCLE_ACTION_LABELS.items()},
    "export.audit": "导出审计日志",
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
    "export.evidence_package": "下载整改材料包",
    "job.create": "提交后台任务",
    "job.retry": "重试后台任务",
    "export.report": "下载统计报表",
    "export.feedback": "导出反馈问题清单",
    "export.checklist": "导出核查表",
    "export.visit_record": "导出现场核查记录表",
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
        """The Chinese name of the action, or the action code itself when it has none."""
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def object_type_label(self) -> str:
        return OBJECT_TYPE_LABELS.get(self.object_type, self.object_type)
