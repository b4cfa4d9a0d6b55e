"""Sign-in rules: the password policy, the failed-attempt back-off, password changes, and when a
signed-in account must change its password before doing anything else."""
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from inspect_app.audit.service import record
from inspect_app.auth.models import LoginThrottle, ThrottleKind, User
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.roles import Role

FAILED_MESSAGE = "用户名或密码错误"
LOCKED_MESSAGE = "登录失败次数过多，已暂时限制登录，请 {minutes} 分钟后再试"
# Checked against when the username is unknown, so both paths cost one KDF run.
_DUMMY_HASH = generate_password_hash("timing-equaliser", method="scrypt")
# The published password of the demo accounts (README, demo seed): never valid on a real account.
DEMO_PASSWORD = "Demo@2022"
# zxcvbn's list of 30,000 leaked passwords, by frequency rank; ASVS 5.0 asks for at least the top 3,000.
_COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
# zxcvbn score 0–1: under 10^6 guesses, i.e. found by an online attack that spreads over addresses.
MIN_ZXCVBN_SCORE = 2
LOCK_CAP = timedelta(hours=24)          # the longest any back-off lock lasts
QUIET_RESET = timedelta(hours=24)       # after a quiet day the back-off starts again from one lock


def password_problems(password: str, min_length: int, username: str = "", is_demo: bool = False) -> list[str]:
    """What is wrong with a new password under the policy (empty list: acceptable), in Chinese.

    Rules (issue 11; 等保2.0 身份鉴别, ASVS 5.0 V6.2): a minimum length; letters and digits; not
    mostly whitespace (nothing is stripped: spaces count, but a password of spaces is no password);
    not containing the username (case-insensitive); not the published demo password on a real
    account; not in zxcvbn's leaked-password list and not guessable in under 10^6 tries (zxcvbn score).
    """
    problems = []
    if len(password) < min_length:
        problems.append(f"密码至少 {min_length} 位")
    if not any(c.isascii() and c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("密码须同时包含字母和数字")
    spaces = sum(1 for c in password if c.isspace())
    if password and spaces * 2 >= len(password):
        problems.append("密码不能主要由空格组成")
    name = (username or "").strip().lower()
    if len(name) >= 2 and name in password.lower():
        problems.append("密码不能包含用户名")
    if not is_demo and password.lower() == DEMO_PASSWORD.lower():
        problems.append("不能使用公开的演示密码")
    if not problems and (password.lower() in _COMMON_PASSWORDS
                         or zxcvbn(password[:100], user_inputs=[name] if name else [])["score"] < MIN_ZXCVBN_SCORE):
        problems.append("密码过于常见或容易被猜到，请换一个更复杂的密码")
    return problems


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def find_user(username: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.username == normalise_username(username))).scalar_one_or_none()


# ---------------------------------------------------------------- the sign-in back-off

def _throttle_keys(username: str, address: str) -> dict[ThrottleKind, str]:
    return {ThrottleKind.PAIR: f"pair:{username}@{address}", ThrottleKind.ADDRESS: f"address:{address}",
            ThrottleKind.ACCOUNT: f"account:{username}"}


def _thresholds(config: dict) -> dict[ThrottleKind, int]:
    return {ThrottleKind.PAIR: config["LOGIN_MAX_FAILURES"],
            ThrottleKind.ADDRESS: config["LOGIN_ADDRESS_MAX_FAILURES"],
            ThrottleKind.ACCOUNT: config["LOGIN_ACCOUNT_MAX_FAILURES"]}


