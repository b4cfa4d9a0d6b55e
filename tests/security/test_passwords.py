"""Passwords (issue 11, seen 9): weak passwords refused with a Chinese message, a change forced
after an administrator sets a password, no reuse of the last five, optional expiry, demo accounts
exempt and marked.

Before: `password1`, `tongbai123`, the demo password and seven spaces + `a1` were all accepted,
an administrator's password stayed, and the previous password could be chosen again.
"""
from datetime import timedelta

import pytest

from inspect_app.auth.models import User
from inspect_app.auth.service import DEMO_PASSWORD, password_problems
from inspect_app.extensions import db, utcnow
from tests.security.conftest import post_login

STRONG = ["Qz7!mTb4Kx", "Hv3#pLw9Rs", "Nk8$dFy2Jc", "Ub5%gXe7Wm", "Tr6&hZq3Vn", "Wy2*kMs8Pd"]


def _change(client, current, new):
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                  "confirm": new})


@pytest.mark.parametrize("weak, message", [
    ("password1", "密码过于常见或容易被猜到"),
    ("tongbai123", "密码不能包含用户名"),
    ("TongBai2024x", "密码不能包含用户名"),
    (DEMO_PASSWORD, "不能使用公开的演示密码"),
    ("       a1", "密码不能主要由空格组成"),
    ("Abcd1234", "密码过于常见或容易被猜到"),
])
def test_weak_passwords_are_refused_with_a_chinese_message(client, world, login_as, password, weak, message):
    login_as("tongbai")
    before = db.session.get(User, world.users["tongbai"].id).password_hash
    response = _change(client, password, weak)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.users["tongbai"].id).password_hash == before


def test_a_strong_password_is_accepted(client, world, login_as, password):
    login_as("tongbai")
    assert _change(client, password, STRONG[0]).status_code == 302


def test_the_policy_function_takes_the_username_and_the_demo_flag():
    assert password_problems(DEMO_PASSWORD, 8, "secadmin", is_demo=True) == []
    assert "不能使用公开的演示密码" in password_problems(DEMO_PASSWORD, 8, "zhangsan")
    assert "密码不能主要由空格组成" in password_problems(" " * 6 + "ab12", 8, "x")
    assert password_problems(" " * 3 + "Qz7!mTb4Kx", 8, "x") == []   # spaces count, nothing is stripped


def test_an_administrators_password_must_be_changed_before_anything_else(app, client, world, login_as):
    login_as("province")
    user = world.users["xinye"]
    assert client.post(f"/admin/users/{user.id}/password", data={"password": STRONG[1]}).status_code == 302
    person = app.test_client()
    assert post_login(person, "xinye", STRONG[1]).status_code == 302
    for path in ("/", "/org/counties", "/items/"):
        response = person.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    response = person.get("/org/counties", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].endswith("/account/password")
    page = person.get("/account/password")
    assert page.status_code == 200 and "请先修改密码" in page.get_data(as_text=True)
    assert _change(person, STRONG[1], STRONG[2]).status_code == 302
    assert person.get("/").status_code == 200


def test_a_new_account_changes_its_password_at_the_first_sign_in(app, client, world, login_as):
    login_as("province")
    response = client.post("/admin/users/new", data={
        "username": "wangwu", "display_name": "王五", "organisation": "", "role": "province_viewer",
        "region_code": "", "unit_id": "0", "active": "y", "password": STRONG[0]})
    assert response.status_code == 302
    person = app.test_client()
    post_login(person, "wangwu", STRONG[0])
    assert person.get("/").headers["Location"].endswith("/account/password")


def test_signing_out_is_still_possible_while_a_change_is_due(app, world, login_as, password):
    user = world.users["xinye"]
    user.must_change_password = True
    db.session.commit()
    person = app.test_client()
    post_login(person, "xinye", password)
    assert person.post("/logout").status_code == 302


def test_the_last_five_passwords_cannot_be_reused(client, world, login_as, password):
    login_as("tongbai")
    current = password
    for new in STRONG[:5]:
        assert _change(client, current, new).status_code == 302
        current = new
    for old in STRONG[1:4]:
        response = _change(client, current, old)
        assert response.status_code == 422 and "不能使用最近 5 次用过的密码" in response.get_data(as_text=True)
    # The sixth-newest (the original) has dropped out of the history.
    assert _change(client, current, password).status_code == 302
    assert len(db.session.get(User, world.users["tongbai"].id).password_history) == 5


def test_an_administrator_cannot_reset_to_a_recent_password(client, world, login_as, password):
    login_as("province")
    user = world.users["xinye"]
    client.post(f"/admin/users/{user.id}/password", data={"password": STRONG[0]})
    response = client.post(f"/admin/users/{user.id}/password", data={"password": STRONG[0]})
    assert response.status_code == 422 and "最近 5 次" in response.get_data(as_text=True)


def test_expiry_is_off_by_default_and_forces_a_change_when_set(app, world, password, monkeypatch):
    user = world.users["xinye"]
    user.password_changed_at = utcnow() - timedelta(days=400)
    db.session.commit()
    person = app.test_client()
    post_login(person, "xinye", password)
    assert person.get("/").status_code == 200
    monkeypatch.setitem(app.config, "PASSWORD_MAX_AGE_DAYS", 90)
    response = person.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    assert "超过 90 天" in person.get("/account/password").get_data(as_text=True)


def test_demo_accounts_are_exempt_and_marked(app, client, world, login_as, password, monkeypatch):
    user = world.users["xinye"]
    user.is_demo = True
    user.set_password(DEMO_PASSWORD, chosen_by_user=False)
    user.password_changed_at = utcnow() - timedelta(days=400)
    db.session.commit()
    assert user.must_change_password is False
    monkeypatch.setitem(app.config, "PASSWORD_MAX_AGE_DAYS", 90)
    person = app.test_client()
    post_login(person, "xinye", DEMO_PASSWORD)
    assert person.get("/").status_code == 200
    login_as("province")
    text = client.get("/admin/users?q=xinye").get_data(as_text=True)
    assert "演示账户" in text


def test_the_demo_seed_marks_its_accounts_and_adds_secadmin(runner):
    import sqlalchemy as sa

    from inspect_app.roles import Role

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    users = db.session.execute(sa.select(User)).scalars().all()
    assert users and all(u.is_demo and not u.must_change_password for u in users)
    secadmin = next(u for u in users if u.username == "secadmin")
    assert secadmin.role == Role.SECURITY_ADMIN and secadmin.check_password(DEMO_PASSWORD)


def test_the_bell_still_answers_while_a_change_is_due(app, world, password):
    """The bell polls from every page, the change-password page included: redirecting it would make
    htmx reload that page for ever (seen on screen)."""
    user = world.users["xinye"]
    user.must_change_password = True
    db.session.commit()
    person = app.test_client()
    post_login(person, "xinye", password)
    response = person.get("/items/notifications/bell", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
