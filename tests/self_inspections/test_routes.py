"""自查 screens: starting, answering with versions (409 on a stale save), locking after submit,
photos, the comparison pages (page and fragment), and who may see what (another county: 404)."""
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.self_inspections.models import SelfAnswer, SelfInspection, SelfInspectionStatus
from inspect_app.visits.models import AnswerResult, VisitStatus
from tests.self_inspections import factories as f
from tests.visits import factories as vf

HX = {"HX-Request": "true"}
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def items(world):
    return f.checklist()


def _answer(inspection, item):
    return db.session.execute(sa.select(SelfAnswer).where(
        SelfAnswer.self_inspection_id == inspection.id, SelfAnswer.item_id == item.id)).scalar_one()


def _url(inspection, tail=""):
    return f"/self-inspections/{inspection.id}{tail}"


def _actions(action):
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == action)).scalar_one()


def test_coordinator_starts_and_sees_the_items(client, login_as, world, items):
    login_as("xinye")
    camp = f.campaign()
    county_page = client.get(f"/self-inspections/campaigns/{camp.id}/counties/411329")
    assert county_page.status_code == 200 and "开始自查" in county_page.get_data(as_text=True)
    site = vf.office_site(world.xinye)
    response = client.post(f"/self-inspections/campaigns/{camp.id}/sites/{site.id}/start")
    inspection = db.session.execute(sa.select(SelfInspection)).scalar_one()
    assert response.status_code == 303 and response.location.endswith(_url(inspection))
    again = client.post(f"/self-inspections/campaigns/{camp.id}/sites/{site.id}/start")   # a repeated start
    assert again.location.endswith(_url(inspection))
    assert db.session.execute(sa.select(sa.func.count()).select_from(SelfInspection)).scalar_one() == 1
    assert _actions("self_inspection.start") == 1
    page = client.get(_url(inspection)).get_data(as_text=True)
    # By section (A, B, C), then position within it.
    assert sorted(item.code for item in items) == re.findall(r'class="mono item-code">(\w+)<', page)
    assert inspection.checklist_version_id == camp.checklist_version_id   # the campaign's version
    assert "完成并提交自查" in page and page.count('name="version"') == len(items)


def test_answer_saves_with_version_and_refuses_a_stale_one(client, login_as, world, items):
    inspection = f.started(world, world.xinye)
    login_as("xinye")
    url = _url(inspection, f"/items/{items[0].id}/answer")
    saved = client.post(url, data={"version": "1", "result": "conforms", "note": "已查阅文件"}, headers=HX)
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "已保存" in body and "<html" not in body
    assert f'id="version-{items[0].id}" value="2" hx-swap-oob="true"' in body   # the form's new version
    answer = _answer(inspection, items[0])
    assert (answer.result, answer.note, answer.version) == (AnswerResult.CONFORMS, "已查阅文件", 2)
    # A retry of the same save (its answer was lost) changes nothing, whatever version it carries.
    assert client.post(url, data={"version": "1", "result": "conforms", "note": "已查阅文件"},
                       headers=HX).status_code == 200
    # Another screen drawn at version 1 now saves something else: refused, nothing written.
    stale = client.post(url, data={"version": "1", "result": "nonconforming", "note": ""}, headers=HX)
    assert stale.status_code == 409 and "他人已修改" in stale.get_data(as_text=True)
    no_version = client.post(url, data={"result": "nonconforming"}, headers=HX)
    assert no_version.status_code == 422
    db.session.expire_all()
    assert _answer(inspection, items[0]).result == AnswerResult.CONFORMS
    assert _actions("self_answer.save") == 1
    bad = client.post(url, data={"version": "2", "result": "great"}, headers=HX)
    assert bad.status_code == 422 and "自查结果无效" in bad.get_data(as_text=True)


