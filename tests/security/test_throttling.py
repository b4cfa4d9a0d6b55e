"""Throttling (issue 11, seen 10): failures counted per address across accounts as well as per
account, with back-off instead of a flat account lock, and locks the security admin sees and lifts.

Before: 32 wrong passwords spread over 8 accounts from one address locked nothing, and anyone
could lock `province` for 15 minutes with 5 requests, again and again.
"""
from datetime import timedelta

import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.auth.models import LoginThrottle
from inspect_app.auth.service import lock_length
from inspect_app.extensions import db, utcnow
from inspect_app.rectification.models import Notification
from tests.security.conftest import post_login

ATTACKER, OWNER = "203.0.113.66", "10.20.30.40"
LOCKED = "登录失败次数过多"


def _actions():
    return [e.action for e in db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars()]


def test_spraying_eight_accounts_from_one_address_locks_that_address(app, client, world, password):
    names = ["admin", "auditor", "province", "viewer", "nanyang", "leader8", "inspector8", "xinye"]
    texts = [post_login(client, names[i % 8], f"guess-{i}x", ATTACKER).get_data(as_text=True) for i in range(32)]
    assert any(LOCKED in t for t in texts)
    # From that address even a right password of yet another account is refused for now ...
    response = post_login(client, "tongbai", password, ATTACKER)
    assert response.status_code == 401 and LOCKED in response.get_data(as_text=True)
    # ... while the same account from its owner's address signs in.
    assert post_login(app.test_client(), "tongbai", password, OWNER).status_code == 302
    row = db.session.get(LoginThrottle, f"address:{ATTACKER}")
    assert row.locked_until > utcnow()


def test_a_stranger_cannot_lock_the_real_user_out(app, client, world, password):
    for _ in range(5):
        post_login(client, "province", "wrong-1x", ATTACKER)
    assert LOCKED in post_login(client, "province", password, ATTACKER).get_data(as_text=True)
    assert post_login(app.test_client(), "province", password, OWNER).status_code == 302


def test_repeated_locks_back_off_exponentially_and_never_last_for_ever(app, client, world):
    config = app.config
    assert [lock_length(config, n) for n in (1, 2, 3)] == [timedelta(minutes=15), timedelta(minutes=30),
                                                           timedelta(minutes=60)]
    assert lock_length(config, 40) == timedelta(hours=24)
    key = f"pair:province@{ATTACKER}"
    for round_ in (1, 2):
        for _ in range(5):
            post_login(client, "province", "wrong-1x", ATTACKER)
        row = db.session.get(LoginThrottle, key)
        assert row.lock_count == round_
        assert row.locked_until - utcnow() > lock_length(config, round_) - timedelta(minutes=1)
        row.locked_until = utcnow() - timedelta(seconds=1)   # time passes
        db.session.commit()


def test_a_distributed_attack_locks_the_account_only_for_the_back_off(app, world, password, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 6)
    for i in range(6):
        post_login(app.test_client(), "province", "wrong-1x", f"198.51.100.{i}")
    assert LOCKED in post_login(app.test_client(), "province", password, OWNER).get_data(as_text=True)
    row = db.session.get(LoginThrottle, "account:province")
    assert row.locked_until <= utcnow() + timedelta(minutes=15)
    row.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert post_login(app.test_client(), "province", password, OWNER).status_code == 302


def test_the_security_admin_is_told_sees_and_lifts_a_lock(app, client, world, secadmin, login_as, password):
    attacker = app.test_client()
    for _ in range(5):
        post_login(attacker, "province", "wrong-1x", ATTACKER)
    notes = db.session.execute(sa.select(Notification).where(Notification.user_id == secadmin.id)).scalars().all()
    assert len(notes) == 1 and notes[0].kind == "account_locked" and "province" in notes[0].message
    assert "login.locked" in _actions()

    login_as("secadmin")
    page = client.get("/admin/security").get_data(as_text=True)
    assert "province" in page and ATTACKER in page and "解除锁定" in page
    response = client.post("/admin/security/unlock", data={"key": f"pair:province@{ATTACKER}"})
    assert response.status_code == 302
    assert db.session.get(LoginThrottle, f"pair:province@{ATTACKER}") is None
    assert "login.unlocked" in _actions()
    assert post_login(app.test_client(), "province", password, ATTACKER).status_code == 302


def test_only_the_security_admin_manages_locks(client, world, login_as):
    for name in ("admin", "auditor", "province", "xinye"):
        login_as(name)
        assert client.get("/admin/security").status_code == 403
        assert client.post("/admin/security/unlock", data={"key": "x"}).status_code == 403


def test_failure_counts_decay_after_a_quiet_day(app, client, world):
    for _ in range(4):
        post_login(client, "province", "wrong-1x", ATTACKER)
    row = db.session.get(LoginThrottle, f"pair:province@{ATTACKER}")
    row.last_failed_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    post_login(client, "province", "wrong-1x", ATTACKER)
    db.session.expire_all()
    row = db.session.get(LoginThrottle, f"pair:province@{ATTACKER}")
    assert row.failed_count == 1 and row.locked_until is None


def test_each_failure_is_audited_with_its_count_from_that_address(client, world):
    for _ in range(3):
        post_login(client, "province", "wrong-1x", ATTACKER)
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "login.failure")
                               .order_by(AuditEvent.id.desc())).scalars().first()
    assert "第 3 次" in event.summary and event.ip == ATTACKER


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(world):
    """Behind nginx every request comes from the proxy: without TRUSTED_PROXIES one address lock
    would shut every user out; with it, the client's own address is counted."""
    from inspect_app import create_app
    from tests.conftest import Config

    class Proxied(Config):
        TRUSTED_PROXIES = 1
        WTF_CSRF_ENABLED = False   # this second app has no CSRF-sending test client
    app = create_app(Proxied)
    with app.app_context():
        client = app.test_client()
        for _ in range(5):
            client.post("/login", data={"username": "province", "password": "wrong-1x"},
                        headers={"X-Forwarded-For": ATTACKER}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
        assert db.session.get(LoginThrottle, f"pair:province@{ATTACKER}").locked_until is not None
        assert db.session.get(LoginThrottle, "pair:province@10.0.0.1") is None
        db.session.remove()
        db.engine.dispose()
