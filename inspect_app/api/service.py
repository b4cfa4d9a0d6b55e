"""Issuing, revoking and checking API tokens (stored as SHA-256 hashes, never in clear)."""
import hashlib
import secrets

import sqlalchemy as sa

from inspect_app.access import ROLE_PERMISSIONS, Permission, has
from inspect_app.api.models import ApiToken
from inspect_app.audit.service import record
from inspect_app.auth.models import User
from inspect_app.extensions import db, utcnow


class TokenError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def eligible_users() -> list[User]:
    """Active accounts whose role may read the figures (DASHBOARD_VIEW): a token acts as them."""
    roles = ROLE_PERMISSIONS[Permission.DASHBOARD_VIEW]
    return list(db.session.execute(sa.select(User).where(User.active.is_(True), User.role.in_(roles))
                                   .order_by(User.username)).scalars())


def issue(user_id: int, name: str, issued_by) -> tuple[ApiToken, str]:
    """Create a token for an eligible user; returns the row and the secret (shown once). Audited."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or not has(user, Permission.DASHBOARD_VIEW):
        raise TokenError("该账户不能使用统计接口", "user_id")
    name = (name or "").strip()
    if not name:
        raise TokenError("请填写令牌用途", "name")
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:128], token_hash=hash_token(secret), prefix=secret[:6],
                     created_by_id=issued_by.id)
    db.session.add(token)
    db.session.flush()
    record("api_token.issue", obj=token, label=f"{name}（{user.username}）", county_id=None,
           after={"user": user.username, "name": name, "prefix": token.prefix}, summary=f"签发 API 令牌：{name}")
    db.session.commit()
    return token, secret


def revoke(token_id: int, revoked_by) -> ApiToken | None:
    """Revoke a token (idempotent); audited when it changes anything."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = revoked_by.id
        record("api_token.revoke", obj=token, label=token.name, county_id=None,
               before={"revoked": False}, after={"revoked": True}, summary=f"吊销 API 令牌：{token.name}")
        db.session.commit()
    return token


def authenticate(secret: str) -> User | None:
    """The active user behind a live token, or None; notes when the token was last used."""
    if not secret:
        return None
    token = db.session.execute(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret),
                                                         ApiToken.revoked_at.is_(None))).scalar_one_or_none()
    if token is None or token.user is None or not token.user.active:
        return None
    db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=utcnow()))
    db.session.commit()
    return token.user


def tokens() -> list[ApiToken]:
    return list(db.session.execute(sa.select(ApiToken).order_by(ApiToken.revoked_at.is_not(None),
                                                                 ApiToken.created_at.desc())).scalars())
