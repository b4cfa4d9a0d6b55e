"""Campaign and team views: pages, fragments, roles (403), other teams' campaigns (404)."""
import pytest
import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from tests.checklists.factories import make_version
from tests.conftest import HX


@pytest.fixture
def version(world):
    return make_version(publish=True)


@pytest.fixture
def campaign(world):
    return db.session.execute(sa.select(Campaign)).scalar_one()


@pytest.fixture
def team(world):
    return db.session.execute(sa.select(Team)).scalar_one()


@pytest.fixture
def other_campaign(world, version):
    """A campaign whose only team has no demo-team member."""
    from datetime import date
    other = Campaign(name="2023年回头看", year=2023, start_date=date(2023, 3, 1), end_date=date(2023, 3, 5),
                     checklist_version_id=version.id)
    db.session.add(other)
    db.session.flush()
    db.session.add(Team(campaign_id=other.id, name="第一核查组"))
    db.session.commit()
    return other


def form_values(version, **changes):
    data = {"name": "2023年紧密型县域医共体建设核查", "year": "2023", "start_date": "2023-07-10",
            "end_date": "2023-07-14", "checklist_version_id": str(version.id)}
    data.update(changes)
    return data


@pytest.mark.parametrize("username", ["province", "viewer", "leader8", "inspector8"])
def test_index_and_detail_for_campaign_roles(client, login_as, campaign, username):
    login_as(username)
    text = client.get("/campaigns").get_data(as_text=True)
    assert "2022年紧密型县域医共体建设核查" in text and "2022-07-09 至 2022-07-13" in text
    detail = client.get(f"/campaigns/{campaign.id}")
    body = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "第八核查组" in body and "新野县" in body and "2022年7月9日" in body
    assert ("编辑核查组" in body) == (username == "province")


@pytest.mark.parametrize("username", ["nanyang", "xinye", "xinye-wjw", "admin", "auditor"])
def test_campaign_pages_forbidden_for_other_roles(client, login_as, campaign, username):
    login_as(username)
    assert client.get("/campaigns").status_code == 403
    assert client.get(f"/campaigns/{campaign.id}").status_code == 403


def test_team_roles_see_only_their_campaigns(client, login_as, other_campaign):
    login_as("inspector8")
    assert "2023年回头看" not in client.get("/campaigns").get_data(as_text=True)
    assert client.get(f"/campaigns/{other_campaign.id}").status_code == 404
    login_as("province")
    assert "2023年回头看" in client.get("/campaigns").get_data(as_text=True)
    assert client.get(f"/campaigns/{other_campaign.id}").status_code == 200


def test_create_campaign(client, login_as, version):
    login_as("province")
    page = client.get("/campaigns/new").get_data(as_text=True)
    assert "2022版" in page
    resp = client.post("/campaigns/new", data=form_values(version))
    assert resp.status_code == 302
    created = db.session.execute(sa.select(Campaign).where(Campaign.year == 2023)).scalar_one()
    assert created.checklist_version_id == version.id


def test_create_campaign_errors_keep_typed_text(client, login_as, version):
    draft = make_version("草稿版")
    login_as("province")
    page = client.get("/campaigns/new").get_data(as_text=True)
    assert "草稿版" not in page
    resp = client.post("/campaigns/new", data=form_values(version, name="我的任务", end_date="2023-07-01"))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "结束日期不能早于开始日期" in text and 'value="我的任务"' in text
    resp = client.post("/campaigns/new", data=form_values(version, checklist_version_id=str(draft.id)))
    assert resp.status_code == 422
    resp = client.post("/campaigns/new", data=form_values(version, year="二〇二三", start_date="7月10日"))
    text = resp.get_data(as_text=True)
    assert "年度应为四位数字" in text and "开始日期“7月10日”无效" in text
    assert db.session.execute(sa.select(sa.func.count(Campaign.id))).scalar() == 1


