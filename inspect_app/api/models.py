"""API tokens: issued by an administrator to one user, acting with that user's role and scope."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import UTCDateTime, db, utcnow


class ApiToken(db.Model):
    """A bearer token. Only the SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(8))          # first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Chosen at issue (default one year); a token past it is refused. NULL only on tokens issued
    # before expiry existed — the migration gives those one year from its run.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The owner's role and scope when the token was issued: a token acts with exactly that scope
    # and stops working (401) once the owner's role, region or unit changes.
    scope_role: Mapped[str] = mapped_column(sa.String(32), default="")
    scope_region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))
    scope_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("responsible_units.id"))
    scope_teams: Mapped[str] = mapped_column(sa.String(255), default="")   # team ids "3,7" for team roles

    user = relationship("User", foreign_keys=[user_id])
    created_by = relationship("User", foreign_keys=[created_by_id])

    @property
    def active(self) -> bool:
        """Not revoked (expiry is checked against the clock by `expired`)."""
        return self.revoked_at is None

    def expired(self, now: datetime) -> bool:
        """Whether the token is past its expiry at `now` (aware UTC)."""
        return self.expires_at is not None and self.expires_at <= now

    def scope_matches(self, scope: tuple) -> bool:
        """Whether the owner's current `scope` (from `api.service.scope_of`) is the one at issue."""
        return (self.scope_role, self.scope_region_id, self.scope_unit_id, self.scope_teams) == scope
