"""Issue 9, offline: starting a site that was never started without a network, and editing or deleting
an existing finding through the offline queue (what offline.js sends when the network returns).

- 离线准备 keeps, per site not started yet, its blank visit screen (GET /visits/sites/<id>/new), whose
  URLs carry the placeholder visit id -<site id>; the queue replays the start with the tablet's
  client UUID (idempotent; a site someone else started is joined) and then the records, posted to
  the visit the start answered with.
- A queued edit carries the version it was drawn from: stale, it answers 409 with the saved text
  beside the user's; a queued delete carries it too, and a delete sent twice answers as the first.
"""
import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.auth.models import Role
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.locking import STALE_MESSAGE
from inspect_app.visits.models import Answer, AnswerResult, Finding, SiteVisit
from tests.conftest import HX
from tests.factories import make_user
from tests.parallel import client_for, race
from tests.visits import factories as f


def count(model, *where):
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


# ---------------------------------------------------------------- the prepared screen

def test_prepared_screen_of_an_unstarted_site_uses_the_placeholder_visit(client, login_as, world, version):
    site = f.office_site(world.xinye)
    items = f.items_of(version)
    login_as("inspector8")
    response = client.get(f"/visits/sites/{site.id}/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'data-prepared-site="{site.id}"' in page and f'data-placeholder="/visits/-{site.id}/"' in page
    assert f'hx-post="/visits/-{site.id}/items/{items[0].id}/answer"' in page
    assert f'data-upload-url="/media/visits/-{site.id}/items/{items[0].id}/photos"' in page
    assert f'hx-post="/visits/-{site.id}/findings"' in page          # the blank finding form
    assert "离线开始，联网后自动同步" in page and "完成并提交核查" not in page
    assert all(item.content in page for item in items)
    assert count(SiteVisit) == 0                                      # nothing stored by drawing it


def test_prepared_screen_of_a_started_site_leads_to_its_visit(client, login_as, world, visit):
    login_as("inspector8")
    response = client.get(f"/visits/sites/{visit.site_id}/new")
    assert response.status_code == 302 and response.headers["Location"] == f"/visits/{visit.id}"


def test_bundle_keeps_the_prepared_screen_of_every_unstarted_site(client, login_as, world, version):
    started = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    login_as("inspector8")
    data = client.get("/visits/counties/411329/offline").get_json()
    unstarted = [s["id"] for s in data["sites"] if s["visit_id"] is None]
    assert unstarted and f"/visits/{started.id}" in data["pages"]
    assert {p for p in data["pages"] if p.startswith("/visits/sites/")} == {f"/visits/sites/{i}/new" for i in unstarted}
    for page in data["pages"]:
        assert client.get(page).status_code == 200


@pytest.mark.parametrize("username", ["viewer", "xinye", "nanyang", "admin"])
def test_roles_that_do_not_record_get_no_prepared_screen(client, login_as, world, version, username):
    login_as(username)
    assert client.get(f"/visits/sites/{f.office_site(world.xinye).id}/new").status_code in (403, 404)


def test_another_teams_inspector_gets_no_prepared_screen(client, login_as, world, version):
    campaign = db.session.execute(sa.select(Campaign)).scalar_one()
    outsider = make_user("inspector3", Role.INSPECTOR)
    team = Team(campaign_id=campaign.id, name="第三核查组", leader_id=outsider.id)
    team.members = [outsider]
    team.counties = [world.dancheng]
    db.session.add(team)
    db.session.commit()
    world.users["inspector3"] = outsider
    login_as("inspector3")
    assert client.get(f"/visits/sites/{f.office_site(world.xinye).id}/new").status_code == 404
    assert client.get(f"/visits/sites/{f.office_site(world.dancheng).id}/new").status_code == 200


# ---------------------------------------------------------------- the queue replayed

def replay_start(client, site, key):
    return client.post(f"/visits/sites/{site.id}/start", data={"uuid": key}, headers=HX)


def test_replayed_start_then_records_land_once_in_the_visit(client, login_as, world, version):
    """The start sent twice (its answer lost) is one visit; the records mapped to it are stored once."""
    site = f.office_site(world.xinye)
    items = f.items_of(version)
    login_as("inspector8")
    key = f.new_uuid()
    first, again = replay_start(client, site, key), replay_start(client, site, key)
    visit = db.session.execute(sa.select(SiteVisit)).scalar_one()
    assert visit.uuid == key
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"] == f"/visits/{visit.id}"
    answer = {"uuid": f.new_uuid(), "result": "nonconforming", "note": "未见会议纪要"}
    for _ in range(2):
        assert client.post(f"/visits/{visit.id}/items/{items[0].id}/answer", data=answer, headers=HX).status_code == 200
    assert count(Answer) == 1 and count(AuditEvent, AuditEvent.action == "visit.start") == 1


def test_offline_start_joins_the_visit_another_tablet_started(client, login_as, world, version):
    site = f.office_site(world.xinye)
    items = f.items_of(version)
    other = client_for(client.application, world.users["leader8"])
    assert other.post(f"/visits/sites/{site.id}/start", data={"uuid": f.new_uuid()}).status_code == 303
    visit = db.session.execute(sa.select(SiteVisit)).scalar_one()
    login_as("inspector8")
    joined = replay_start(client, site, f.new_uuid())           # the tablet that started offline
    assert joined.status_code == 303 and joined.headers["Location"] == f"/visits/{visit.id}"
    client.post(f"/visits/{visit.id}/items/{items[1].id}/answer", headers=HX,
                data={"uuid": f.new_uuid(), "result": "basically"})
    assert count(SiteVisit) == 1
    assert db.session.execute(sa.select(Answer)).scalar_one().result == AnswerResult.BASICALLY


@pytest.mark.parametrize("n", [2, 4])
def test_offline_starts_replayed_concurrently_make_one_visit(app, world, version, n):
    """Tablets that each started the site offline reconnect at once: one visit, all join it."""
    site = f.office_site(world.xinye)
    users = [world.users["inspector8"], world.users["leader8"]]
    requests = [(client_for(app, users[i % 2]), f"/visits/sites/{site.id}/start", {"uuid": f.new_uuid()}, HX)
                for i in range(n)]
    requests.append(requests[0])                                  # and one start sent twice
    results = race(app, requests)
    visit = db.session.execute(sa.select(SiteVisit)).scalar_one()
    assert [r.status for r in results] == [303] * (n + 1), results
    assert {r.location for r in results} == {f"/visits/{visit.id}"}


# ---------------------------------------------------------------- edits and deletes from the queue

def finding_data(finding, **over):
    values = {"uuid": finding.uuid, "description": finding.description, "category": finding.category,
              "severity": finding.severity.value, "rectification_type": finding.rectification_type.value,
              "suggested_measures": ""}
    return {**values, **over}


def test_queued_edit_over_a_newer_save_is_409_with_both_texts(client, login_as, world, visit):
    finding = f.make_finding(visit)
    login_as("leader8")
    url = f"/visits/findings/{finding.id}"
    assert client.post(url, headers=HX, data=finding_data(finding, version=1, description="组长改过的描述")).status_code == 200
    login_as("inspector8")
    stale = client.post(url, headers=HX, data=finding_data(finding, version=1, description="离线时写的描述"))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and STALE_MESSAGE in html
    assert "组长改过的描述" in html and "离线时写的描述" in html     # saved beside theirs, theirs in the form
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).description == "组长改过的描述"