def test_edit_campaign(client, login_as, campaign, version):
    login_as("province")
    assert client.get(f"/campaigns/{campaign.id}/edit").status_code == 200
    resp = client.post(f"/campaigns/{campaign.id}/edit",
                       data={**form_values(version, name=campaign.name, year="2022", start_date="2022-07-09",
                                           end_date="2022-07-14"), "version": campaign.version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).end_date.day == 14


@pytest.mark.parametrize("username", ["viewer", "leader8", "inspector8"])
def test_manage_routes_forbidden_without_manage(client, login_as, campaign, team, version, username):
    login_as(username)
    assert client.get("/campaigns/new").status_code == 403
    assert client.post("/campaigns/new", data=form_values(version)).status_code == 403
    assert client.get(f"/campaigns/{campaign.id}/edit").status_code == 403
    assert client.get(f"/campaigns/{campaign.id}/teams/new").status_code == 403
    assert client.get(f"/campaigns/teams/{team.id}").status_code == 403
    assert client.get(f"/campaigns/teams/{team.id}/county-search?q=郸城", headers=HX).status_code == 403
    assert client.post(f"/campaigns/teams/{team.id}/counties", data={"county_id": "1"}).status_code == 403
    assert client.post(f"/campaigns/teams/{team.id}/counties/1/delete").status_code == 403


def test_create_team_then_edit(client, login_as, world, campaign):
    login_as("province")
    page = client.get(f"/campaigns/{campaign.id}/teams/new").get_data(as_text=True)
    assert "inspector8" in page and "xinye" not in page
    resp = client.post(f"/campaigns/{campaign.id}/teams/new",
                       data={"name": "第九核查组", "leader_id": str(world.users["leader8"].id),
                             "member_ids": [str(world.users["inspector8"].id)]})
    created = db.session.execute(sa.select(Team).where(Team.name == "第九核查组")).scalar_one()
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/campaigns/teams/{created.id}")
    dup = client.post(f"/campaigns/{campaign.id}/teams/new", data={"name": "第八核查组", "leader_id": "0"})
    assert dup.status_code == 422 and "本任务已有“第八核查组”" in dup.get_data(as_text=True)


def test_team_edit_page_and_save(client, login_as, world, team):
    login_as("province")
    page = client.get(f"/campaigns/teams/{team.id}").get_data(as_text=True)
    assert "新野县" in page and 'id="team-counties"' in page and "campaigns.js" in page
    resp = client.post(f"/campaigns/teams/{team.id}", data={"name": "第八核查组（调整）",
                                                            "leader_id": str(world.users["leader8"].id),
                                                            "version": team.version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Team, team.id).name == "第八核查组（调整）"
    assert client.get("/campaigns/teams/999").status_code == 404


def test_county_search_fragment(client, login_as, world, team):
    login_as("province")
    headers = {**HX, "HX-Target": "county-results"}
    resp = client.get(f"/campaigns/teams/{team.id}/county-search?q=郸城", headers=headers)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and body.startswith('<ul id="county-results"') and "郸城县" in body
    assert 'name="county_id"' in body
    assigned = client.get(f"/campaigns/teams/{team.id}/county-search?q=新野", headers=headers).get_data(as_text=True)
    assert 'name="county_id"' not in assigned and "没有找到“新野”" in assigned
    page = client.get(f"/campaigns/teams/{team.id}/county-search?q=郸城")
    assert "<html" in page.get_data(as_text=True)


def test_adding_a_county_widens_members_scope(client, login_as, world, team):
    code = world.dancheng.code
    login_as("inspector8")
    assert client.get(f"/org/counties/{code}").status_code == 404
    login_as("province")
    resp = client.post(f"/campaigns/teams/{team.id}/counties", data={"county_id": str(world.dancheng.id)},
                       headers={**HX, "HX-Target": "team-counties"})
    assert resp.status_code == 200 and "郸城县" in resp.get_data(as_text=True)
    dup = client.post(f"/campaigns/teams/{team.id}/counties", data={"county_id": str(world.dancheng.id)},
                      headers={**HX, "HX-Target": "team-counties"})
    assert dup.status_code == 422 and "已在本组负责的县中" in dup.get_data(as_text=True)
    login_as("inspector8")
    assert client.get(f"/org/counties/{code}").status_code == 200


def test_removing_a_county_narrows_members_scope(client, login_as, world, team):
    login_as("inspector8")
    assert client.get(f"/org/counties/{world.xinye.code}").status_code == 200
    login_as("province")
    resp = client.post(f"/campaigns/teams/{team.id}/counties/{world.xinye.id}/delete",
                       headers={**HX, "HX-Target": "team-counties"})
    assert resp.status_code == 200 and "新野县" not in resp.get_data(as_text=True)
    login_as("inspector8")
    assert client.get(f"/org/counties/{world.xinye.code}").status_code == 404


def test_county_routes_without_htmx_redirect_back(client, login_as, world, team):
    login_as("province")
    resp = client.post(f"/campaigns/teams/{team.id}/counties", data={"county_id": str(world.dancheng.id)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/campaigns/teams/{team.id}")


def test_campaign_sets_its_default_rectification_periods(client, login_as, campaign, version):
    login_as("province")
    page = client.get(f"/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert "默认整改时限" in page and 'value="5"' in page and 'value="180"' in page
    values = {**form_values(version, name=campaign.name, year="2022", start_date="2022-07-09",
                            end_date="2022-07-13"), "version": campaign.version}
    bad = client.post(f"/campaigns/{campaign.id}/edit",
                      data={**values, "immediate_working_days": "0", "long_term_days": "半年"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "立行立改（工作日）应为 1 至 60 之间的整数" in text and 'value="半年"' in text
    ok = client.post(f"/campaigns/{campaign.id}/edit", data={**values, "immediate_working_days": "3",
                                                               "deadline_working_days": "20", "long_term_days": "90"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).deadline_periods == {"immediate": 3, "deadline": 20, "long_term": 90}
