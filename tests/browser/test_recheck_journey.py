"""Issue 15's re-check journey in Chromium at 768×1024: the province draws a round → the inspector
records one item as 书面整改 with a photo on the tablet's re-check screen → the item is reopened →
the unit's user finds the notice → the county's false-closure rate is on its dashboard. And the same
screen kept by 离线准备: a result recorded offline goes through the offline queue once back online."""
import os

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.rechecks.models import RecheckResult, RecheckRound, RecheckSample
from inspect_app.rectification.lifecycle import Action
from inspect_app.rectification.models import ItemHistory
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem
from inspect_app.visits.models import Severity
from inspect_app.media.models import Attachment
from inspect_app.rechecks import service
from tests.browser.support import SW_CONTROLS, allow_console_errors, sign_in, sign_out
from tests.rechecks.factories import campaign, closed_items, team8, with_evidence

pytestmark = pytest.mark.browser
PHOTO = os.path.join(os.path.dirname(__file__), "..", "data", "xmp_test.jpg")
PHOTO2 = os.path.join(os.path.dirname(__file__), "..", "data", "sugarshack.mpo")   # a camera MPO: JPEG inside


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


def test_recheck_screen_prepared_offline_records_a_result_with_two_photos(live_server, portrait, world, password):
    """离线准备 keeps the re-check screen and the evidence photos on it (never seen online before:
    the photo cache is emptied first); offline, reloaded from the kept copy, the 整改前 / 整改后
    thumbnails show and a result with TWO photos is queued (the result, then one record per photo);
    back online the queue sends them: the result is recorded once, both photos are attached to the
    sample and the item is reopened."""
    page = portrait
    # requests made offline (htmx logs the bell's failed poll)
    allow_console_errors(page, "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED", "htmx:afterRequest", "htmx:sendError")
    closed_items(world, {(world.xinye, Severity.SERIOUS): 2})
    rnd = service.draw_round(world.users["province"], campaign().id, team8().id, "离线复核", count=1, seed=5)
    sample_id = rnd.samples[0].id
    item_id = rnd.samples[0].item_id
    with_evidence(world, db.session.get(RectificationItem, item_id), PHOTO, PHOTO2)

    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/rechecks/{rnd.id}/field")
    page.evaluate(SW_CONTROLS)
    page.evaluate("caches.delete('inspect-photos-v1')")   # 离线准备 alone must keep them
    with page.expect_response(lambda r: r.url.endswith(f"/rechecks/{rnd.id}/offline")):
        page.click("#recheck-offline-prepare")
    expect(page.locator("[data-offline-prepared]")).to_contain_text("已保存 1 个复核事项的页面和佐证照片，可离线填写")
    assert page.evaluate("caches.open('inspect-photos-v1').then((c) => c.keys()).then((k) => k.length)") == 4

    page.context.set_offline(True)
    page.reload()                                       # the kept copy of the screen
    card = page.locator(f"#sample-{sample_id}")
    for alt in ("整改前照片 1", "整改后照片 1"):
        img = card.locator(f"img[alt='{alt}']")
        img.scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    card.locator("input[name=result][value=on_paper]").check()
    card.locator("textarea[name=note]").fill("仅有制度文件，现场设备未安装")
    card.locator("input[name=photos]").set_input_files([PHOTO, PHOTO2])
    card.locator(f"#sample-{sample_id}-submit").click()
    queued = card.locator("[data-recheck-queued]")
    expect(queued).to_contain_text("排队中")
    expect(queued).to_contain_text("含 2 张照片")
    expect(page.locator("#sync-queue .sync-summary")).to_contain_text("3 条待同步")
    expect(page.locator("body")).not_to_contain_text("第一张照片")
    assert db.session.get(RectificationItem, item_id).status is Status.CLOSED

    posted = []
    page.on("response", lambda r: posted.append((r.url.split(live_server)[-1], r.status))
            if r.request.method == "POST" and "/rechecks/samples/" in r.url else None)
    with page.expect_response(lambda r: f"/rechecks/samples/{sample_id}/result" in r.url and r.status == 200):
        page.context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(queued).to_contain_text("复核结果已提交：书面整改")
    expect(page.locator("#sync-queue .sync-summary")).to_have_text("已全部同步")
    assert posted == [(f"/rechecks/samples/{sample_id}/result", 200), (f"/rechecks/samples/{sample_id}/photos", 200),
                      (f"/rechecks/samples/{sample_id}/photos", 200)]

    db.session.expire_all()
    sample = db.session.get(RecheckSample, sample_id)
    assert sample.result is RecheckResult.ON_PAPER and sample.note == "仅有制度文件，现场设备未安装"
    assert db.session.get(RectificationItem, item_id).status is Status.IN_PROGRESS
    assert db.session.execute(sa.select(sa.func.count()).select_from(ItemHistory).where(
        ItemHistory.item_id == item_id, ItemHistory.action == Action.RECHECK.value)).scalar() == 1
    photos = db.session.execute(sa.select(Attachment).where(Attachment.recheck_sample_id == sample_id)).scalars().all()
    assert len(photos) == 2 and len({p.uuid for p in photos}) == 2
    assert sorted(p.filename.split(".")[0] for p in photos) == ["sugarshack", "xmp_test"]   # both, not one twice
