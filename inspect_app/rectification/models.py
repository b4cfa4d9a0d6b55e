"""Problem lists (反馈问题清单) and the rectification items (整改事项) they become when issued."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import UTCDateTime, db, utcnow
from inspect_app.rectification.lifecycle import Action, Status
from inspect_app.roles import Role
from inspect_app.visits.models import RectificationType, Severity


class ProblemListStatus(str, enum.Enum):
    DRAFT = "draft"
    ISSUED = "issued"

    @property
    def label(self) -> str:
        return {"draft": "整理中", "issued": "已下发"}[self.value]


class ProblemList(db.Model):
    """One of a county's problem lists in one campaign; issuing it creates the rectification items.

    `sequence` 1 is the list of the feedback meeting; findings recorded after it was issued form the
    county's supplementary lists (补充清单), sequence 2, 3, … in the same campaign."""

    __tablename__ = "problem_lists"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "county_id", "sequence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    sequence: Mapped[int] = mapped_column(default=1, server_default="1")
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[ProblemListStatus] = mapped_column(sa.Enum(ProblemListStatus, native_enum=False, length=16),
                                                      default=ProblemListStatus.DRAFT)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_on: Mapped[date | None]            # the feedback meeting date (Beijing), printed on the list
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    campaign = relationship("Campaign")
    county = relationship("Region")
    team = relationship("Team")
    items: Mapped[list["RectificationItem"]] = relationship(back_populates="problem_list",
                                                            order_by="RectificationItem.seq")

    @property
    def is_supplementary(self) -> bool:
        return self.sequence > 1

    @property
    def kind_label(self) -> str:
        """反馈问题清单, 补充反馈问题清单, 第二次补充反馈问题清单, …"""
        return list_kind_label(self.sequence)


_CN_ORDINALS = "一二三四五六七八九十"


def list_kind_label(sequence: int) -> str:
    """What the list of this sequence is called: the first is the 反馈问题清单, the next ones
    补充反馈问题清单 (from the third on numbered: 第二次补充…)."""
    if sequence <= 1:
        return "反馈问题清单"
    if sequence == 2:
        return "补充反馈问题清单"
    nth = _CN_ORDINALS[sequence - 2] if sequence - 2 < len(_CN_ORDINALS) else str(sequence - 1)
    return f"第{nth}次补充反馈问题清单"


