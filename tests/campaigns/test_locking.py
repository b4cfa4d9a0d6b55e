"""No silent overwrites of campaigns and teams (issue 9, point 7): two province admins editing one."""
import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.locking import MISSING_MESSAGE
from tests.checklists.factories import make_version
from tests.locking import assert_stale_view, audit_count, client_for, race


def values(checklist, **over):
    data = {"name": "2022年紧密型县域医共体建设核查", "year": "2022", "start_date": "2022-07-09",
            "end_date": "2022-07-13", "checklist_version_id": str(checklist.id)}
    return {**data, **over}


def saved(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def test_stale_campaign_edit_is_refused_and_keeps_the_users_text(client, login_as, world):
    version = make_version(publish=True)
    campaign = db.session.execute(sa.select(Campaign)).scalar_one()
    login_as("province")
    url = f"/campaigns/{campaign.id}/edit"
    assert 'name="version" type="hidden" value="1"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data=values(version, end_date="2022-07-15", version=1)).status_code == 302
    events = audit_count()
    stale = client.post(url, data=values(version, name="2022年医共体建设核查（南阳）", version=1))
    html = assert_stale_view(stale, {"end_date": "2022-07-15"}, ["2022年医共体建设核查（南阳）"])
    assert 'name="version" type="hidden" value="2"' in html
    row = saved(Campaign, campaign.id)
    assert row.end_date.day == 15 and row.name == "2022年紧密型县域医共体建设核查" and audit_count() == events
    assert client.post(url, data=values(version, name="2022年医共体建设核查（南阳）", end_date="2022-07-15",
                                        version=2)).status_code == 302
    assert saved(Campaign, campaign.id).version == 3


def test_campaign_edit_without_version_is_refused(client, login_as, world):
    version = make_version(publish=True)
    campaign = db.session.execute(sa.select(Campaign)).scalar_one()
    login_as("province")
    response = client.post(f"/campaigns/{campaign.id}/edit", data=values(version, name="没有版本"))
    assert response.status_code == 422 and MISSING_MESSAGE in response.get_data(as_text=True)


def test_stale_team_edit_shows_the_saved_members(client, login_as, world):
    team = db.session.execute(sa.select(Team)).scalar_one()
    leader, inspector = world.users["leader8"], world.users["inspector8"]
    login_as("province")
    url = f"/campaigns/teams/{team.id}"
    base = {"name": team.name, "leader_id": str(leader.id)}
    assert client.post(url, data={**base, "member_ids": [], "version": 1}).status_code == 302   # inspector removed
    stale = client.post(url, data={**base, "name": "第八核查组（调整）", "member_ids": [inspector.id], "version": 1})
    html = assert_stale_view(stale, {"name": team.name}, ["第八核查组（调整）"])
    saved_members = html.split('data-conflict-saved="member_ids"')[1].split("</div>")[0]
    assert "leader8" in saved_members and "inspector8" not in saved_members
    assert saved(Team, team.id).name == "第八核查组" and saved(Team, team.id).version == 2


def test_parallel_campaign_edits_exactly_one_wins(app, world):
    version = make_version(publish=True)
    campaign = db.session.execute(sa.select(Campaign)).scalar_one()
    url = f"/campaigns/{campaign.id}/edit"
    results = race(app, [(client_for(app, world.users["province"]), url, values(version, name=f"任务{n}", version=1))
                         for n in (1, 2)])
    assert sorted(code for code, _ in results) == [302, 409], [code for code, _ in results]
    assert saved(Campaign, campaign.id).version == 2
