"""The links between a finding and an earlier campaign's finding of the same problem (屡查屡犯)."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import UTCDateTime, db, utcnow


class LinkOrigin(str, enum.Enum):
    AUTO = "auto"          # found by the matching rule when the finding was recorded (repeats.service)
    MANUAL = "manual"      # linked by hand by the team leader or the province

    @property
    def label(self) -> str:
        return {"auto": "自动关联", "manual": "手动关联"}[self.value]


class LinkState(str, enum.Enum):
    SUGGESTED = "suggested"    # an automatic link nobody has decided on yet: it counts as a repeat
    CONFIRMED = "confirmed"    # a leader confirmed it (a manual link is confirmed when made)
    UNLINKED = "unlinked"      # a leader said it is not the same problem: kept so it is never re-suggested

    @property
    def label(self) -> str:
        return {"suggested": "待确认", "confirmed": "已确认", "unlinked": "已取消关联"}[self.value]

    @property
    def active(self) -> bool:
        return self is not LinkState.UNLINKED


#: The states that make a finding a repeat (屡查屡犯) on screen, in documents and in the figures.
ACTIVE_STATES = (LinkState.SUGGESTED, LinkState.CONFIRMED)


class RepeatLink(db.Model):
    """`finding` repeats `earlier_finding`, a finding of an earlier campaign in the same county.

    One row per pair, whatever happens to it: an automatic link the leader unlinks stays as
    UNLINKED, which is what stops the matching rule from suggesting it again. `county_id` is the
    county of both findings (the access scope and the audit trail's county)."""

    __tablename__ = "repeat_links"
    __table_args__ = (sa.UniqueConstraint("finding_id", "earlier_finding_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    earlier_finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    origin: Mapped[LinkOrigin] = mapped_column(sa.Enum(LinkOrigin, native_enum=False, length=16))
    state: Mapped[LinkState] = mapped_column(sa.Enum(LinkState, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    finding = relationship("Finding", foreign_keys=[finding_id])
    earlier_finding = relationship("Finding", foreign_keys=[earlier_finding_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
