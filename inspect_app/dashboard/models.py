"""The dashboard's summary table: closure figures pre-added per county, kept exact by rollups.py.

`ClosureRollup` holds, for each (campaign, county, Beijing issue day), each breakdown value, each
status and each deadline in force, how many items there are, their returns and reopens. Nothing in a
row depends on the date it is read: overdue and the aging buckets are worked out when the rows are
read, from today and each row's status and deadline (rectification/date_rules.py), so a read never
writes. rollups.py changes the rows in the same transaction as every item change.
"""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.extensions import db
from inspect_app.rectification.status import Status

# What a rollup row breaks the items down by ("all" = no breakdown, value ""). closed_week rows count
# the closed items by the Monday (Beijing) of the week they were closed, for the burn-up chart.
DIMENSIONS = ("all", "category", "severity", "type", "unit", "closed_week")
# What a row stores (summed over its items) …
MEASURES = ("issued", "returns", "reopens", "timed")
# … and the figures read from the rows (rollups.figures): per status from the key, overdue and aging
# from the deadline and today. dashboard/service.py unpacks them in this order.
FIGURES = ("issued", "pending", "in_progress", "submitted", "closed", "overdue", "le10", "le20", "gt20",
           "returns", "reopens", "timed")
KEY = ("campaign_id", "county_id", "issued_day", "dim", "value", "status", "deadline")
# county_id 0: the same figures summed over every county, so a province-wide page adds up a few
# hundred rows instead of one set per county (2,800 at national scale).
ALL_COUNTIES = 0


class ClosureRollup(db.Model):
    """The summed figures of the items of one county (or all: ALL_COUNTIES), campaign and issue day,
    for one breakdown value, status and deadline in force (extension or reopening date, else original)."""

    __tablename__ = "closure_rollups"
    __table_args__ = (sa.UniqueConstraint(*KEY, name="uq_closure_rollups_key"),
                      sa.Index("ix_closure_rollups_campaign_dim", "campaign_id", "dim", "county_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    county_id: Mapped[int] = mapped_column(index=True)          # a region id, or ALL_COUNTIES
    issued_day: Mapped[date] = mapped_column(sa.Date)
    dim: Mapped[str] = mapped_column(sa.String(16))
    value: Mapped[str] = mapped_column(sa.String(128), default="")
    status: Mapped[Status] = mapped_column(sa.Enum(Status, native_enum=False, length=16))
    deadline: Mapped[date] = mapped_column(sa.Date)        # rollups.CLOSED_DEADLINE on closed items' rows
    issued: Mapped[int] = mapped_column(default=0)      # items in the row
    returns: Mapped[int] = mapped_column(default=0)
    reopens: Mapped[int] = mapped_column(default=0)
    timed: Mapped[int] = mapped_column(default=0)       # items with a close_seconds: the median's count
