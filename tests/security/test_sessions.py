"""Sessions (issue 11, seen 2): logout ends the session on the server, an absolute lifetime caps a
session however active it is, and signing in shows the previous sign-in.

Before: the signed cookie was the whole session, so a copy taken before logout kept reading and
writing, and every response re-issued a fresh 30-minute cookie, so a stolen one lived for ever.
"""
from datetime import datetime, timedelta, timezone

from inspect_app.auth.models import User
from inspect_app.extensions import db
from tests.security.conftest import post_login


def _cookie(client, app) -> str:
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def test_a_cookie_copied_before_logout_is_refused_afterwards(app, world, password):
    owner = app.test_client()
    assert post_login(owner, "xinye", password).status_code == 302
    copied = _cookie(owner, app)
    assert owner.post("/logout").status_code == 302

    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    site = world.site(world.xinye)
    response = thief.post(f"/org/sites/{site.id}", data={"name": "被盗用的会话改的", "kind_id": site.kind_id,
                                                         "community_id": 0, "address": "", "active": "y"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]  # valid CSRF, no session
    assert db.session.get(type(site), site.id).name != "被盗用的会话改的"


def test_logout_is_recorded_with_the_new_session_version(app, client, world, password):
    post_login(client, "xinye", password)
    before = db.session.get(User, world.users["xinye"].id).session_version
    client.post("/logout")
    db.session.expire_all()
    assert db.session.get(User, world.users["xinye"].id).session_version == before + 1


def test_an_active_session_ends_after_the_absolute_lifetime(app, client, world, password):
    post_login(client, "xinye", password)
    assert client.get("/").status_code == 200
    now = datetime.now(timezone.utc)
    with client.session_transaction() as sess:
        sess["seen"] = now.timestamp()          # active a moment ago: the idle rule does not apply
        sess["started"] = (now - timedelta(hours=12, seconds=5)).timestamp()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "登录已超过 12 小时" in client.get("/login").get_data(as_text=True)


def test_a_session_within_the_absolute_lifetime_continues(client, world, password):
    post_login(client, "xinye", password)
    now = datetime.now(timezone.utc)
    with client.session_transaction() as sess:
        sess["seen"] = now.timestamp()
        sess["started"] = (now - timedelta(hours=11, minutes=50)).timestamp()
    assert client.get("/").status_code == 200


def test_the_absolute_lifetime_is_configurable(app, client, world, password, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 1)
    post_login(client, "xinye", password)
    with client.session_transaction() as sess:
        sess["started"] = (datetime.now(timezone.utc) - timedelta(minutes=61)).timestamp()
    assert client.get("/").status_code == 302


def test_activity_does_not_move_the_start_stamp(client, world, password):
    post_login(client, "xinye", password)
    with client.session_transaction() as sess:
        started = sess["started"]
    client.get("/")
    client.get("/org/counties")
    with client.session_transaction() as sess:
        assert sess["started"] == started


def test_htmx_requests_after_expiry_are_sent_to_sign_in(client, world, password):
    post_login(client, "xinye", password)
    with client.session_transaction() as sess:
        sess["started"] = (datetime.now(timezone.utc) - timedelta(hours=13)).timestamp()
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].endswith("/login")


def test_signing_in_shows_the_previous_sign_in_time_and_address(app, world, password):
    first = app.test_client()
    post_login(first, "xinye", password, address="10.1.2.3")
    assert "这是该账户的首次登录" in first.get("/").get_data(as_text=True)
    second = app.test_client()
    post_login(second, "xinye", password, address="10.9.8.7")
    text = second.get("/").get_data(as_text=True)
    assert "上次登录：" in text and "10.1.2.3" in text
    user = db.session.get(User, world.users["xinye"].id)
    assert user.last_login_ip == "10.9.8.7" and user.previous_login_ip == "10.1.2.3"
