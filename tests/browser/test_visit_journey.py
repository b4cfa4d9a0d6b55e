"""Issue 3's journey in Chromium at 768×1024 (portrait tablet): start a visit, autosave answers (and
queue them while the connection is down), record a finding with a photo scaled down in the browser, view it
full screen, submit; the leader issues 新野县's problem list; xinye sees the item as 待整改 and
tongbai does not; finally the leader can still reopen the visit."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem
from inspect_app.visits.models import Answer, AnswerResult, Finding, SiteVisit, VisitStatus
from tests.browser.support import allow_console_errors, sign_in, sign_out, unexpected_console_errors
from tests.media import images
from tests.visits import factories as f

pytestmark = pytest.mark.browser


def test_inspector_visit_journey(live_server, portrait, world, password, tmp_path):
    version = f.make_version(n_items=6)
    items = f.items_of(version)
    big = tmp_path / "camera.jpg"
    big.write_bytes(images.camera_jpeg())            # 4000×3000, EXIF orientation 6 and GPS
    page = portrait

    sign_in(page, live_server, "inspector8", password)
    page.click("nav.nav >> text=我的核查")
    page.click("a.county-card:has-text('新野县')")
    expect(page.locator("#county-sites")).to_contain_text("未开始")
    page.locator("li.site-row", has_text="医共体管理办公室").locator("text=开始核查").click()
    expect(page).to_have_url(re.compile(r"/visits/\d+$"))
    expect(page.locator("#visit-progress")).to_contain_text("0/6")

    first = page.locator(f"#item-{items[0].id}")
    first.locator("label.choice-conforms").click()
    expect(first.locator(".answer-status")).to_contain_text("已保存")
    expect(page.locator("#visit-progress")).to_contain_text("1/6")

    second = page.locator(f"#item-{items[1].id}")
    second.locator("label.choice-nonconforming").click()
    expect(second.locator(".answer-status")).to_contain_text("已保存")
    page.context.set_offline(True)
    second.locator("textarea").click()
    page.keyboard.type("未见资产划转文件")
    # Issue 9: offline, the note waits in the tablet's queue and is sent when the network returns.
    expect(second.locator(".answer-status")).to_contain_text("已存入本机，待同步")
    expect(second.locator("textarea")).to_have_value("未见资产划转文件")
    page.context.set_offline(False)
    expect(second.locator(".answer-status")).to_contain_text("已保存")

    second.locator("text=记录为问题").click()
    form = second.locator("form[data-finding-form]")
    expect(form.locator("textarea[name=description]")).to_have_value(re.compile("未见资产划转文件"))
    form.locator("select[name=rectification_type]").select_option("immediate")
    expect(form.locator("input[name=deadline]")).to_have_count(0)     # set at issue, from the day of issue
    form.locator("select[name=severity]").select_option("serious")
    form.locator("input[data-pending-photos]").set_input_files(str(big))
    form.locator("button[type=submit]").click()
    card = second.locator("article.finding")
    expect(card).to_contain_text("立行立改")
    # Queued on the tablet first (待同步), then the server's thumbnail.
    expect(card.locator(".gallery-item:not(.is-queued)")).to_have_count(1, timeout=20_000)
    expect(card.locator(".gallery-item")).to_have_count(1)

    card.locator(".gallery-thumb").click()
    expect(page.locator("#photo-viewer")).to_be_visible()
    page.locator("[data-viewer-close]").click()
    expect(page.locator("#photo-viewer")).to_be_hidden()

    page.click("text=完成并提交核查")
    expect(page.locator("#submit-confirm")).to_contain_text("还有 4 项未作答")
    # Submitting with gaps is refused until each has a reason; the reasons typed so far stay.
    reasons = page.locator("#submit-gaps textarea")
    reasons.first.fill("该院未开展此项业务")
    with page.expect_response(lambda r: r.url.endswith("/submit") and r.request.method == "POST"):
        page.click("text=确认提交")
    expect(page.locator("#submit-gaps .error").first).to_contain_text("请说明原因")
    expect(reasons.first).to_have_value("该院未开展此项业务")
    for i in range(reasons.count()):
        if not reasons.nth(i).input_value():
            reasons.nth(i).fill("现场未能核查")
    page.click("text=确认提交")
    expect(page.locator("#submitted-banner")).to_contain_text("内容只读")
    # The offline moment logs the failed request, the refused submit its 422; nothing else may go wrong.
    offline = ("htmx:afterRequest", "htmx:sendError", "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED", "422 (UNPROCESSABLE ENTITY)")
    allow_console_errors(page, *offline)
    assert unexpected_console_errors(page) == []
    sign_out(page)

    db.session.expire_all()
    visit = db.session.execute(sa.select(SiteVisit)).scalar_one()
    assert visit.status == VisitStatus.SUBMITTED
    answer = db.session.execute(sa.select(Answer).where(Answer.item_id == items[1].id)).scalar_one()
    assert answer.result == AnswerResult.NONCONFORMING and answer.note == "未见资产划转文件"
    finding = db.session.execute(sa.select(Finding)).scalar_one()
    photo = db.session.execute(sa.select(Attachment)).scalar_one()
    assert photo.finding_id == finding.id
    assert max(photo.width, photo.height) <= 2560          # scaled down in the browser before upload
    assert photo.size_bytes < 1024 * 1024

    sign_in(page, live_server, "leader8", password)
    page.click("nav.nav >> text=问题清单")
    page.locator("#pl-table tr", has_text="新野县").locator("text=查看清单").click()
    expect(page.locator("#problem-list")).to_contain_text("未见资产划转文件")
    page.click("text=下发清单…")
    page.click("button:has-text('确认下发')")
    expect(page.locator("body")).to_contain_text("已下发")
    page.goto(f"{live_server}/visits/{visit.id}")
    page.once("dialog", lambda dialog: dialog.accept())        # "确定退回该核查…？"
    page.click("text=退回修改")
    expect(page.locator("#submitted-banner")).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(SiteVisit, visit.id).status == VisitStatus.IN_PROGRESS
    item = db.session.execute(sa.select(RectificationItem)).scalar_one()
    assert item.status == Status.PENDING and item.finding_id == finding.id and item.number == "411329-2022-001"
    sign_out(page)

    sign_in(page, live_server, "xinye", password)
    page.click("nav.nav >> text=整改事项")
    row = page.locator(f"#item-row-{item.id}")
    expect(row).to_contain_text("待整改")
    expect(row).to_contain_text("411329-2022-001")
    row.locator("a").click()
    expect(page.locator("body")).to_contain_text("未见资产划转文件")
    expect(page.locator("img[alt^='整改前照片']")).to_have_count(1)     # the finding's photo, now visible
    sign_out(page)

    sign_in(page, live_server, "tongbai", password)
    page.click("nav.nav >> text=整改事项")
    expect(page.locator("#item-rows")).to_contain_text("没有符合条件的整改事项")
    allow_console_errors(page, "status of 404 (NOT FOUND)")      # the item and photo tongbai may not see
    response = page.goto(f"{live_server}/items/{item.id}")
    assert response.status == 404
    response = page.goto(f"{live_server}/media/{photo.id}/thumb")
    assert response.status == 404
