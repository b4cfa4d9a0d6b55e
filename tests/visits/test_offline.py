"""Route tests of 离线准备 (GET /visits/counties/<code>/offline): what a tablet keeps to work in a
county without a network, and who may prepare which county."""
import pytest
import sqlalchemy as sa

from inspect_app.auth.models import Role
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.visits.models import VisitStatus
from tests.factories import make_user
from tests.visits import factories as f


@pytest.fixture
def version(world):
    return f.make_version(n_items=4)


def test_bundle_lists_sites_version_and_pages_of_started_visits(client, login_as, world, version):
    sites = db.session.execute(sa.select(f.Site).where(f.Site.county_id == world.xinye.id)).scalars().all()
    started = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    other = next(s for s in sites if s.id != started.site_id)
    submitted = f.make_visit(other, world.users["inspector8"], status=VisitStatus.SUBMITTED)
    login_as("inspector8")
    response = client.get("/visits/counties/411329/offline")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert data["county"] == {"code": "411329", "name": "新野县"}
    assert data["campaign"]["checklist_version_id"] == version.id
    assert {s["id"] for s in data["sites"]} == {s.id for s in sites if s.active}
    by_id = {s["id"]: s for s in data["sites"]}
    assert by_id[started.site_id]["visit_id"] == started.id
    assert by_id[submitted.site_id]["status"] == "已提交"
    assert sum(1 for s in data["sites"] if s["visit_id"] is None) == len(data["sites"]) - 2
    assert data["pages"][:2] == ["/visits/", "/visits/counties/411329"]
    unstarted = [s["id"] for s in data["sites"] if s["visit_id"] is None]
    assert sorted(data["pages"][2:]) == sorted([f"/visits/{started.id}", f"/visits/{submitted.id}"]
                                               + [f"/visits/sites/{i}/new" for i in unstarted])
    # Every page listed opens for this user (the tablet fetches each one to keep it).
    for page in data["pages"]:
        assert client.get(page).status_code == 200


def test_county_page_offers_prepare_to_those_who_record(client, login_as, world, version):
    login_as("inspector8")
    page = client.get("/visits/counties/411329").get_data(as_text=True)
    assert 'data-offline-prepare="411329"' in page and "离线准备" in page
    login_as("viewer")
    assert "离线准备" not in client.get("/visits/counties/411329").get_data(as_text=True)


@pytest.mark.parametrize("username", ["xinye", "tongbai", "xinye-wjw", "viewer", "nanyang", "admin"])
def test_roles_that_do_not_record_visits_cannot_prepare(client, login_as, world, version, username):
    login_as(username)
    assert client.get("/visits/counties/411329/offline").status_code in (403, 404)


def test_another_teams_inspector_cannot_prepare_this_county(client, login_as, world, version):
    campaign = db.session.execute(sa.select(Campaign)).scalar_one()
    outsider = world.users["inspector3"] = make_user("inspector3", Role.INSPECTOR)
    team = Team(campaign_id=campaign.id, name="第三核查组", leader_id=outsider.id)
    team.members = [outsider]
    team.counties = [world.dancheng]
    db.session.add(team)
    db.session.commit()
    login_as("inspector3")
    assert client.get("/visits/counties/411625/offline").status_code == 200     # its own county
    assert client.get("/visits/counties/411329/offline").status_code == 404
    login_as("inspector8")
    assert client.get("/visits/counties/411625/offline").status_code == 404     # and the other way


def test_signed_out_is_sent_to_sign_in(client, world, version):
    response = client.get("/visits/counties/411329/offline")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_visit_screen_carries_a_blank_finding_form_only_when_editable(client, login_as, world, version):
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    login_as("inspector8")
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert '<template id="finding-form-template">' in page
    assert f'hx-post="/visits/{visit.id}/findings"' in page.split('id="finding-form-template"')[1]
    login_as("viewer")
    assert "finding-form-template" not in client.get(f"/visits/{visit.id}").get_data(as_text=True)
