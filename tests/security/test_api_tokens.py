"""API tokens (issue 11, point 12): they expire, keep the scope they were issued with, and die with
a disabled account — re-enabling it revives nothing."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from inspect_app.api.models import ApiToken
from inspect_app.campaigns.models import Team
from inspect_app.documents.dates import cn_date
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.users import service as users
from tests.conftest import HX
from tests.security.support import bearer, events, issue_token

URL = "/api/v1/closure?group_by=county"


def _call(client, secret):
    response = client.get(URL, headers=bearer(secret))
    return response.status_code, (response.get_json() or {}).get("message", "")


def _edit(user, **changes) -> dict:
    values = {"display_name": user.display_name, "organisation": user.organisation, "role": user.role.value,
              "region_code": user.region.code if user.region else None, "unit_id": user.unit_id, "active": user.active}
    values.update(changes)
    return values


def test_expiry_is_chosen_at_issue_defaults_to_a_year_and_is_shown(client, login_as, world):
    login_as("province")
    response = client.post("/api/v1/tokens", data={"user_id": world.users["viewer"].id, "name": "对接"}, headers=HX)
    assert response.status_code == 200
    token = db.session.execute(sa.select(ApiToken)).scalar_one()
    assert timedelta(days=364) < token.expires_at - datetime.now(timezone.utc) <= timedelta(days=365)
    response = client.post("/api/v1/tokens", data={"user_id": world.users["viewer"].id, "name": "短期",
                                                   "valid_days": "30"}, headers=HX)
    short = db.session.execute(sa.select(ApiToken).where(ApiToken.name == "短期")).scalar_one()
    assert timedelta(days=29) < short.expires_at - datetime.now(timezone.utc) <= timedelta(days=30)
    html = client.get("/api/v1/tokens").get_data(as_text=True)
    assert "<th>有效期</th>" in html and "1 年" in html and f"至<br>{cn_date(short.expires_at)}" in html
    bad = client.post("/api/v1/tokens", data={"user_id": world.users["viewer"].id, "name": "x",
                                              "valid_days": "9999"}, headers=HX)
    assert bad.status_code == 422


def test_expired_token_is_refused_and_the_refusal_audited(client, login_as, world):
    token, secret = issue_token(world)
    assert _call(client, secret)[0] == 200
    token.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    db.session.commit()
    assert _call(client, secret) == (401, "令牌已过期，请联系管理员重新签发")
    (refused,) = events("api_token.refused")
    assert refused.object_id == str(token.id) and refused.summary.startswith("令牌已过期")
    login_as("province")
    assert '<span class="muted">已过期</span>' in client.get("/api/v1/tokens").get_data(as_text=True)


@pytest.mark.parametrize("username, change", [
    ("viewer", {"role": "province_admin"}),                       # role changed
    ("nanyang", {"region_code": "411600"}),                       # moved to another city (周口市)
    ("xinye", {"region_code": "411330"}),                         # moved to another county (桐柏县)
])
def test_token_stops_when_its_owners_scope_changes(client, world, username, change):
    token, secret = issue_token(world, username)
    assert _call(client, secret)[0] == 200
    owner = world.users[username]
    original = _edit(owner)
    users.update_user(world.users["admin"], owner, _edit(owner, **change), owner.version)
    status, message = _call(client, secret)
    assert (status, message) == (401, "令牌所属账户的角色或管辖范围已变更，令牌已失效，请重新签发")
    # Changing the scope back makes the token valid again: it is fixed to the scope at issue.
    users.update_user(world.users["admin"], owner, original, owner.version)
    assert _call(client, secret)[0] == 200


def test_team_leaders_token_is_fixed_to_their_teams(client, world):
    token, secret = issue_token(world, "leader8")
    assert token.scope_teams != "" and _call(client, secret)[0] == 200
    team = db.session.execute(sa.select(Team)).scalars().first()
    db.session.add(Team(campaign_id=team.campaign_id, name="第九核查组", leader_id=world.users["leader8"].id))
    db.session.commit()
    assert _call(client, secret)[0] == 401


def test_disabling_revokes_and_re_enabling_revives_nothing(client, world):
    token, secret = issue_token(world, "viewer")
    assert _call(client, secret)[0] == 200
    owner, admin = world.users["viewer"], world.users["admin"]
    users.update_user(admin, owner, _edit(owner, active=False), owner.version)
    assert _call(client, secret) == (401, "令牌已吊销")
    (revoke,) = events("api_token.revoke")
    assert revoke.username == "admin" and revoke.object_id == str(token.id) and "停用" in revoke.summary
    users.update_user(admin, owner, _edit(owner, active=True), owner.version)
    assert _call(client, secret) == (401, "令牌已吊销")


def test_an_owner_disabled_behind_the_apps_back_still_loses_the_token(client, world):
    """Disabled outside the user screen (e.g. in the database): the first use revokes the token."""
    token, secret = issue_token(world, "viewer")
    owner = world.users["viewer"]
    owner.active = False
    db.session.commit()
    assert _call(client, secret) == (401, "令牌所属账户已停用，令牌已吊销")
    owner.active = True
    db.session.commit()
    assert _call(client, secret) == (401, "令牌已吊销")
    assert db.session.get(ApiToken, token.id).revoked_at is not None


def test_issue_refuses_a_validity_over_a_year(world):
    with pytest.raises(DomainError) as refused:
        issue_token(world, days=400)
    assert (refused.value.status, refused.value.field) == (422, "valid_days")
