"""Issuing, revoking and checking API tokens (stored as SHA-256 hashes, never in clear)."""
import hashlib
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa

from inspect_app.access import ROLE_PERMISSIONS, Permission, has, team_ids
from inspect_app.api.models import ApiToken
from inspect_app.audit import security
from inspect_app.audit.service import record
from inspect_app.auth.models import User
from inspect_app.documents.dates import cn_date
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.roles import Role

log = logging.getLogger(__name__)
DEFAULT_VALID_DAYS = 365
MAX_VALID_DAYS = 365
TEAM_SCOPED_ROLES = (Role.TEAM_LEADER, Role.INSPECTOR)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def eligible_users() -> list[User]:
    """Active accounts whose role may read the figures (DASHBOARD_VIEW): a token acts as them."""
    roles = ROLE_PERMISSIONS[Permission.DASHBOARD_VIEW]
    return list(db.session.execute(sa.select(User).where(User.active.is_(True), User.role.in_(roles))
                                   .order_by(User.username)).scalars())


def scope_of(user) -> tuple[str, int | None, int | None, str]:
    """The owner's scope as fixed into a token: (role code, region id, unit id, team ids "3,7").

    Team ids count only for roles whose figures follow their teams (team leader, inspector): for
    them a new or dropped team is a change of scope.
    """
    teams = ""
    if user.role in TEAM_SCOPED_ROLES:
        teams = ",".join(str(i) for i in sorted(db.session.execute(team_ids(user)).scalars()))
    return (getattr(user.role, "value", user.role), user.region_id, user.unit_id, teams)


def issue(user_id: int, name: str, issued_by, valid_days: int = DEFAULT_VALID_DAYS) -> tuple[ApiToken, str]:
    """Create a token for an eligible user, valid `valid_days` days (1–365) and fixed to the user's
    current role and scope; returns the row and the secret (shown once). Audited."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or not has(user, Permission.DASHBOARD_VIEW):
        raise DomainError("该账户不能使用统计接口", field="user_id")
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写令牌用途", field="name")
    if not 1 <= (valid_days or 0) <= MAX_VALID_DAYS:
        raise DomainError("有效期应为 1 至 365 天", field="valid_days")
    secret = secrets.token_urlsafe(32)
    role, region_id, unit_id, teams = scope_of(user)
    token = ApiToken(user_id=user.id, name=name[:128], token_hash=hash_token(secret), prefix=secret[:6],
                     created_by_id=issued_by.id, expires_at=utcnow() + timedelta(days=valid_days),
                     scope_role=role, scope_region_id=region_id, scope_unit_id=unit_id, scope_teams=teams)
    db.session.add(token)
    db.session.flush()
    record("api_token.issue", obj=token, label=f"{name}（{user.username}）", county_id=None,
           after={"user": user.username, "name": name, "prefix": token.prefix, "expires_on": cn_date(token.expires_at),
                  "scope": user.scope_label}, summary=f"签发 API 令牌：{name}（{valid_days} 天）")
    db.session.commit()
    return token, secret


def _revoke(token: ApiToken, revoked_by, summary: str) -> None:
    token.revoked_at = utcnow()
    token.revoked_by_id = getattr(revoked_by, "id", None)
    record("api_token.revoke", obj=token, label=token.name, county_id=None, user=revoked_by,
           before={"revoked": False}, after={"revoked": True}, summary=summary)


def revoke(token_id: int, revoked_by) -> ApiToken | None:
    """Revoke a token (idempotent); audited when it changes anything."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        return None
    if token.revoked_at is None:
        _revoke(token, revoked_by, f"吊销 API 令牌：{token.name}")
        db.session.commit()
    return token


def revoke_all_of(user, revoked_by) -> int:
    """Revoke every live token of `user` in the caller's transaction (the caller commits); each
    revocation audited. Called when an account is disabled, so re-enabling it revives nothing."""
    live = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == user.id,
                                                        ApiToken.revoked_at.is_(None))).scalars().all()
    for token in live:
        _revoke(token, revoked_by, f"账户 {user.username} 停用，吊销其 API 令牌：{token.name}")
    return len(live)


def authenticate(secret: str) -> User:
    """The user behind a usable token; notes its use and audits it (one row per call).

    Raises DomainError (status 401, its message; also audited) when the token is unknown, revoked,
    expired, its owner is disabled, or the owner's role or scope differs from the one at issue. A
    disabled owner's token is revoked on the spot, so a later re-enabling does not revive it.
    """
    token = db.session.execute(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret or ""))
                               ).scalar_one_or_none()
    now = utcnow()
    try:
        if token is None:
            raise DomainError("令牌无效", status=401)
        if token.revoked_at is not None:
            raise DomainError("令牌已吊销", status=401)
        if token.expired(now):
            raise DomainError("令牌已过期，请联系管理员重新签发", status=401)
        if token.user is None or not token.user.active:
            _revoke(token, None, f"令牌所属账户已停用，吊销 API 令牌：{token.name}")
            raise DomainError("令牌所属账户已停用，令牌已吊销", status=401)
        if not token.scope_matches(scope_of(token.user)):
            raise DomainError("令牌所属账户的角色或管辖范围已变更，令牌已失效，请重新签发", status=401)
    except DomainError as refused:
        # Guessed tokens name no token: thinned like denials so guessing cannot fill the table.
        if token is not None or security.admit_repeat_free("api_token.refused"):
            _audit_use("api_token.refused", token, refused.message)
        raise
    token.last_used_at = now
    _audit_use("api_token.use", token, "")
    return token.user


def _audit_use(action: str, token: ApiToken | None, reason: str) -> None:
    """Commit the token's use (or refusal) with its audit row; log and carry on if that fails."""
    from flask import request
    query = request.query_string.decode("utf-8", "replace")[:200]
    try:
        record(action, obj=token, object_type="ApiToken", label=token.name if token else "",
               user=token.user if token else None, county_id=None,
               after={"query": query} if query else None, summary=reason or f"API 调用：{request.path}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("API token audit not written")


def tokens() -> list[ApiToken]:
    return list(db.session.execute(sa.select(ApiToken).order_by(ApiToken.revoked_at.is_not(None),
                                                                 ApiToken.created_at.desc())).scalars())
