"""Routes of the re-check rounds: page and fragment, recording through the form, access (404 for
another county or campaign, 403 for roles that may not), the dashboard panel."""
import io
import os
import re

import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.rechecks import service
from inspect_app.rechecks.models import RecheckRound, RecheckSample
from inspect_app.rectification.lifecycle import Status
from inspect_app.visits.models import Severity
from tests.conftest import HX
from tests.rechecks.factories import campaign, closed_items, other_campaign_with_leader, team8

PHOTO = os.path.join(os.path.dirname(__file__), "..", "data", "xmp_test.jpg")


def a_round(world, count=4, seed=11):
    closed_items(world)
    return service.draw_round(world.users["province"], campaign().id, team8().id, "第一轮", count=count, seed=seed)


def test_province_draws_a_round_through_the_form(client, world, login_as):
    closed_items(world)
    login_as("province")
    page = client.get("/rechecks/new")
    assert page.status_code == 200 and "抽取复核样本" in page.text
    response = client.post("/rechecks/new", data={"team_id": team8().id, "name": "回头看第一轮", "mode": "rate",
                                                  "rate": "30", "seed": "2022"})
    assert response.status_code == 302
    rnd = db.session.execute(sa.select(RecheckRound)).scalar_one()
    assert (rnd.seed, rnd.rate, len(rnd.item_ids)) == (2022, 0.3, 4)   # ⌈0.3 × 11⌉ = 4
    shown = client.get(f"/rechecks/{rnd.id}?reproduce=1")
    assert "完全一致" in shown.text and "2022" in shown.text


def test_draw_form_keeps_input_on_a_bad_rate(client, world, login_as):
    closed_items(world)
    login_as("province")
    response = client.post("/rechecks/new", data={"team_id": team8().id, "name": "回头看", "mode": "rate", "rate": "150"})
    assert response.status_code == 422 and "抽查比例应为" in response.text and 'value="回头看"' in response.text