def lock_length(config: dict, lock_count: int) -> timedelta:
    """The n-th lock (1-based) lasts LOGIN_LOCK_MINUTES × 2^(n-1), at most a day: a stranger can
    delay the real user only briefly and never for ever; a persistent guesser slows down fast."""
    minutes = config["LOGIN_LOCK_MINUTES"] * 2 ** min(max(lock_count - 1, 0), 16)
    return min(timedelta(minutes=minutes), LOCK_CAP)


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def sign_in(username: str, password: str, *, config: dict, address: str = "") -> User:
    """Check credentials under the back-off rule; commit the outcome and its audit events.

    Failures are counted in the database (so they hold across processes and restarts) three ways:
    per typed username *from this address* (LOGIN_MAX_FAILURES), per address across usernames
    (LOGIN_ADDRESS_MAX_FAILURES, against password spraying) and per username across addresses
    (LOGIN_ACCOUNT_MAX_FAILURES, against a distributed attack). Meeting a threshold locks that key
    for `lock_length`; a stranger's failures thus lock his own address, not the real user. Each lock
    is audited and told to the security administrators, who can lift it (`unlock`).
    Raises DomainError (401) with a message that never reveals whether the account exists.
    """
    key = normalise_username(username)[:64]
    address = (address or "")[:45]
    now = utcnow()
    keys = _throttle_keys(key, address)
    rows = {kind: db.session.get(LoginThrottle, k) for kind, k in keys.items()}
    locked = [r.locked_until for r in rows.values() if r is not None and r.locked_until and r.locked_until > now]
    if locked:
        record("login.blocked", object_type="User", label=key, username=key, summary="登录受限期间尝试登录")
        db.session.commit()
        raise DomainError(LOCKED_MESSAGE.format(minutes=_minutes_left(max(locked), now)), status=401)

    user = find_user(key)
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is not None and user.active and ok:
        for kind in (ThrottleKind.PAIR, ThrottleKind.ACCOUNT):   # the address keeps its count
            if rows[kind] is not None:
                db.session.delete(rows[kind])
        user.previous_login_at, user.previous_login_ip = user.last_login_at, user.last_login_ip
        user.last_login_at, user.last_login_ip = now, address or None
        record("login.success", obj=user, user=user, label=user.display_name, summary="登录成功")
        db.session.commit()
        return user

    reason = "账户已停用" if user is not None and not user.active and ok else "用户名或密码错误"
    longest, pair_failures = None, 1
    for kind, row in rows.items():
        if row is None:
            row = LoginThrottle(key=keys[kind], kind=kind, username="" if kind == ThrottleKind.ADDRESS else key,
                                address="" if kind == ThrottleKind.ACCOUNT else address,
                                failed_count=0, lock_count=0)
            db.session.add(row)
        elif row.last_failed_at is not None and now - row.last_failed_at > QUIET_RESET:
            row.failed_count, row.lock_count = 0, 0
        row.failed_count += 1
        row.last_failed_at = now
        if kind == ThrottleKind.PAIR:
            pair_failures = row.failed_count
        if row.failed_count >= _thresholds(config)[kind]:
            row.lock_count += 1
            row.failed_count = 0
            row.locked_until = now + lock_length(config, row.lock_count)
            longest = max(longest or row.locked_until, row.locked_until)
            _announce_lock(row, user)
    record("login.failure", object_type="User", object_id=getattr(user, "id", None), label=key,
           username=key, summary=f"登录失败（该地址第 {pair_failures} 次）：{reason}")
    db.session.commit()
    if longest is not None:
        raise DomainError(LOCKED_MESSAGE.format(minutes=_minutes_left(longest, now)), status=401)
    raise DomainError(FAILED_MESSAGE, status=401)


THROTTLE_LABELS = {ThrottleKind.PAIR: "该地址登录该账户", ThrottleKind.ADDRESS: "该地址登录所有账户",
                   ThrottleKind.ACCOUNT: "该账户（所有地址）"}


def describe_lock(row: LoginThrottle) -> str:
    """One line naming what a lock covers, e.g. `province（来自 10.0.0.7）`."""
    if row.kind == ThrottleKind.ADDRESS:
        return f"来自 {row.address} 的所有登录"
    if row.kind == ThrottleKind.PAIR:
        return f"账户 {row.username}（来自 {row.address}）"
    return f"账户 {row.username}（所有地址）"


