"""Issue 9, the server's part of drafts that outlive the session: the way back after signing in
again (`next`, same-site paths only), the session status / token endpoint, the keepalive, and
expired sessions answered so that the page can keep its typed text."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from inspect_app.auth.sessions import idle_remaining, safe_next_path

HX = {"HX-Request": "true"}


def _seen_ago(client, minutes):
    with client.session_transaction() as sess:
        sess["seen"] = (datetime.now(timezone.utc) - timedelta(minutes=minutes)).timestamp()


def _seen(client):
    with client.session_transaction() as sess:
        return sess.get("seen")


@pytest.mark.parametrize("target", [
    None, "", "visits/3", "//evil.example/x", "///evil.example", "https://evil.example/x", "http:/x",
    "/\\evil.example", "/\\/evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example",
    "/ /evil.example", "javascript:alert(1)", "/login", "/login?next=/x", "/logout", "/session",
    "/session/keepalive", "/" + "a" * 2001,
])
def test_unsafe_next_targets_are_refused(target):
    assert safe_next_path(target) is None


@pytest.mark.parametrize("target", ["/", "/visits/12", "/items/4/actions/post_progress", "/items/?status=submitted&page=2",
                                    "/problem-lists/5/411329#finding-3", "/visits/%5Cx"])
def test_same_site_paths_are_kept(target):
    assert safe_next_path(target) == target


def test_idle_remaining_counts_down_in_seconds():
    assert idle_remaining(1000.0, 1000.0 + 60, 30) == 1740
    assert idle_remaining(1000.0, 1000.0 + 31 * 60, 30) == 0
    assert idle_remaining(None, 5.0, 30) == 1800


@pytest.mark.parametrize("target", ["/\\evil.example/x", "/\t/evil.example", "https:evil.example"])
def test_sign_in_refuses_tricky_next_values(client, world, password, target):
    response = client.post("/login", query_string={"next": target}, data={"username": "xinye", "password": password})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_with_its_query(client, world, password):
    response = client.post("/login", query_string={"next": "/items/?status=submitted"},
                           data={"username": "xinye", "password": password})
    assert response.headers["Location"] == "/items/?status=submitted"


def test_login_page_when_already_signed_in_follows_next(client, world, login_as):
    """Signed in again in another tab: the old tab's /login?next=… still goes back to its page."""
    login_as("xinye")
    assert client.get("/login?next=/items/").headers["Location"] == "/items/"
    assert client.get("/login?next=//evil.example").headers["Location"] == "/"


def test_full_page_request_after_timeout_keeps_the_way_back(client, world, login_as):
    login_as("xinye")
    _seen_ago(client, 31)
    response = client.get("/items/?status=submitted")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/items/?status%3Dsubmitted"


