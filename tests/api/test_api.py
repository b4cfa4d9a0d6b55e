"""GET /api/v1/closure (session or bearer token, same scope as the dashboard) and the token screen."""
import hashlib

import pytest
import sqlalchemy as sa

from inspect_app.api.models import ApiToken
from inspect_app.audit.models import AuditEvent
from inspect_app.dashboard import service
from inspect_app.extensions import db
from tests.api.factories import LAST_SECOND, known_items
from tests.conftest import HX


@pytest.fixture
def items(world, monkeypatch):
    monkeypatch.setattr(service, "now", lambda: LAST_SECOND)
    return known_items(world)


def _issue(client, login_as, world, username, name="省级平台对接"):
    login_as("province")
    response = client.post("/api/v1/tokens", data={"user_id": world.users[username].id, "name": name}, headers=HX)
    assert response.status_code == 200
    token = db.session.execute(sa.select(ApiToken).order_by(ApiToken.id.desc())).scalars().first()
    html = response.get_data(as_text=True)
    start = html.index('<p class="mono token-value">') + len('<p class="mono token-value">')
    secret = html[start:html.index("</p>", start)]
    with client.session_transaction() as sess:
        sess.clear()
    return token, secret


def test_closure_by_county_with_session(client, login_as, items):
    login_as("viewer")
    data = client.get("/api/v1/closure?group_by=county&campaign=all").get_json()
    assert data["totals"]["issued"] == 10 and data["totals"]["closed"] == 4 and data["totals"]["overdue"] == 2
    assert data["totals"]["closure_rate"] == 0.4 and data["totals"]["median_days_to_close"] == 13.3
    assert data["as_of"] == "2022-08-10"
    groups = {g["key"]: g for g in data["groups"]}
    assert set(groups) == {"411329", "411330", "411625"}
    assert (groups["411329"]["issued"], groups["411329"]["closed"], groups["411329"]["rag"]) == (6, 2, "red")


@pytest.mark.parametrize("group_by, keys", [
    ("city", {"411300", "411600"}), ("category", {"责任共同体", "管理共同体"}),
    ("severity", {"general", "critical"}), ("type", {"immediate", "deadline", "long_term"}),
])
def test_closure_groupings(client, login_as, items, group_by, keys):
    login_as("province")
    data = client.get(f"/api/v1/closure?group_by={group_by}").get_json()
    assert {g["key"] for g in data["groups"]} == keys
    assert sum(g["issued"] for g in data["groups"]) == 10


def test_team_grouping(client, login_as, items):
    login_as("province")
    data = client.get("/api/v1/closure?group_by=team").get_json()
    assert {g["name"]: g["issued"] for g in data["groups"]} == {"第八核查组": 8, "未分配核查组": 2}


def test_same_figures_as_the_dashboard(client, login_as, items):
    login_as("viewer")
    data = client.get("/api/v1/closure?group_by=city").get_json()
    html = client.get("/dashboard/").get_data(as_text=True)
    assert f'<span class="stat-num">{data["totals"]["issued"]}</span><span class="stat-label">下发问题</span>' in html


@pytest.mark.parametrize("username, keys", [
    ("nanyang", {"411329", "411330"}), ("xinye", {"411329"}), ("leader8", {"411329", "411330"}),
])
def test_scope_with_session(client, login_as, items, username, keys):
    login_as(username)
    data = client.get("/api/v1/closure?group_by=county").get_json()
    assert {g["key"] for g in data["groups"]} == keys


def test_drill_outside_scope_is_json_404(client, login_as, items):
    login_as("xinye")
    response = client.get("/api/v1/closure?county=411330")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    response = client.get("/api/v1/closure?city=411600")
    assert response.status_code == 404


def test_bad_arguments_are_400(client, login_as, items):
    login_as("viewer")
    assert client.get("/api/v1/closure?group_by=site").status_code == 400
    assert client.get("/api/v1/closure?from=2022-13-01").status_code == 400
    assert client.get("/api/v1/closure?campaign=x").status_code == 400


def test_anonymous_is_401_json(client, items):
    response = client.get("/api/v1/closure")
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("username", ["inspector8", "xinye-wjw"])
def test_roles_without_dashboard_are_403_json(client, login_as, items, username):
    login_as(username)
    response = client.get("/api/v1/closure")
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


