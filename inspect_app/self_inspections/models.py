"""A county's self-inspection (自查) of one site in one campaign, and its answers per checklist item."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import UTCDateTime, db, utcnow
from inspect_app.locking import Versioned
from inspect_app.visits.models import AnswerResult


class SelfInspectionStatus(str, enum.Enum):
    DRAFT = "draft"            # the county is answering
    SUBMITTED = "submitted"    # locked: what the inspectors' answers are compared with

    @property
    def label(self) -> str:
        return {"draft": "自查中", "submitted": "已提交"}[self.value]


class SelfInspection(db.Model):
    """One site's self-inspection in one campaign, answered against the campaign's checklist version
    (kept here, like a visit keeps the version it was answered against). One per (campaign, site)."""

    __tablename__ = "self_inspections"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "site_id"),
                      sa.Index("ix_self_inspections_campaign_county", "campaign_id", "county_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    checklist_version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_versions.id"), index=True)
    status: Mapped[SelfInspectionStatus] = mapped_column(
        sa.Enum(SelfInspectionStatus, native_enum=False, length=16), default=SelfInspectionStatus.DRAFT)
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site = relationship("Site")
    campaign = relationship("Campaign")
    county = relationship("Region")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    answers: Mapped[list["SelfAnswer"]] = relationship(back_populates="self_inspection",
                                                       cascade="all, delete-orphan")

    @property
    def submitted(self) -> bool:
        return self.status == SelfInspectionStatus.SUBMITTED


class SelfAnswer(Versioned, db.Model):
    """The county's answer to one item: created empty (version 1) for every applicable item when the
    self-inspection starts, then saved in place with the version the screen was drawn from."""

    __tablename__ = "self_answers"
    __table_args__ = (sa.UniqueConstraint("self_inspection_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    self_inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("self_inspections.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_items.id"), index=True)
    result: Mapped[AnswerResult | None] = mapped_column(sa.Enum(AnswerResult, native_enum=False, length=16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    self_inspection: Mapped[SelfInspection] = relationship(back_populates="answers")
    item = relationship("ChecklistItem")

    @property
    def county_id(self) -> int:
        """The county of its self-inspection (media copies it onto the photo for access checks)."""
        return self.self_inspection.county_id
