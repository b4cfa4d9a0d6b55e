"""The dashboard's summary tables: closure figures pre-added per county, kept exact by rollups.py.

`ClosureRollup` holds, for each (campaign, county, Beijing issue day) and each breakdown value, the
counts the dashboard adds up: items issued, per status, overdue and per aging bucket, returns and
reopens. The overdue and aging counts are relative to `RollupState.as_of` (one date for the whole
table); rollups.py moves them when the day changes, and changes the rows in the same transaction as
every item change.
"""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.extensions import db

# What a rollup row breaks the items down by ("all" = no breakdown, value ""). closed_week rows count
# the closed items by the Monday (Beijing) of the week they were closed, for the burn-up chart.
DIMENSIONS = ("all", "category", "severity", "type", "unit", "closed_week")
MEASURES = ("issued", "pending", "in_progress", "submitted", "closed", "overdue", "le10", "le20", "gt20",
            "returns", "reopens", "timed")
KEY = ("campaign_id", "county_id", "issued_day", "dim", "value")
# county_id 0: the same figures summed over every county, so a province-wide page adds up a few
# hundred rows instead of one set per county (2,800 at national scale).
ALL_COUNTIES = 0


class ClosureRollup(db.Model):
    """The summed figures of the items of one county (or all: ALL_COUNTIES), campaign and issue day,
    for one breakdown value."""

    __tablename__ = "closure_rollups"
    __table_args__ = (sa.UniqueConstraint(*KEY, name="uq_closure_rollups_key"),
                      sa.Index("ix_closure_rollups_campaign_dim", "campaign_id", "dim", "county_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    county_id: Mapped[int] = mapped_column(index=True)          # a region id, or ALL_COUNTIES
    issued_day: Mapped[date] = mapped_column(sa.Date)
    dim: Mapped[str] = mapped_column(sa.String(16))
    value: Mapped[str] = mapped_column(sa.String(128), default="")
    issued: Mapped[int] = mapped_column(default=0)
    pending: Mapped[int] = mapped_column(default=0)
    in_progress: Mapped[int] = mapped_column(default=0)
    submitted: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    le10: Mapped[int] = mapped_column(default=0)
    le20: Mapped[int] = mapped_column(default=0)
    gt20: Mapped[int] = mapped_column(default=0)
    returns: Mapped[int] = mapped_column(default=0)
    reopens: Mapped[int] = mapped_column(default=0)
    timed: Mapped[int] = mapped_column(default=0)       # items with a close_seconds: the median's count


class RollupState(db.Model):
    """One row: the Beijing date the overdue and aging counts are measured against, or None while the
    rollups have not been built (a migrated database: the first dashboard request builds them).

    Item writes read it with FOR SHARE and the daily move and rebuild take it FOR UPDATE (PostgreSQL),
    so no item change is counted against a date the table is leaving."""

    __tablename__ = "closure_rollup_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date | None] = mapped_column(sa.Date)


@sa.event.listens_for(RollupState.__table__, "after_create")
def _insert_state_row(target, connection, **kw):
    """The state row exists from the start (create_all in tests; the migration inserts it too)."""
    connection.execute(target.insert().values(id=1, as_of=None))