def test_submit_needs_every_item_then_locks(client, login_as, world, items):
    inspection = f.started(world, world.xinye)
    login_as("xinye")
    f.answer_self(inspection, {item: AnswerResult.CONFORMS for item in items[:-1]})
    refused = client.post(_url(inspection, "/submit"), follow_redirects=True)
    assert "还有 1 项未作答" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SelfInspection, inspection.id).status == SelfInspectionStatus.DRAFT
    last = _answer(inspection, items[-1])
    client.post(_url(inspection, f"/items/{items[-1].id}/answer"),
                data={"version": str(last.version), "result": "not_applicable"}, headers=HX)
    assert client.post(_url(inspection, "/submit")).status_code == 303
    db.session.expire_all()
    locked = db.session.get(SelfInspection, inspection.id)
    assert locked.status == SelfInspectionStatus.SUBMITTED and locked.submitted_by_id == world.users["xinye"].id
    assert _actions("self_inspection.submit") == 1
    answer = _answer(inspection, items[0])
    edit = client.post(_url(inspection, f"/items/{items[0].id}/answer"),
                       data={"version": str(answer.version), "result": "nonconforming"}, headers=HX)
    assert edit.status_code == 409 and "已锁定" in edit.get_data(as_text=True)
    photo = client.post(_url(inspection, f"/items/{items[0].id}/photos"), content_type="multipart/form-data",
                        data={"uuid": vf.new_uuid(), "photo": (io.BytesIO((DATA / "xmp_test.jpg").read_bytes()), "a.jpg")})
    assert photo.status_code == 409
    page = client.get(_url(inspection)).get_data(as_text=True)
    assert "内容已锁定" in page and "hx-post" not in page and "完成并提交自查" not in page
    client.post(_url(inspection, "/submit"))                     # a repeated submit changes nothing
    assert _actions("self_inspection.submit") == 1


def test_photo_of_an_item_is_stored_and_scoped(client, login_as, world, items):
    inspection = f.started(world, world.xinye)
    login_as("xinye")
    response = client.post(_url(inspection, f"/items/{items[0].id}/photos"), content_type="multipart/form-data",
                           data={"uuid": vf.new_uuid(),
                                 "photo": (io.BytesIO((DATA / "xmp_test.jpg").read_bytes()), "canon.jpg")})
    assert response.status_code == 200, response.get_data(as_text=True)
    photo = db.session.get(Attachment, response.get_json()["id"])
    assert photo.self_answer_id == _answer(inspection, items[0]).id and photo.county_id == world.xinye.id
    assert client.get(f"/media/{photo.id}/thumb").status_code == 200
    assert f"/media/{photo.id}/thumb" in client.get(_url(inspection)).get_data(as_text=True)
    login_as("tongbai")
    assert client.get(f"/media/{photo.id}/thumb").status_code == 404
    login_as("inspector8")
    assert client.get(f"/media/{photo.id}/thumb").status_code == 404      # a draft: the county's own
    f.answer_self(inspection, {}, submit=True)
    assert client.get(f"/media/{photo.id}/thumb").status_code == 200


@pytest.mark.parametrize("username, draft, submitted", [
    ("xinye", 200, 200), ("province", 200, 200), ("viewer", 200, 200),
    ("nanyang", 404, 200), ("leader8", 404, 200), ("inspector8", 404, 200),
    ("tongbai", 404, 404), ("xinye-wjw", 403, 403), ("admin", 403, 403),
])
def test_who_sees_a_self_inspection(client, login_as, world, items, username, draft, submitted):
    inspection = f.started(world, world.xinye)
    login_as(username)
    assert client.get(_url(inspection)).status_code == draft
    f.answer_self(inspection, {}, submit=True)
    assert client.get(_url(inspection)).status_code == submitted


def test_only_the_own_coordinator_answers(client, login_as, world, items):
    inspection = f.started(world, world.xinye)
    url = _url(inspection, f"/items/{items[0].id}/answer")
    login_as("tongbai")                                   # another county: looks non-existent
    assert client.post(url, data={"version": "1", "result": "conforms"}, headers=HX).status_code == 404
    login_as("leader8")
    assert client.post(url, data={"version": "1", "result": "conforms"}, headers=HX).status_code == 403
    site = vf.office_site(world.xinye)
    login_as("tongbai")
    assert client.post(f"/self-inspections/campaigns/{f.campaign().id}/sites/{site.id}/start").status_code == 404
    assert _answer(inspection, items[0]).result is None