def test_token_acts_with_its_users_scope(client, login_as, world, items):
    token, secret = _issue(client, login_as, world, "nanyang")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in token.token_hash
    assert len(secret) >= 43
    response = client.get("/api/v1/closure?group_by=county", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert {g["key"] for g in response.get_json()["groups"]} == {"411329", "411330"}
    assert "Set-Cookie" not in response.headers            # a token request opens no session
    assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_token_does_not_open_html_pages(client, login_as, world, items):
    _token, secret = _issue(client, login_as, world, "viewer")
    response = client.get("/dashboard/", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 302
    assert client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"}).status_code == 302


def test_revoked_or_wrong_token_is_401(client, login_as, world, items):
    token, secret = _issue(client, login_as, world, "viewer")
    assert client.get("/api/v1/closure", headers={"Authorization": "Bearer nope"}).status_code == 401
    login_as("province")
    assert client.post(f"/api/v1/tokens/{token.id}/revoke", headers=HX).status_code == 200
    with client.session_transaction() as sess:
        sess.clear()
    assert client.get("/api/v1/closure", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    actions = [e.action for e in db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    # Both refusals are security events too (the unknown token, then the revoked one).
    assert actions[-4:] == ["api_token.issue", "api_token.refused", "api_token.revoke", "api_token.refused"]


def test_token_of_a_disabled_user_is_401(client, login_as, world, items):
    _token, secret = _issue(client, login_as, world, "viewer")
    world.users["viewer"].active = False
    db.session.commit()
    assert client.get("/api/v1/closure", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_token_screen_access(client, login_as, world, items):
    for username in ("province", "admin"):
        login_as(username)
        page = client.get("/api/v1/tokens")
        assert page.status_code == 200 and "签发令牌" in page.get_data(as_text=True)
    for username in ("viewer", "nanyang", "xinye", "auditor"):
        login_as(username)
        assert client.get("/api/v1/tokens").status_code == 403
        assert client.post("/api/v1/tokens", data={"user_id": 1, "name": "x"}).status_code == 403


def test_token_screen_validation_and_csrf(client, login_as, world, items):
    login_as("province")
    response = client.post("/api/v1/tokens", data={"user_id": world.users["viewer"].id, "name": ""}, headers=HX)
    assert response.status_code == 422 and "请填写令牌用途" in response.get_data(as_text=True)
    # Accounts that may not read the figures cannot be given a token.
    response = client.post("/api/v1/tokens", data={"user_id": world.users["inspector8"].id, "name": "x"}, headers=HX)
    assert response.status_code == 422
    response = client.post("/api/v1/tokens", data={"user_id": world.users["viewer"].id, "name": "x"}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_secret_is_shown_once(client, login_as, world, items):
    _token, secret = _issue(client, login_as, world, "viewer")
    login_as("province")
    assert secret not in client.get("/api/v1/tokens").get_data(as_text=True)


@pytest.mark.parametrize("username, scope", [
    ("tongbai", {"code": "411330", "name": "桐柏县"}),
    ("nanyang", {"code": "411300", "name": "南阳市"}),
    ("viewer", {"code": None, "name": "全省"}),
])
def test_scope_names_the_users_real_scope(client, login_as, world, items, username, scope):
    """Without ?county= / ?city= the answer names the caller's own county or city (session or token)."""
    token, secret = _issue(client, login_as, world, username)
    data = client.get("/api/v1/closure", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert data["scope"] == scope

def test_closure_groups_come_in_pages(client, login_as, items):
    """Grouped over all campaigns the answer grew without bound (8.3 MB by unit at 10⁶): it pages."""
    login_as("viewer")
    keys, url = [], "/api/v1/closure?group_by=county&campaign=all&per_page=2"
    while url:
        data = client.get(url).get_json()
        assert len(data["groups"]) <= 2 and data["paging"]["groups_total"] == 3
        assert data["totals"]["issued"] == 10            # totals always cover every group
        keys += [g["key"] for g in data["groups"]]
        url = data["paging"]["next"]
    assert sorted(keys) == ["411329", "411330", "411625"]
    assert client.get("/api/v1/closure?per_page=0").status_code == 400
    assert client.get("/api/v1/closure?per_page=5000").status_code == 400