class RectificationItem(db.Model):
    """An issued problem tracked to closure. Status changes go through lifecycle.apply only."""

    __tablename__ = "rectification_items"
    __table_args__ = (sa.UniqueConstraint("problem_list_id", "seq"),
                      sa.Index("ix_rectification_items_county_status", "county_id", "status"),
                      sa.Index("ix_rectification_items_campaign_close_seconds", "campaign_id", "close_seconds"),
                      # The ledger's order, read in keyset batches (rectification/ledger.py).
                      sa.Index("ix_rectification_items_ledger_order", "county_id", "number", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    problem_list_id: Mapped[int] = mapped_column(sa.ForeignKey("problem_lists.id"), index=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id"), unique=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    seq: Mapped[int]                                          # 1, 2, 3 … within the list
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)   # 问题编号, e.g. 411329-2022-001
    category: Mapped[str] = mapped_column(sa.String(128))
    description: Mapped[str] = mapped_column(sa.Text)
    severity: Mapped[Severity] = mapped_column(sa.Enum(Severity, native_enum=False, length=16))
    rectification_type: Mapped[RectificationType] = mapped_column(
        sa.Enum(RectificationType, native_enum=False, length=16))
    suggested_measures: Mapped[str] = mapped_column(sa.Text, default="")
    deadline: Mapped[date] = mapped_column(index=True)                   # indexed for the deadline windows:
    extended_deadline: Mapped[date | None] = mapped_column(index=True)   # reminders, the dashboard's day move
    status: Mapped[Status] = mapped_column(sa.Enum(Status, native_enum=False, length=16), default=Status.PENDING)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("responsible_units.id"), index=True)
    responsible_person: Mapped[str] = mapped_column(sa.String(64), default="")
    # 责任人's account when the person has one (an active account of the responsible unit); the name
    # above stays the printed 责任人 either way, typed or copied from the account.
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    measures: Mapped[str] = mapped_column(sa.Text, default="")
    planned_date: Mapped[date | None]
    latest_progress: Mapped[str] = mapped_column(sa.Text, default="")
    acceptance_opinion: Mapped[str] = mapped_column(sa.Text, default="")
    return_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    pending_extension: Mapped[dict | None] = mapped_column(sa.JSON)
    version: Mapped[int] = mapped_column(default=1)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seconds from issue to closure while 已销号, else None: kept by _time_to_close below, indexed with
    # the campaign so the dashboard's median reads the middle of an index instead of sorting.
    close_seconds: Mapped[float | None] = mapped_column(sa.Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    problem_list: Mapped[ProblemList] = relationship(back_populates="items")
    finding = relationship("Finding")
    site = relationship("Site")
    county = relationship("Region")
    unit = relationship("ResponsibleUnit")
    assignee = relationship("User", foreign_keys=[assignee_id])
    history: Mapped[list["ItemHistory"]] = relationship(back_populates="item", order_by="ItemHistory.id")


@sa.event.listens_for(RectificationItem, "before_insert")
@sa.event.listens_for(RectificationItem, "before_update")
def _time_to_close(mapper, connection, item: RectificationItem) -> None:
    """close_seconds follows status and closed_at on every write, whoever makes it."""
    if item.issued_at is None:
        item.issued_at = utcnow()
    closed = item.status is Status.CLOSED and item.closed_at is not None
    item.close_seconds = (item.closed_at - item.issued_at).total_seconds() if closed else None


# Timeline events that are not lifecycle actions.
HISTORY_EVENTS = {"issue": "下发", "edit": "修改", "milestone_add": "新增阶段目标"}


def history_label(action: str) -> str:
    """The Chinese label of a timeline entry."""
    try:
        return Action(action).label
    except ValueError:
        return HISTORY_EVENTS.get(action, action)


def _cn(iso: str | None) -> str:
    from inspect_app.rectification.lifecycle import format_date
    return format_date(date.fromisoformat(iso)) if iso else ""


# The dates an extension step is about, from its history data (lifecycle._effect writes them).
_EXTENSION_DATES = {
    Action.REQUEST_EXTENSION.value: (("new_date", "申请延期至"), ("current_deadline", "原完成时限")),
    Action.APPROVE_EXTENSION.value: (("new_deadline", "批准延期至"), ("previous_deadline", "原完成时限")),
    Action.REFUSE_EXTENSION.value: (("refused_date", "未同意延期至"),),
    Action.REOPEN.value: (("new_deadline", "新的完成时限"),),
}


def history_dates(action: str, data: dict | None) -> str:
    """The dates a timeline entry is about, e.g. 申请延期至 2022年8月31日（原完成时限 2022年8月12日）."""
    parts = [(label, _cn((data or {}).get(key))) for key, label in _EXTENSION_DATES.get(action, ())]
    parts = [(label, day) for label, day in parts if day]
    if not parts:
        return ""
    head = f"{parts[0][0]} {parts[0][1]}"
    return head + "".join(f"（{label} {day}）" for label, day in parts[1:])


class ItemHistory(db.Model):
    """The item's timeline: every transition, edit, progress post and comment, who and when."""

    __tablename__ = "item_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("rectification_items.id", ondelete="CASCADE"), index=True)
    # An `Action` value, or one of the events that are not lifecycle actions (HISTORY_EVENTS).
    action: Mapped[str] = mapped_column(sa.String(32))
    from_status: Mapped[Status | None] = mapped_column(sa.Enum(Status, native_enum=False, length=16))
    to_status: Mapped[Status | None] = mapped_column(sa.Enum(Status, native_enum=False, length=16))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_role: Mapped[Role | None] = mapped_column(sa.Enum(Role, native_enum=False, length=32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict | None] = mapped_column(sa.JSON)

    item: Mapped[RectificationItem] = relationship(back_populates="history")
    actor = relationship("User")


class ProgressPost(db.Model):
    """整改进展: a responsible unit's progress report, with its evidence attachments."""

    __tablename__ = "progress_posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("rectification_items.id", ondelete="CASCADE"), index=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")


class Milestone(db.Model):
    """A checkpoint of a 长期坚持 item: due date and expected result, accepted one by one."""

    __tablename__ = "milestones"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("rectification_items.id", ondelete="CASCADE"), index=True)
    due_date: Mapped[date]
    expected_result: Mapped[str] = mapped_column(sa.Text)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    opinion: Mapped[str] = mapped_column(sa.Text, default="")


class Notification(db.Model):
    """An in-app notice for one user; `dedupe_key` stops reminders from repeating.

    A notice about an item remembers the item's `version` when it was made (`item_version`): once the
    item has changed since, the notice is handled (已处理) for every recipient (notifications.handled).
    A notice about a whole list or a digest has no item; `data` then says what to link to
    (``{"campaign": id, "county": id}`` or ``{"bucket": "overdue", "items": n}``).
    """

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rectification_items.id", ondelete="CASCADE"),
                                                index=True)
    item_version: Mapped[int | None]
    kind: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item = relationship("RectificationItem")


class NoticeDelivery(db.Model):
    """One attempt to pass a notice on through a second channel (e-mail, group robot), kept so that a
    failed channel is on record beside the in-app notice that was made anyway."""

    __tablename__ = "notice_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))        # "email" or "webhook"
    target: Mapped[str] = mapped_column(sa.String(255))        # the address, or the webhook's host
    kind: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.Text)
    ok: Mapped[bool]
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