def _compared(world, items):
    """新野县: self-inspection and inspectors' visit of the office, both submitted, with the first
    four items C/C, C/N (over), N/C (under), NA/NA; the rest C/C."""
    mine = [f.C, f.C, f.N, f.NA] + [f.C] * (len(items) - 4)
    theirs = [f.C, f.N, f.C, f.NA] + [f.C] * (len(items) - 4)
    inspection = f.answer_self(f.started(world, world.xinye), dict(zip(items, mine)), submit=True)
    f.inspectors(world, world.xinye, dict(zip(items, theirs)))
    return inspection


def test_county_comparison_page_and_fragment(client, login_as, world, items):
    _compared(world, items)
    camp = f.campaign()
    url = f"/self-inspections/campaigns/{camp.id}/counties/411329/comparison"
    login_as("province")
    page = client.get(url).get_data(as_text=True)
    # 6 items, one both 不适用: 5 compared, 3 agreed → 60.0 %; A02 over-reported.
    assert "60.0%" in page and "（3/5）" in page
    over = re.search(r'<div id="comparison-pairs".*?</div>', page, re.S).group(0)
    assert items[1].code in over and items[2].code not in over
    fragment = client.get(url + "?outcome=under", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and body.lstrip().startswith('<div id="comparison-pairs"')
    assert items[2].code in body and items[1].code not in body
    assert "Vary" in fragment.headers and "HX-Request" in fragment.headers["Vary"]


def test_comparison_scope(client, login_as, world, items):
    _compared(world, items)
    camp = f.campaign()
    url = f"/self-inspections/campaigns/{camp.id}/counties/411329/comparison"
    for username, status in [("nanyang", 200), ("leader8", 200), ("inspector8", 200), ("viewer", 200),
                             ("tongbai", 404), ("xinye", 404), ("xinye-wjw", 403)]:
        login_as(username)
        assert client.get(url).status_code == status, username
    overview = f"/self-inspections/campaigns/{camp.id}/comparison"
    login_as("province")
    assert "新野县" in client.get(overview).get_data(as_text=True)
    login_as("tongbai")
    assert client.get(overview).status_code == 404


def test_county_sees_its_comparison_once_its_list_is_issued(client, login_as, world, items):
    from inspect_app.rectification.models import ProblemList, ProblemListStatus
    _compared(world, items)
    camp = f.campaign()
    url = f"/self-inspections/campaigns/{camp.id}/counties/411329/comparison"
    login_as("xinye")
    assert client.get(url).status_code == 404
    db.session.add(ProblemList(campaign_id=camp.id, county_id=world.xinye.id, status=ProblemListStatus.ISSUED))
    db.session.commit()
    assert client.get(url).status_code == 200


def test_comparison_counts_only_submitted_on_both_sides(world, items):
    from inspect_app.self_inspections import service
    camp = f.campaign()
    draft = f.answer_self(f.started(world, world.tongbai), {items[0]: f.C})
    f.inspectors(world, world.tongbai, {items[0]: f.N})
    assert service.comparison_pairs(camp.id, [world.tongbai.id]) == []        # the county's draft
    draft.status = SelfInspectionStatus.SUBMITTED
    db.session.commit()
    assert [p.outcome.value for p in service.comparison_pairs(camp.id, [world.tongbai.id])] == ["over"]
    f.answer_self(f.started(world, world.xinye), {items[0]: f.C}, submit=True)
    f.inspectors(world, world.xinye, {items[0]: f.N}, status=VisitStatus.IN_PROGRESS)
    assert service.comparison_pairs(camp.id, [world.xinye.id]) == []           # visit still in progress


def test_index_lists_the_county_campaign(client, login_as, world, items):
    login_as("xinye")
    page = client.get("/self-inspections/")
    assert page.status_code == 200 and f.campaign().name in page.get_data(as_text=True)
    assert "县级自查" in page.get_data(as_text=True)
    login_as("xinye-wjw")
    assert client.get("/self-inspections/").status_code == 403
