"""No silent overwrites of a finding edited on the visit screen (issue 9, point 7)."""
import pytest

from inspect_app.extensions import db
from inspect_app.locking import MISSING_MESSAGE
from inspect_app.visits.models import Finding
from tests.conftest import HX
from tests.locking import assert_stale_view, audit_count, client_for, race
from tests.visits import factories as f


@pytest.fixture
def finding(world):
    f.make_version(n_items=3)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    return f.make_finding(visit)


def data(finding, **over):
    values = {"uuid": finding.uuid, "description": "未实行统一法人", "category": "其他", "severity": "serious",
              "rectification_type": "deadline", "deadline": "2022-08-10", "suggested_measures": ""}
    return {**values, **over}


def saved(finding_id) -> Finding:
    db.session.expire_all()
    return db.session.get(Finding, finding_id)


def test_stale_edit_is_refused_and_keeps_the_users_text(client, login_as, finding):
    login_as("inspector8")
    url = f"/visits/findings/{finding.id}"
    form = client.get(url + "/edit", headers=HX).get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form
    assert client.post(url, headers=HX, data=data(finding, version=1, description="未实行统一法人，资产未划转",
                                                   severity="critical")).status_code == 200
    events = audit_count()
    stale = client.post(url, headers=HX, data=data(finding, version=1, description="未实行统一法人，牌子未挂"))
    html = assert_stale_view(stale, {"description": "未实行统一法人，资产未划转", "severity": "严重"},
                             ["未实行统一法人，牌子未挂"])
    assert 'name="version" type="hidden" value="2"' in html and "编辑问题" in html
    row = saved(finding.id)
    assert (row.description, row.severity.value, row.version) == ("未实行统一法人，资产未划转", "critical", 2)
    assert audit_count() == events
    again = client.post(url, headers=HX, data=data(finding, version=2, description="未实行统一法人，资产未划转，牌子未挂",
                                                    severity="critical"))
    assert again.status_code == 200 and saved(finding.id).version == 3 and audit_count() == events + 1


def test_edit_without_version_is_refused(client, login_as, finding):
    login_as("inspector8")
    response = client.post(f"/visits/findings/{finding.id}", headers=HX, data=data(finding, description="新描述"))
    assert response.status_code == 422 and MISSING_MESSAGE in response.get_data(as_text=True)
    assert saved(finding.id).description == "未实行统一法人"


def test_parallel_edits_of_one_version_exactly_one_wins(app, world, finding):
    url = f"/visits/findings/{finding.id}"
    inspector = world.users["inspector8"]
    results = race(app, [(client_for(app, inspector), url, data(finding, version=1, description=f"第{n}台平板的描述"))
                         for n in (1, 2)])
    assert sorted(code for code, _ in results) == [200, 409], results
    row = saved(finding.id)
    winner = next(n for n, (code, _) in zip((1, 2), results) if code == 200)
    assert row.description == f"第{winner}台平板的描述" and row.version == 2