def test_htmx_save_after_timeout_is_401_with_the_page_to_return_to(client, world, login_as):
    login_as("xinye")
    _seen_ago(client, 31)
    response = client.post("/items/1/actions/comment", data={"text": "未保存的评论"},
                           headers={**HX, "HX-Current-URL": "http://localhost/items/1?tab=x"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/items/1?tab%3Dx"
    assert response.get_json()["signed_in"] is False


def test_htmx_from_another_origin_gets_no_next(client, world, login_as):
    login_as("xinye")
    _seen_ago(client, 31)
    response = client.post("/items/1/actions/comment", data={"text": "x"},
                           headers={**HX, "HX-Current-URL": "http://evil.example/items/1"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"


def test_boosted_navigation_after_timeout_returns_to_where_it_was_going(client, world, login_as):
    login_as("xinye")
    _seen_ago(client, 31)
    response = client.get("/items/", headers={**HX, "HX-Boosted": "true",
                                              "HX-Current-URL": "http://localhost/"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login?next=/items/"


def test_missing_session_on_a_save_is_a_sign_in_problem_not_page_expired(client, world):
    """The cookie expired on a sleeping tablet: no CSRF token in the session. The page must learn
    that it has to sign in again (401 and the way back), not 400 页面已过期."""
    response = client.post("/items/1/actions/comment", data={"text": "x"}, csrf=False,
                           headers={**HX, "X-CSRFToken": "stale", "HX-Current-URL": "http://localhost/items/1"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login?next=/items/1"
    assert "登录已过期" in client.get("/login").get_data(as_text=True)


def test_stale_token_with_a_live_session_says_so(client, world, login_as):
    """Signed in again in another tab: the session is new, the page's token is old. 400 with a
    header the page recognises, so it can fetch the current token and retry."""
    login_as("xinye")
    response = client.post("/items/1/actions/comment", data={"text": "x"}, csrf=False,
                           headers={**HX, "X-CSRFToken": "stale"})
    assert response.status_code == 400 and response.headers["X-CSRF-Expired"] == "1"
    page = client.post("/items/1/actions/comment", data={"text": "x"}, csrf=False)
    assert page.status_code == 400 and page.headers["X-CSRF-Expired"] == "1" and "请求已失效" in page.get_data(as_text=True)


def test_stale_token_on_the_login_form_shows_the_form_again(client, world, password):
    response = client.post("/login?next=/items/", data={"username": "xinye", "password": password}, csrf=False)
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/items/"
    assert "页面已过期" in client.get("/login?next=/items/").get_data(as_text=True)


def test_session_status_gives_the_current_token_and_is_not_activity(client, world, login_as):
    login_as("xinye")
    _seen_ago(client, 10)
    before = _seen(client)
    response = client.get("/session")
    data = response.get_json()
    assert response.status_code == 200 and data["signed_in"] is True and data["user"] == world.users["xinye"].id
    assert data["csrf_token"] == client.csrf_token()
    assert data["idle_timeout"] == 1800 and 1195 <= data["idle_remaining"] <= 1200 and data["idle_warning"] == 120
    assert _seen(client) == before
    assert response.headers["Cache-Control"] == "no-store"
    # The token it gives is accepted by a save.
    response = client.post("/session/keepalive", csrf=False, headers={"X-CSRFToken": data["csrf_token"]})
    assert response.status_code == 200


def test_session_status_when_signed_out_is_401_json(client, world):
    response = client.get("/session", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.get_json()["signed_in"] is False
    assert "csrf_token" not in response.get_json()


def test_session_status_after_the_timeout_is_401_with_the_way_back(client, world, login_as):
    login_as("xinye")
    _seen_ago(client, 31)
    response = client.get("/session", headers={"Accept": "application/json",
                                                "Referer": "http://localhost/visits/3"})
    assert response.status_code == 401
    assert json.loads(response.get_data())["login_url"] == "/login?next=/visits/3"
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302   # really signed out


def test_keepalive_restarts_the_idle_clock(client, world, login_as):
    login_as("xinye")
    _seen_ago(client, 29)
    response = client.post("/session/keepalive", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["idle_remaining"] >= 1799
    assert datetime.now(timezone.utc).timestamp() - _seen(client) < 5
    _seen_ago(client, 29)
    assert client.get("/session").get_json()["idle_remaining"] <= 61


def test_keepalive_needs_a_session_and_a_token(client, world, login_as):
    assert client.post("/session/keepalive", headers={"Accept": "application/json"}).status_code == 401
    login_as("xinye")
    assert client.post("/session/keepalive", csrf=False).status_code == 400
    assert client.get("/session/keepalive").status_code == 405


def test_the_bell_poll_is_not_activity_but_tells_the_time_left(client, world, login_as):
    login_as("xinye")
    _seen_ago(client, 20)
    before = _seen(client)
    response = client.get("/items/notifications/bell", headers=HX)
    assert response.status_code == 200 and _seen(client) == before
    assert 595 <= int(response.headers["X-Idle-Remaining"]) <= 600
    assert int(client.get("/").headers["X-Idle-Remaining"]) >= 1799


def test_pages_carry_the_idle_settings_and_the_user_for_drafts(client, world, login_as):
    user = login_as("xinye")
    text = client.get("/").get_data(as_text=True)
    assert f'data-user="{user.id}"' in text and 'data-idle-seconds="1800"' in text
    assert 'data-idle-warning="120"' in text and 'data-keepalive="60"' in text
    assert "js/drafts.js" in text and "data-sign-out" in text


def test_the_sign_in_page_says_once_why_it_is_shown(client, world, login_as):
    login_as("xinye")
    _seen_ago(client, 31)
    client.get("/items/")
    text = client.get("/login").get_data(as_text=True)
    assert "长时间未操作" in text and "请先登录" not in text
    client.get("/items/")
    assert "请先登录" in client.get("/login").get_data(as_text=True)