def test_round_page_and_fragment(client, world, login_as):
    rnd = a_round(world)
    login_as("inspector8")
    page = client.get(f"/rechecks/{rnd.id}")
    assert page.status_code == 200 and "<html" in page.text and "进入现场复核" in page.text
    fragment = client.get(f"/rechecks/{rnd.id}?reproduce=1", headers={**HX, "HX-Target": "recheck-round"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="recheck-round"' in fragment.text
    listing = client.get("/rechecks/", headers=HX)
    assert listing.status_code == 200 and 'id="recheck-rounds"' in listing.text and "第一轮" in listing.text


def test_inspector_records_on_the_field_screen(client, world, login_as):
    rnd = a_round(world)
    sample = next(s for s in rnd.samples if s.county_id == world.xinye.id)
    login_as("inspector8")
    screen = client.get(f"/rechecks/{rnd.id}/field")
    assert screen.status_code == 200 and f'id="sample-{sample.id}-form"' in screen.text
    uuid = re.search(rf'id="sample-{sample.id}-uuid" name="uuid" type="hidden" value="([^"]+)"', screen.text).group(1)
    with open(PHOTO, "rb") as fh:
        data = {"result": "on_paper", "note": "只有制度文件，现场未落实", "version": str(sample.version),
                "item_version": str(sample.item.version), "uuid": uuid, "photos": (io.BytesIO(fh.read()), "现场.jpg")}
    response = client.post(f"/rechecks/samples/{sample.id}/result", data=data, headers=HX,
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "书面整改" in response.text and "事项已重新打开" in response.text
    db.session.expire_all()
    assert db.session.get(RecheckSample, sample.id).item.status is Status.IN_PROGRESS
    # a stale resubmission of another item's form (item changed meanwhile) is refused with 409
    other = next(s for s in rnd.samples if s.id != sample.id)
    stale = client.post(f"/rechecks/samples/{other.id}/result", headers=HX, data={
        "result": "fixed", "version": str(other.version), "item_version": str(other.item.version + 5),
        "uuid": "8d1f5e52-4a39-4c8b-9d59-0c3a4b1e7f00"})
    assert stale.status_code == 409 and "已被他人修改" in stale.text


def test_offline_queue_gets_json_and_a_resend_is_answered_the_same(client, world, login_as):
    rnd = a_round(world)
    sample = rnd.samples[0]
    login_as("inspector8")
    data = {"result": "fixed", "note": "", "version": str(sample.version), "item_version": str(sample.item.version),
            "uuid": "0b7c8f4e-2f5a-4d7e-9a59-3c7f3f6e1a11"}
    first = client.post(f"/rechecks/samples/{sample.id}/result", data=data, headers={"Accept": "application/json"})
    again = client.post(f"/rechecks/samples/{sample.id}/result", data=data, headers={"Accept": "application/json"})
    assert first.json["created"] is True and again.json["created"] is False
    assert first.json["label"] == again.json["label"] == "整改到位"


def test_another_county_sees_only_its_own_results(client, world, login_as):
    rnd = a_round(world)
    login_as("tongbai")
    page = client.get(f"/rechecks/{rnd.id}")
    assert page.status_code == 200
    xinye_numbers = [s.item.number for s in rnd.samples if s.county_id == world.xinye.id]
    assert xinye_numbers and not any(n in page.text for n in xinye_numbers)
    assert "新野县" not in page.text
    sample = next(s for s in rnd.samples if s.county_id == world.xinye.id)
    assert client.post(f"/rechecks/samples/{sample.id}/result", data={"result": "fixed"}).status_code == 403


def test_out_of_scope_round_is_404(client, world, login_as):
    closed_items(world, {(world.tongbai, Severity.GENERAL): 2})
    rnd = service.draw_round(world.users["province"], campaign().id, team8().id, "只抽桐柏", count=1, seed=1)
    login_as("xinye")   # 新野 has no sample in this round
    assert client.get(f"/rechecks/{rnd.id}").status_code == 404
    other_campaign_with_leader(world)
    login_as("leader9")  # another campaign's leader
    assert client.get(f"/rechecks/{rnd.id}").status_code == 404
    assert client.get(f"/rechecks/{rnd.id}/field").status_code == 404


def test_forbidden_roles(client, world, login_as):
    rnd = a_round(world)
    login_as("xinye-wjw")
    assert client.get("/rechecks/").status_code == 403
    login_as("xinye")
    assert client.get("/rechecks/new").status_code == 403
    assert client.get(f"/rechecks/{rnd.id}/field").status_code == 403
    login_as("viewer")
    assert client.post(f"/rechecks/samples/{rnd.samples[0].id}/result", data={"result": "fixed"}).status_code == 403


def test_the_item_page_offers_no_recheck_action(client, world, login_as):
    rnd = a_round(world)
    login_as("leader8")
    item_id = rnd.samples[0].item_id
    assert client.post(f"/items/{item_id}/actions/recheck", data={"reason": "x"}).status_code == 404
    assert "复核未通过重新打开" not in client.get(f"/items/{item_id}").text


def test_dashboard_panel_by_county_with_interval(client, world, login_as):
    rnd = a_round(world, count=4)
    xinye = [s for s in rnd.samples if s.county_id == world.xinye.id]
    service.record_result(xinye[0].id, world.users["inspector8"], result="false", note="虚假", version=1,
                          item_version=xinye[0].item.version, client_uuid="1b7c8f4e-2f5a-4d7e-9a59-3c7f3f6e1a11")
    service.record_result(xinye[1].id, world.users["inspector8"], result="fixed", note="", version=1,
                          item_version=xinye[1].item.version, client_uuid="2b7c8f4e-2f5a-4d7e-9a59-3c7f3f6e1a11")
    login_as("province")
    assert 'id="recheck-panel-slot"' in client.get("/dashboard/").text
    panel = client.get("/rechecks/panel", headers=HX)
    assert panel.status_code == 200
    row = re.search(r"<tr><td>新野县</td>(.*?)</tr>", panel.text, re.S).group(1)
    # 1 of 2: 50.0%, Wilson [0.095, 0.905]
    assert [c.strip() for c in re.findall(r">([^<>]+)<", row) if c.strip()][:3] == ["2", "1", "50.0%"]
    assert "9.5% – 90.5%" in row
    login_as("tongbai")
    assert "新野县" not in client.get("/rechecks/panel", headers=HX).text
    assert client.get("/rechecks/panel?county=411329", headers=HX).status_code == 404


# ---------------------------------------------------------------- photos of a result queued offline

RESULT_UUID = "5d0c1f7a-8e2b-4c6d-9f31-2a7b8c9d0e12"
PHOTO2 = os.path.join(os.path.dirname(__file__), "..", "data", "sugarshack.mpo")


def _photo(client, sample_id, uuid, result_uuid=RESULT_UUID, path=PHOTO, **kwargs):
    with open(path, "rb") as fh:
        data = {"uuid": uuid, "result_uuid": result_uuid, "photo": (io.BytesIO(fh.read()), os.path.basename(path))}
    return client.post(f"/rechecks/samples/{sample_id}/photos", data=data, content_type="multipart/form-data",
                       headers={"Accept": "application/json"}, **kwargs)


def _result(client, sample, uuid=RESULT_UUID):
    return client.post(f"/rechecks/samples/{sample.id}/result", headers={"Accept": "application/json"}, data={
        "result": "on_paper", "note": "仅有制度文件", "version": str(sample.version),
        "item_version": str(sample.item.version), "uuid": uuid})


def _photos_of(sample_id):
    from inspect_app.media.models import Attachment
    db.session.expire_all()
    return db.session.execute(sa.select(Attachment).where(Attachment.recheck_sample_id == sample_id)
                              .order_by(Attachment.id)).scalars().all()


def test_photos_queued_after_their_result_are_attached_once_each(client, world, login_as):
    from inspect_app.audit.models import AuditEvent
    rnd = a_round(world)
    sample = rnd.samples[0]
    login_as("inspector8")
    assert _result(client, sample).status_code == 200
    first = _photo(client, sample.id, "11111111-2222-4333-8444-555555555501")
    second = _photo(client, sample.id, "11111111-2222-4333-8444-555555555502", path=PHOTO2)
    again = _photo(client, sample.id, "11111111-2222-4333-8444-555555555501")   # a resend
    assert (first.status_code, second.status_code, again.status_code) == (200, 200, 200)
    assert again.json["id"] == first.json["id"] and first.json["gallery"] == f"sample-{sample.id}-photos"
    photos = _photos_of(sample.id)
    assert [p.id for p in photos] == [first.json["id"], second.json["id"]]
    assert {p.county_id for p in photos} == {sample.county_id} and photos[0].sha256 != photos[1].sha256
    assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "photo.upload")).scalar() == 2
    # the screen shows them with the recorded result
    assert client.get(f"/media/{first.json['id']}/thumb").status_code == 200


def test_a_photo_is_refused_before_its_result_and_for_another_submission(client, world, login_as):
    rnd = a_round(world)
    sample, other = rnd.samples[0], rnd.samples[1]
    login_as("inspector8")
    early = _photo(client, sample.id, "11111111-2222-4333-8444-555555555511")
    assert early.status_code == 409 and "尚未记录" in early.json["error"]
    assert _result(client, sample).status_code == 200
    late = _photo(client, sample.id, "11111111-2222-4333-8444-555555555512",
                  result_uuid="99999999-2222-4333-8444-555555555599")
    assert late.status_code == 409 and "不能再追加照片" in late.json["error"]
    assert _photo(client, sample.id, "11111111-2222-4333-8444-555555555513", result_uuid="").status_code == 409
    # a photo's UUID is its own: the same one for another sample is refused
    assert _result(client, other, uuid="5d0c1f7a-8e2b-4c6d-9f31-2a7b8c9d0e13").status_code == 200
    assert _photo(client, sample.id, "11111111-2222-4333-8444-555555555514").status_code == 200
    taken = _photo(client, other.id, "11111111-2222-4333-8444-555555555514",
                   result_uuid="5d0c1f7a-8e2b-4c6d-9f31-2a7b8c9d0e13")
    assert taken.status_code == 409
    assert len(_photos_of(sample.id)) == 1 and _photos_of(other.id) == []
    bad = client.post(f"/rechecks/samples/{sample.id}/photos", headers={"Accept": "application/json"},
                      data={"uuid": "11111111-2222-4333-8444-555555555515", "result_uuid": RESULT_UUID,
                            "photo": (io.BytesIO(b"not an image"), "x.jpg")}, content_type="multipart/form-data")
    assert bad.status_code == 400 and bad.json["error"]   # as the media uploads answer a bad file


def test_photo_route_access_and_csrf(client, world, login_as):
    rnd = a_round(world)
    sample = next(s for s in rnd.samples if s.county_id == world.xinye.id)
    login_as("inspector8")
    assert _result(client, sample).status_code == 200
    assert _photo(client, sample.id, "11111111-2222-4333-8444-555555555521", csrf=False).status_code == 400
    login_as("xinye")          # a county coordinator may not record
    assert _photo(client, sample.id, "11111111-2222-4333-8444-555555555522").status_code == 403
    other_campaign_with_leader(world)
    login_as("leader9")        # another campaign's team: the sample does not exist for it
    assert _photo(client, sample.id, "11111111-2222-4333-8444-555555555523").status_code == 404
    assert _photos_of(sample.id) == []


def test_offline_bundle_names_the_screen_and_its_evidence_photos(client, world, login_as):
    from tests.rechecks.factories import with_evidence
    rnd = a_round(world)
    sample = rnd.samples[0]
    before, after = with_evidence(world, sample.item, PHOTO, PHOTO2)
    login_as("inspector8")
    bundle = client.get(f"/rechecks/{rnd.id}/offline").json
    assert bundle["kind"] == "recheck" and bundle["items"] == len(rnd.samples)
    assert bundle["pages"] == [f"/rechecks/{rnd.id}/field", f"/rechecks/{rnd.id}"]
    assert bundle["photos"] == [f"/media/{before.id}/thumb", f"/media/{before.id}/display",
                                f"/media/{after.id}/thumb", f"/media/{after.id}/display"]
    assert all(client.get(url).status_code == 200 for url in bundle["photos"])
    assert "第一张照片" not in client.get(f"/rechecks/{rnd.id}/field").text


def test_county_offline_preparation_keeps_the_open_rounds_of_the_team(client, world, login_as):
    from tests.rechecks.factories import with_evidence
    closed_items(world, {(world.xinye, Severity.SERIOUS): 2})
    rnd = service.draw_round(world.users["province"], campaign().id, team8().id, "新野复核", count=1, seed=3)
    before, after = with_evidence(world, rnd.samples[0].item, PHOTO, PHOTO2)
    login_as("inspector8")
    xinye = client.get(f"/visits/counties/{world.xinye.code}/offline").json
    assert xinye["rechecks"] == 1
    assert f"/rechecks/{rnd.id}/field" in xinye["pages"] and f"/rechecks/{rnd.id}" in xinye["pages"]
    assert xinye["photos"] == [f"/media/{before.id}/thumb", f"/media/{before.id}/display",
                               f"/media/{after.id}/thumb", f"/media/{after.id}/display"]
    tongbai = client.get(f"/visits/counties/{world.tongbai.code}/offline").json   # no sample there
    assert tongbai["rechecks"] == 0 and not any("/rechecks/" in p for p in tongbai["pages"])
    # a round whose results are all recorded is no longer kept
    sample = rnd.samples[0]
    assert _result(client, sample).status_code == 200
    assert client.get(f"/visits/counties/{world.xinye.code}/offline").json["rechecks"] == 0