def test_delete_sent_twice_answers_as_the_first(client, login_as, world, visit):
    finding = f.make_finding(visit)
    login_as("inspector8")
    url = f"/visits/findings/{finding.id}/delete"
    first = client.post(url, headers=HX, data={"version": 1})
    again = client.post(url, headers=HX, data={"version": 1})
    assert (first.status_code, again.status_code) == (200, 200) and again.get_data() == first.get_data() == b""
    assert count(Finding) == 0 and count(AuditEvent, AuditEvent.action == "finding.delete") == 1
    plain = client.post(url)                                       # without htmx: back to the visit
    assert plain.status_code == 303 and plain.headers["Location"] == f"/visits/{visit.id}"


def test_deleted_finding_of_another_county_stays_404(client, login_as, world, visit):
    finding = f.make_finding(visit)
    login_as("inspector8")
    assert client.post(f"/visits/findings/{finding.id}/delete", headers=HX).status_code == 200
    campaign = db.session.execute(sa.select(Campaign)).scalar_one()
    outsider = make_user("inspector3", Role.INSPECTOR)
    team = Team(campaign_id=campaign.id, name="第三核查组", leader_id=outsider.id)
    team.members = [outsider]
    team.counties = [world.dancheng]
    db.session.add(team)
    db.session.commit()
    world.users["inspector3"] = outsider
    login_as("inspector3")
    assert client.post(f"/visits/findings/{finding.id}/delete", headers=HX).status_code == 404
    assert client.post("/visits/findings/999999/delete", headers=HX).status_code == 404


def test_queued_delete_of_a_finding_edited_since_is_refused(client, login_as, world, visit):
    finding = f.make_finding(visit)
    login_as("leader8")
    assert client.post(f"/visits/findings/{finding.id}", headers=HX,
                       data=finding_data(finding, version=1, description="组长补充后的描述")).status_code == 200
    login_as("inspector8")
    refused = client.post(f"/visits/findings/{finding.id}/delete", headers=HX, data={"version": 1})
    assert refused.status_code == 409 and "组长补充后的描述" in refused.get_data(as_text=True)
    assert count(Finding) == 1 and count(AuditEvent, AuditEvent.action == "finding.delete") == 0
    assert client.post(f"/visits/findings/{finding.id}/delete", headers=HX, data={"version": 2}).status_code == 200
    assert count(Finding) == 0


def test_card_carries_its_version_and_an_edit_form_for_offline(client, login_as, world, visit):
    finding = f.make_finding(visit)
    login_as("inspector8")
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'data-finding-delete="{finding.id}"' in page and "hx-vals='{\"version\": 1}'" in page
    template = page.split(f'<template id="finding-edit-template-{finding.id}">')[1].split("</template>")[0]
    assert f'hx-post="/visits/findings/{finding.id}"' in template
    assert 'name="version" type="hidden" value="1"' in template
