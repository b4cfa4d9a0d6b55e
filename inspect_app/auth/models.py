"""Accounts and the sign-in throttle."""
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from inspect_app.extensions import UTCDateTime, db, utcnow
from inspect_app.locking import Versioned
from inspect_app.org.models import Region, ResponsibleUnit
from inspect_app.roles import Role


class User(UserMixin, Versioned, db.Model):
    """A person with one role and, for scoped roles, one region (city or county) and unit."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(64))
    organisation: Mapped[str] = mapped_column(sa.String(128), default="")
    # Where e-mail notices go when the e-mail channel is configured; set by the user (通知 page).
    email: Mapped[str | None] = mapped_column(sa.String(255))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=32))
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("responsible_units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped when the password changes or the account is disabled: other sessions then end.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region | None] = relationship()
    unit: Mapped[ResponsibleUnit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """The session remembers the user *and* the session version it was issued for."""
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        """Hash with Werkzeug's scrypt (a memory-hard KDF) and end other sessions."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.password_changed_at = utcnow()
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def scope_label(self) -> str:
        """What part of the tree this account covers, as shown in the header."""
        if self.role == Role.UNIT_RESPONDER and self.unit is not None:
            return f"{self.region.name if self.region else ''}·{self.unit.name}"
        if self.region is not None:
            return self.region.name
        if self.role in (Role.TEAM_LEADER, Role.INSPECTOR):
            return "所在核查组负责的县"
        return "全省"


class LoginThrottle(db.Model):
    """Failed sign-ins per *typed* username, so that unknown names lock exactly like real ones
    and the lock message reveals nothing about which accounts exist."""

    __tablename__ = "login_throttles"
    username: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failed_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
