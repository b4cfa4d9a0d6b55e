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
