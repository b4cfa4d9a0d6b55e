"""Issue 15's re-check journey in Chromium at 768×1024: the province draws a round → the inspector
records one item as 书面整改 with a photo on the tablet's re-check screen → the item is reopened →
the unit's user finds the notice → the county's false-closure rate is on its dashboard. And the same
screen kept by 离线准备: a result recorded offline goes through the offline queue once back online."""
import os

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.rechecks.models import RecheckRound
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem
from inspect_app.visits.models import Severity
from inspect_app.media.models import Attachment
from inspect_app.rechecks import service
from tests.browser.support import SW_CONTROLS, allow_console_errors, sign_in, sign_out
from tests.rechecks.factories import campaign, closed_items, team8

pytestmark = pytest.mark.browser
PHOTO = os.path.join(os.path.dirname(__file__), "..", "data", "xmp_test.jpg")


def test_recheck_round_reopens_an_item_and_shows_on_the_dashboard(live_server, portrait, world, password):
    page = portrait
    closed_items(world, {(world.xinye, Severity.SERIOUS): 3})

    sign_in(page, live_server, "province", password)
    page.goto(f"{live_server}/rechecks/new")
    page.select_option("#team_id", label="2022年紧密型县域医共体建设核查 · 第八核查组")
    page.check("input[name=mode][value=count]")
    page.fill("#count", "2")
    page.fill("#seed", "20220713")
    with page.expect_response(lambda r: r.url.endswith("/rechecks/new") and r.request.method == "POST"):
        page.click("#draw-submit")
    expect(page.locator("#round-seed")).to_have_text("20220713")
    expect(page.locator("#round-size")).to_have_text("2 项")
    sign_out(page)

    rnd = db.session.execute(sa.select(RecheckRound)).scalar_one()
    first = min(rnd.item_ids)
    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/rechecks/{rnd.id}")
    page.click("#open-field")
    sample_id = rnd.samples[0].id
    card = page.locator(f"#sample-{sample_id}")
    expect(card).to_contain_text("销号佐证（整改后）")
    card.locator("input[name=result][value=on_paper]").check()
    card.locator("textarea[name=note]").fill("远程心电设备未安装，仅有制度文件")
    card.locator("input[name=photos]").set_input_files(PHOTO)
    with page.expect_response(lambda r: f"/rechecks/samples/{sample_id}/result" in r.url) as answer:
        card.locator(f"#sample-{sample_id}-submit").click()
    assert answer.value.status == 200
    recorded = page.locator(f"#sample-{sample_id}-recorded")
    expect(recorded).to_contain_text("书面整改")
    expect(recorded).to_contain_text("事项已重新打开")
    expect(page.locator(f"#sample-{sample_id} img[alt='复核照片 1']")).to_be_visible()
    sign_out(page)

    db.session.expire_all()
    item = db.session.get(RectificationItem, rnd.samples[0].item_id)
    assert item.status is Status.IN_PROGRESS and item.id in (first, max(rnd.item_ids))

    sign_in(page, live_server, "xinye-wjw", password)
    page.click("#notification-bell")
    notice = page.locator(".notice[data-kind=reopened]")
    expect(notice).to_contain_text(f"整改事项 {item.number}")
    expect(notice).to_contain_text("抽查复核结果为“书面整改”，已重新打开")
    sign_out(page)

    sign_in(page, live_server, "xinye", password)
    with page.expect_response(lambda r: "/rechecks/panel" in r.url) as panel:
        page.goto(f"{live_server}/dashboard/")
    assert panel.value.status == 200
    row = page.locator("#recheck-by-county tr", has_text="新野县")
    expect(row).to_contain_text("100.0%")         # 1 of 1 re-checked was not fixed
    expect(row).to_contain_text("20.7% – 100.0%")  # its Wilson 95% interval


def test_recheck_screen_prepared_offline_queues_the_result_and_sends_it(live_server, portrait, world, password):
    """离线准备 keeps the re-check screen; offline, reloaded from the kept copy, a result with a photo is
    queued on the tablet; back online the queue sends it (once) and the item is reopened."""

    page = portrait
    # requests made offline (htmx logs the bell's failed poll)
    allow_console_errors(page, "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED", "htmx:afterRequest", "htmx:sendError")
    closed_items(world, {(world.xinye, Severity.SERIOUS): 2})
    rnd = service.draw_round(world.users["province"], campaign().id, team8().id, "离线复核", count=1, seed=5)
    sample_id = rnd.samples[0].id
    item_id = rnd.samples[0].item_id

    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/rechecks/{rnd.id}/field")
    page.evaluate(SW_CONTROLS)
    with page.expect_response(lambda r: r.url.endswith(f"/rechecks/{rnd.id}/offline")):
        page.click("#recheck-offline-prepare")
    expect(page.locator("[data-offline-prepared]")).to_contain_text("已离线准备")

    page.context.set_offline(True)
    page.reload()                                       # the kept copy of the screen
    card = page.locator(f"#sample-{sample_id}")
    card.locator("input[name=result][value=false]").check()
    card.locator("textarea[name=note]").fill("现场无任何整改痕迹")
    card.locator("input[name=photos]").set_input_files(PHOTO)
    card.locator(f"#sample-{sample_id}-submit").click()
    expect(card.locator("[data-recheck-queued]")).to_contain_text("排队中")
    assert db.session.get(RectificationItem, item_id).status is Status.CLOSED

    with page.expect_response(lambda r: f"/rechecks/samples/{sample_id}/result" in r.url and r.status == 200):
        page.context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(card.locator("[data-recheck-queued]")).to_contain_text("复核结果已提交：虚假整改")
    db.session.expire_all()
    assert db.session.get(RectificationItem, item_id).status is Status.IN_PROGRESS
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment).where(
        Attachment.recheck_sample_id == sample_id)).scalar() == 1

