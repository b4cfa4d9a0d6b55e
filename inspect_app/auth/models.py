"""Accounts, their password history and the sign-in throttle."""
import enum
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
    last_login_ip: Mapped[str | None] = mapped_column(sa.String(45))
    # The sign-in before the current one, shown to the user after signing in (等保: 登录信息提示).
    previous_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    previous_login_ip: Mapped[str | None] = mapped_column(sa.String(45))
    # Demo accounts (set by the demo seed, 演示账户) keep the published demo password and are never
    # forced to change it; every other account must change a password it did not choose itself.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    region: Mapped[Region | None] = relationship()
    unit: Mapped[ResponsibleUnit | None] = relationship()
    password_history: Mapped[list["PasswordHistory"]] = relationship(
        order_by="PasswordHistory.id.desc()", cascade="all, delete-orphan", back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """The session remembers the user *and* the session version it was issued for."""
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str, *, chosen_by_user: bool = True) -> None:
        """Hash with Werkzeug's scrypt (a memory-hard KDF), remember the hash (no reuse of the last
        `PASSWORD_HISTORY` passwords) and end other sessions. A password set by an administrator
        (`chosen_by_user=False`) must be changed at the next sign-in, except on demo accounts."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.password_changed_at = utcnow()
        self.session_version = (self.session_version or 0) + 1
        self.must_change_password = not chosen_by_user and not self.is_demo
        self.password_history.insert(0, PasswordHistory(password_hash=self.password_hash))
        del self.password_history[PASSWORD_HISTORY:]

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


PASSWORD_HISTORY = 5   # the last five passwords (the current one included) cannot be chosen again


class PasswordHistory(db.Model):
    """The hash of a password an account has had, newest first through `User.password_history`."""

    __tablename__ = "password_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="password_history")


class ThrottleKind(str, enum.Enum):
    """What a row of failed sign-ins counts."""

    PAIR = "pair"          # one typed username from one address: a stranger locks only himself
    ADDRESS = "address"    # one address across every username (password spraying)
    ACCOUNT = "account"    # one typed username across every address (a distributed attack)


class LoginThrottle(db.Model):
    """Failed sign-ins of one kind and key, with exponential back-off once the threshold is met.

    Counted per *typed* username, so unknown names lock exactly like real ones and the message
    reveals nothing about which accounts exist. `lock_count` doubles each further lock's length.
    """

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(sa.String(160), primary_key=True)   # kind:username@address
    kind: Mapped[ThrottleKind] = mapped_column(sa.Enum(ThrottleKind, native_enum=False, length=16))
    username: Mapped[str] = mapped_column(sa.String(64), default="")
    address: Mapped[str] = mapped_column(sa.String(45), default="")
    failed_count: Mapped[int] = mapped_column(default=0)
    lock_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
