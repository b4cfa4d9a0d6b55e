"""Tablets racing each other on one visit: starts of the same site, the same client UUID posted twice
at once, five parallel retries of one answer or finding. Every request gets the response the first
one got (never a 500) and the database holds one row.

Real parallel requests (tests/parallel.py): threads with their own clients, app contexts and
database sessions, released together by a Barrier, on the SQLite file of the suite or on
PostgreSQL with TEST_DATABASE_URL.
"""
import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.visits.models import Answer, AnswerResult, Finding, SiteVisit
from tests.conftest import HX
from tests.parallel import client_for, race
from tests.visits import factories as f


@pytest.fixture
def version(world):
    return f.make_version(n_items=6)


def count(model, *where):
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def tablets(app, world, n):
    """n tablets, alternating the team's inspector and leader."""
    users = [world.users["inspector8"], world.users["leader8"]]
    return [client_for(app, users[i % 2]) for i in range(n)]


# ---------------------------------------------------------------- starting a site

@pytest.mark.parametrize("n", [2, 5])
def test_parallel_starts_of_one_site_make_one_visit(app, world, version, n):
    site = f.office_site(world.xinye)
    url = f"/visits/sites/{site.id}/start"
    results = race(app, [(client, url, {"uuid": f.new_uuid()}, None) for client in tablets(app, world, n)])
    assert [r.status for r in results] == [303] * n, results
    visit = db.session.execute(sa.select(SiteVisit)).scalar_one()
    assert {r.location for r in results} == {f"/visits/{visit.id}"}
    assert count(AuditEvent, AuditEvent.action == "visit.start") == 1
    # From then on the site starts normally: a later start lands on the same visit.
    later = client_for(app, world.users["leader8"]).post(url, data={"uuid": f.new_uuid()})
    assert later.status_code == 303 and later.headers["Location"] == f"/visits/{visit.id}"
    assert count(SiteVisit) == 1


@pytest.mark.parametrize("n", [2, 5])
def test_same_start_uuid_at_once_gets_identical_responses(app, world, version, n):
    site = f.office_site(world.xinye)
    key = f.new_uuid()
    client = client_for(app, world.users["inspector8"])
    results = race(app, [(client, f"/visits/sites/{site.id}/start", {"uuid": key, "lat": "32.52", "lon": "112.36"},
                          None)] * n)
    assert {r.signature for r in results} == {results[0].signature} and results[0].status == 303, results
    visit = db.session.execute(sa.select(SiteVisit)).scalar_one()
    assert visit.uuid == key and results[0].location == f"/visits/{visit.id}"


# ---------------------------------------------------------------- answers

@pytest.fixture
def visit(world, version):
    return f.make_visit(f.office_site(world.xinye), world.users["inspector8"])


@pytest.mark.parametrize("n", [2, 5])
def test_same_answer_uuid_at_once_gets_identical_responses(app, world, visit, version, n):
    item = f.items_of(version)[0]
    key = f.new_uuid()
    client = client_for(app, world.users["inspector8"])
    data = {"uuid": key, "result": "nonconforming", "note": "未见资产划转文件"}
    results = race(app, [(client, f"/visits/{visit.id}/items/{item.id}/answer", data, HX)] * n)
    assert [r.status for r in results] == [200] * n, results
    assert {r.signature for r in results} == {results[0].signature}
    answer = db.session.execute(sa.select(Answer)).scalar_one()
    assert (answer.uuid, answer.result, answer.note) == (key, AnswerResult.NONCONFORMING, "未见资产划转文件")
    assert count(AuditEvent, AuditEvent.action == "answer.save") == 1


def test_two_tablets_answering_one_item_at_once_share_one_row(app, world, visit, version):
    """Different UUIDs for the same (visit, item): one row, the second save updates it."""
    item = f.items_of(version)[0]
    clients = tablets(app, world, 2)
    url = f"/visits/{visit.id}/items/{item.id}/answer"
    results = race(app, [(clients[0], url, {"uuid": f.new_uuid(), "result": "conforms", "note": "甲"}, HX),
                         (clients[1], url, {"uuid": f.new_uuid(), "result": "basically", "note": "乙"}, HX)])
    assert [r.status for r in results] == [200, 200], results
    answer = db.session.execute(sa.select(Answer)).scalar_one()
    assert (answer.result, answer.note) in {(AnswerResult.CONFORMS, "甲"), (AnswerResult.BASICALLY, "乙")}


# ---------------------------------------------------------------- findings

def finding_data(key):
    return {"uuid": key, "description": "医共体未实行统一法人", "category": "责任共同体", "severity": "serious",
            "rectification_type": "deadline", "deadline": "2022-08-10", "suggested_measures": ""}


@pytest.mark.parametrize("n", [2, 5])
def test_same_finding_uuid_at_once_gets_identical_responses(app, world, visit, version, n):
    item = f.items_of(version)[1]
    key = f.new_uuid()
    client = client_for(app, world.users["inspector8"])
    results = race(app, [(client, f"/visits/{visit.id}/findings", {**finding_data(key), "item_id": item.id}, HX)] * n)
    assert [r.status for r in results] == [200] * n, results
    assert {r.signature for r in results} == {results[0].signature}
    finding = db.session.execute(sa.select(Finding)).scalar_one()
    assert finding.uuid == key and f"finding-{finding.id}" in results[0].body
    assert count(AuditEvent, AuditEvent.action == "finding.create") == 1