def _announce_lock(row: LoginThrottle, user: User | None) -> None:
    """Audit a new lock and tell every active security administrator (in-app notification)."""
    from inspect_app.rectification.notifications import notify

    minutes = _minutes_left(row.locked_until, utcnow())
    summary = f"{describe_lock(row)} 登录失败次数过多，第 {row.lock_count} 次锁定 {minutes} 分钟"
    record("login.locked", object_type="User", object_id=getattr(user, "id", None), label=row.username or row.address,
           username=row.username, summary=summary, after={"locked_until": row.locked_until, "key": row.key})
    admins = db.session.execute(sa.select(User.id).where(User.role == Role.SECURITY_ADMIN,
                                                         User.active.is_(True))).scalars()
    notify(admins, None, "account_locked", summary + "，可在“安全管理”中解除")


def active_locks(now: datetime | None = None) -> list[LoginThrottle]:
    """Locks in force now, longest first: what the security administrator sees."""
    now = now or utcnow()
    return list(db.session.execute(sa.select(LoginThrottle).where(LoginThrottle.locked_until > now)
                                   .order_by(LoginThrottle.locked_until.desc())).scalars())


def unlock(actor: User, key: str) -> LoginThrottle | None:
    """Lift one lock and forget its back-off (the security administrator's decision); audited."""
    row = db.session.get(LoginThrottle, key)
    if row is None:
        return None
    record("login.unlocked", object_type="User", label=row.username or row.address,
           summary=f"解除锁定：{describe_lock(row)}", before={"locked_until": row.locked_until,
                                                            "lock_count": row.lock_count})
    db.session.delete(row)
    db.session.commit()
    return row


# ---------------------------------------------------------------- passwords of a signed-in user

def reuses_recent_password(user: User, password: str) -> bool:
    """Whether `password` is the current one or one of the last PASSWORD_HISTORY (scrypt checks)."""
    hashes = [user.password_hash] + [h.password_hash for h in user.password_history]
    return any(check_password_hash(h, password) for h in dict.fromkeys(hashes))


def change_own_password(user: User, current: str, new: str) -> str | None:
    """Change a user's own password; returns a Chinese error or None. Ends their other sessions."""
    if not user.check_password(current):
        return "当前密码不正确"
    if current == new:
        return "新密码不能与当前密码相同"
    if reuses_recent_password(user, new):
        return "不能使用最近 5 次用过的密码"
    user.set_password(new)
    record("user.password_changed", obj=user, label=user.display_name, summary="本人修改密码",
           after={"session_version": user.session_version})
    db.session.commit()
    return None


def password_change_due(user: User, max_age_days: int | None, now: datetime | None = None) -> str | None:
    """Why this signed-in account must change its password before anything else, or None.

    A password set by an administrator (or at account creation) must be changed at the first
    sign-in; with PASSWORD_MAX_AGE_DAYS set, a password older than that too. Demo accounts never.
    """
    if user.is_demo:
        return None
    if user.must_change_password:
        return "首次登录或管理员重置密码后，请先修改密码"
    if max_age_days and user.password_changed_at is not None \
            and (now or utcnow()) - user.password_changed_at > timedelta(days=max_age_days):
        return f"密码已超过 {max_age_days} 天未修改，请先修改密码"
    return None


def previous_sign_in_notice(user: User) -> str:
    """The message shown after signing in: when (Beijing time) and from where the account signed
    in last time, so its owner notices a sign-in that was not theirs (等保: 登录成功后提示上次登录信息)."""
    from inspect_app.documents.dates import cn_datetime

    if user.previous_login_at is None:
        return "这是该账户的首次登录"
    return f"上次登录：{cn_datetime(user.previous_login_at)}，地址 {user.previous_login_ip or '未知'}"
