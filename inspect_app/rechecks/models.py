"""Re-check rounds (抽查复核轮次) and the sampled items with their results."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import UTCDateTime, db, utcnow
from inspect_app.visits.models import Severity


class RecheckResult(str, enum.Enum):
    """What the re-check found on site. Only FIXED keeps the item closed."""

    FIXED = "fixed"
    PARTIAL = "partial"
    ON_PAPER = "on_paper"
    FALSE = "false"

    @property
    def label(self) -> str:
        return {"fixed": "整改到位", "partial": "部分到位", "on_paper": "书面整改", "false": "虚假整改"}[self.value]

    @property
    def reopens(self) -> bool:
        """Whether this result reopens the item and counts as a false closure (虚假销号)."""
        return self is not RecheckResult.FIXED


class RoundStatus(str, enum.Enum):
    OPEN = "open"
    DONE = "done"

    @property
    def label(self) -> str:
        return {"open": "复核中", "done": "已完成"}[self.value]


class RecheckRound(db.Model):
    """One draw: its parameters, seed, the frame it was drawn from and the ids drawn, so that
    `service.reproduce` can redraw it and compare (audit).

    `frame` is the sampling frame at draw time, ``[[item_id, county_id, severity], ...]`` sorted by id
    (items move on after the draw; the frame does not). `strata` is the allocation,
    ``[{"county_id", "severity", "population", "drawn"}, ...]``. `item_ids` the drawn ids, sorted.
    Exactly one of `rate` (0 < rate ≤ 1) and `count` (≥ 1) is set."""

    __tablename__ = "recheck_rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    rate: Mapped[float | None] = mapped_column(sa.Float)
    count: Mapped[int | None]
    frame: Mapped[list] = mapped_column(sa.JSON)
    strata: Mapped[list] = mapped_column(sa.JSON)
    item_ids: Mapped[list] = mapped_column(sa.JSON)
    status: Mapped[RoundStatus] = mapped_column(sa.Enum(RoundStatus, native_enum=False, length=16),
                                                default=RoundStatus.OPEN)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign = relationship("Campaign")
    team = relationship("Team")
    created_by = relationship("User")
    samples: Mapped[list["RecheckSample"]] = relationship(back_populates="round", order_by="RecheckSample.id")


class RecheckSample(db.Model):
    """One sampled item of a round and, once recorded, its result. `county_id` and `unit_id` are the
    item's at draw time (the unit answerable for the closure), so figures and access need no join.

    `client_uuid` makes a result's submission idempotent (an offline resend records it once);
    `version` is this row's optimistic-locking counter."""

    __tablename__ = "recheck_samples"
    __table_args__ = (sa.UniqueConstraint("round_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("recheck_rounds.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("rectification_items.id"), index=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("responsible_units.id"), index=True)
    severity: Mapped[Severity] = mapped_column(sa.Enum(Severity, native_enum=False, length=16))
    result: Mapped[RecheckResult | None] = mapped_column(sa.Enum(RecheckResult, native_enum=False, length=16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    rechecked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rechecked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36), unique=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    round: Mapped[RecheckRound] = relationship(back_populates="samples")
    item = relationship("RectificationItem")
    county = relationship("Region")
    unit = relationship("ResponsibleUnit")
    rechecked_by = relationship("User")
