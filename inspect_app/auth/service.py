"""Sign-in rules: the password policy, the failed-attempt lock, and password changes."""
import re
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from inspect_app.audit.service import record
from inspect_app.auth.models import LoginThrottle, User
from inspect_app.extensions import db, utcnow

FAILED_MESSAGE = "用户名或密码错误"
LOCKED_MESSAGE = "登录失败次数过多，账户已被临时锁定，请 {minutes} 分钟后再试"
# Checked against when the username is unknown, so both paths cost one KDF run.
_DUMMY_HASH = generate_password_hash("timing-equaliser", method="scrypt")


class SignInRefused(Exception):
    """Sign-in failed; `message` is safe to show (it never reveals whether the account exists)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def password_problems(password: str, min_length: int) -> list[str]:
    """What is wrong with a new password under the policy (empty list: acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"密码至少 {min_length} 位")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("密码须同时包含字母和数字")
    return problems


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def find_user(username: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.username == normalise_username(username))).scalar_one_or_none()


def sign_in(username: str, password: str, *, max_failures: int, lock_minutes: int) -> User:
    """Check credentials under the lock rule; commit the outcome and its audit event.

    The counter is kept per typed username in the database, so a lock survives restarts and
    applies to unknown names too (the message is then identical for real and unknown accounts).
    """
    key = normalise_username(username)[:64]
    now = utcnow()
    throttle = db.session.get(LoginThrottle, key)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        record("login.blocked", object_type="User", label=key, username=key, summary="账户锁定期间尝试登录")
        db.session.commit()
        raise SignInRefused(LOCKED_MESSAGE.format(minutes=lock_minutes))

    user = find_user(key)
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is not None and user.active and ok:
        if throttle is not None:
            db.session.delete(throttle)
        user.last_login_at = now
        record("login.success", obj=user, user=user, label=user.display_name, summary="登录成功")
        db.session.commit()
        return user

    if throttle is None:
        throttle = LoginThrottle(username=key, failed_count=0)
        db.session.add(throttle)
    throttle.failed_count += 1
    throttle.last_failed_at = now
    reason = "账户已停用" if user is not None and not user.active and ok else "用户名或密码错误"
    record("login.failure", object_type="User", object_id=getattr(user, "id", None), label=key,
           username=key, summary=f"登录失败（第 {throttle.failed_count} 次）：{reason}")
    if throttle.failed_count >= max_failures:
        throttle.locked_until = now + timedelta(minutes=lock_minutes)
        throttle.failed_count = 0
        record("login.locked", object_type="User", object_id=getattr(user, "id", None), label=key,
               username=key, summary=f"连续 {max_failures} 次登录失败，锁定 {lock_minutes} 分钟",
               after={"locked_until": throttle.locked_until})
        db.session.commit()
        raise SignInRefused(LOCKED_MESSAGE.format(minutes=lock_minutes))
    db.session.commit()
    raise SignInRefused(FAILED_MESSAGE)


def change_own_password(user: User, current: str, new: str) -> str | None:
    """Change a user's own password; returns a Chinese error or None. Ends their other sessions."""
    if not user.check_password(current):
        return "当前密码不正确"
    if current == new:
        return "新密码不能与当前密码相同"
    user.set_password(new)
    record("user.password_changed", obj=user, label=user.display_name, summary="本人修改密码",
           after={"session_version": user.session_version})
    db.session.commit()
    return None
