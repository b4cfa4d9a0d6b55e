"""Campaigns (核查任务) and the inspection teams (核查组) that carry them out."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import db
from inspect_app.locking import Versioned

team_members = sa.Table(
    "team_members", db.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

team_counties = sa.Table(
    "team_counties", db.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("county_id", sa.ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)


class Campaign(Versioned, db.Model):
    """One round of provincial inspection, e.g. 2022年紧密型县域医共体建设核查."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    year: Mapped[int]
    start_date: Mapped[date]
    end_date: Mapped[date]
    checklist_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_versions.id"))
    # Default rectification periods counted from the day a list is issued (下发): 立行立改 and 限期整改
    # in working days on the official calendar, 长期坚持 in calendar days (lifecycle.default_deadline).
    immediate_working_days: Mapped[int] = mapped_column(default=5, server_default="5")
    deadline_working_days: Mapped[int] = mapped_column(default=30, server_default="30")
    long_term_days: Mapped[int] = mapped_column(default=180, server_default="180")

    @property
    def deadline_periods(self) -> dict[str, int]:
        """The periods per rectification type, as lifecycle.default_deadline takes them."""
        return {"immediate": self.immediate_working_days, "deadline": self.deadline_working_days,
                "long_term": self.long_term_days}

    checklist_version = relationship("ChecklistVersion")
    teams: Mapped[list["Team"]] = relationship(back_populates="campaign", order_by="Team.id")


class Team(Versioned, db.Model):
    """A 核查组: a leader, members, and the counties it inspects in one campaign."""

    __tablename__ = "teams"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    leader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)

    campaign: Mapped[Campaign] = relationship(back_populates="teams")
    leader = relationship("User", foreign_keys=[leader_id])
    members = relationship("User", secondary=team_members, order_by="User.id")
    counties = relationship("Region", secondary=team_counties, order_by="Region.code")
