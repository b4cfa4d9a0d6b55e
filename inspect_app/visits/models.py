"""Site visits, answers and findings. Every record a tablet creates carries a client UUID, so a
retried post after a dropped connection creates it once."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import UTCDateTime, db, utcnow
from inspect_app.locking import Versioned


class VisitStatus(str, enum.Enum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return {"in_progress": "核查中", "submitted": "已提交"}[self.value]


class AnswerResult(str, enum.Enum):
    CONFORMS = "conforms"
    BASICALLY = "basically"
    NONCONFORMING = "nonconforming"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {"conforms": "符合", "basically": "基本符合", "nonconforming": "不符合",
                "not_applicable": "不适用"}[self.value]

    @property
    def suggests_finding(self) -> bool:
        return self in (AnswerResult.BASICALLY, AnswerResult.NONCONFORMING)


class Severity(str, enum.Enum):
    GENERAL = "general"
    SERIOUS = "serious"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return {"general": "一般", "serious": "较重", "critical": "严重"}[self.value]


class RectificationType(str, enum.Enum):
    IMMEDIATE = "immediate"
    DEADLINE = "deadline"
    LONG_TERM = "long_term"

    @property
    def label(self) -> str:
        return {"immediate": "立行立改", "deadline": "限期整改", "long_term": "长期坚持"}[self.value]


class FindingStatus(str, enum.Enum):
    DRAFT = "draft"        # recorded by an inspector, editable
    MERGED = "merged"      # folded into another finding by the team leader
    ISSUED = "issued"      # part of an issued problem list: frozen, now a rectification item

    @property
    def label(self) -> str:
        return {"draft": "待下发", "merged": "已合并", "issued": "已下发"}[self.value]


class SiteVisit(db.Model):
    """An inspector's visit to one site in one campaign, answered against one checklist version.

    One visit per site and campaign (a unique constraint): a second tablet joins it."""

    __tablename__ = "site_visits"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "site_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    checklist_version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_versions.id"), index=True)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[VisitStatus] = mapped_column(sa.Enum(VisitStatus, native_enum=False, length=16),
                                                default=VisitStatus.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gps_lat: Mapped[float | None] = mapped_column(sa.Float)
    gps_lon: Mapped[float | None] = mapped_column(sa.Float)
    gps_accuracy: Mapped[float | None] = mapped_column(sa.Float)
    reopen_count: Mapped[int] = mapped_column(default=0)
    # Fixed at submit (visits.scoring): the county's campaign score adds up submitted visits' points.
    score_points: Mapped[float | None] = mapped_column(sa.Float)
    score_possible: Mapped[float | None] = mapped_column(sa.Float)
    veto_codes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Why items were left unanswered or without a required photo: [{"item_id", "code", "kind", "reason"}].
    submit_reasons: Mapped[list | None] = mapped_column(sa.JSON)

    site = relationship("Site")
    campaign = relationship("Campaign")
    inspector = relationship("User", foreign_keys=[inspector_id])
    checklist_version = relationship("ChecklistVersion")
    answers: Mapped[list["Answer"]] = relationship(back_populates="visit")


class Answer(db.Model):
    """The answer to one checklist item in one visit (one row per item, updated in place)."""

    __tablename__ = "answers"
    __table_args__ = (sa.UniqueConstraint("visit_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("site_visits.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_items.id"), index=True)
    result: Mapped[AnswerResult | None] = mapped_column(sa.Enum(AnswerResult, native_enum=False, length=16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    visit: Mapped[SiteVisit] = relationship(back_populates="answers")
    item = relationship("ChecklistItem")


class Finding(Versioned, db.Model):
    """A problem (问题) found at a site, from a checklist answer or free-standing."""

    __tablename__ = "findings"
    # The 问题清单 index asks, per campaign and county, whether any finding exists (one index probe).
    __table_args__ = (sa.Index("ix_findings_campaign_county", "campaign_id", "county_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site_visits.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_items.id"))
    answer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("answers.id"))
    category: Mapped[str] = mapped_column(sa.String(128))       # the checklist section title
    description: Mapped[str] = mapped_column(sa.Text)
    severity: Mapped[Severity] = mapped_column(sa.Enum(Severity, native_enum=False, length=16))
    rectification_type: Mapped[RectificationType] = mapped_column(
        sa.Enum(RectificationType, native_enum=False, length=16))
    deadline: Mapped[date | None]
    suggested_measures: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[FindingStatus] = mapped_column(sa.Enum(FindingStatus, native_enum=False, length=16),
                                                  default=FindingStatus.DRAFT)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("findings.id"))
    position: Mapped[int | None]                                  # order in the problem list
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    site = relationship("Site")
    visit = relationship("SiteVisit")
    item = relationship("ChecklistItem")
    created_by = relationship("User")
