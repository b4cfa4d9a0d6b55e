"""Issue 9, offline, the two gaps left by test_offline_visit.py: a site that was never started is
started and answered without a network, and existing findings are edited and deleted offline.
Chromium at 768×1024 (portrait tablet), Playwright's context.set_offline; every wait is on a
request or a DOM state.

Before: tapping 开始核查 offline only queued the start (已排队，联网后开始), the visit screen came
after reconnecting; editing or deleting a finding offline failed with 保存失败."""
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.visits.models import Answer, AnswerResult, Finding, SiteVisit
from tests.browser.support import SW_CONTROLS, _new_page, allow_console_errors, sign_in
from tests.media import images
from tests.visits import factories as f

pytestmark = pytest.mark.browser

# Xiaomi M2012K11AG (tests/data/xiaomi.heic as the phone's JPEG): taken 2023-04-27 19:44:18 Beijing time,
# GPS 47°13'38.240039" N; 2592×1944, so the page shrinks it and must carry the EXIF over.
TAKEN_UTC = datetime(2023, 4, 27, 11, 44, 18, tzinfo=timezone.utc)
LAT = 47 + 13 / 60 + 38.240039 / 3600
RESULTS = ["nonconforming", "conforms", "basically", "not_applicable"]
OFFLINE_NOISE = ("htmx:afterRequest", "htmx:sendError", "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED")


def phone_photos(tmp_path, n):
    data = images.phone_jpeg_from_heic("xiaomi.heic")
    paths = []
    for i in range(n):
        path = tmp_path / f"IMG_20230427_19441{i}.jpg"
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def prepare(page, live_server, code="411329"):
    page.goto(f"{live_server}/visits/counties/{code}")
    page.evaluate(SW_CONTROLS)
    page.locator("[data-offline-prepare]").click()
    expect(page.locator("[data-offline-prepared]")).to_contain_text("已离线准备")


def count(model, *where):
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def test_unstarted_site_is_started_and_answered_offline(live_server, browser, portrait, world, password, tmp_path):
    version = f.make_version(n_items=6)
    items = f.items_of(version)
    site = f.office_site(world.xinye)
    other_site = db.session.execute(sa.select(f.Site).where(f.Site.county_id == world.xinye.id,
                                                           f.Site.id != site.id)).scalars().first()
    started = f.make_visit(other_site, world.users["inspector8"])
    kept, dropped = f.make_finding(started), f.make_finding(started)
    dropped_id = dropped.id
    photos = phone_photos(tmp_path, 3)
    page = portrait
    allow_console_errors(page, "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED", "htmx:afterRequest", "htmx:sendError")   # requests made offline (htmx logs the bell's failed poll)
    sign_in(page, live_server, "inspector8", password)
    prepare(page, live_server)

    # Offline: the kept county page; 开始核查 opens the site's blank visit screen under its key.
    page.context.set_offline(True)
    page.reload()
    page.locator(f"#site-{site.id} button:has-text('开始核查')").click()
    page.wait_for_url(re.compile(rf"/visits/sites/{site.id}/new#[0-9a-f-]{{36}}$"))
    blank_url = page.url
    expect(page.locator("[data-prepared-state]")).to_have_text("离线开始，联网后自动同步")
    for item, result in zip(items, RESULTS):
        row = page.locator(f"#item-{item.id}")
        row.locator(f"label.choice-{result}").click()
        expect(row.locator(".answer-status")).to_contain_text("已存入本机，待同步")
    note = page.locator(f"#item-{items[0].id} textarea")
    note.fill("未见资产划转文件")
    note.dispatch_event("input")
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 5 条待同步")
    page.locator(f"#item-{items[0].id} input[data-photo-input]").set_input_files(photos[0])
    expect(page.locator(f"#gallery-item-{items[0].id} .gallery-item.is-queued")).to_have_count(1)
    for n in range(2):
        page.locator("#free-findings >> text=＋ 新增问题").click()
        form = page.locator("#finding-slot-free form[data-finding-form]")
        form.locator("textarea[name=description]").fill(f"离线问题{n + 1}：信息平台未联通")
        form.locator("input[name=category]").fill("信息化")
        form.locator("input[data-pending-photos]").set_input_files(photos[n + 1])
        form.locator("button[type=submit]").click()
        expect(page.locator("#findings-free .finding.is-queued")).to_have_count(n + 1)
    expect(page.locator("#findings-free .finding.is-queued .gallery-item")).to_have_count(2)
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 10 条待同步")

    # The visit started before: one finding edited, another deleted, both queued with their version.
    page.goto(f"{live_server}/visits/{started.id}")
    card = page.locator(f"#finding-{kept.id}")
    card.locator("button:has-text('编辑')").click()
    edit = page.locator(f"form#finding-form-{kept.id}")
    expect(edit.locator("input[name=version]")).to_have_value("1")
    edit.locator("textarea[name=description]").fill("未实行统一法人，资产未划转")
    edit.locator("button[type=submit]").click()
    expect(card.locator(".finding-desc")).to_have_text("未实行统一法人，资产未划转")
    expect(card.locator("[data-queue-badge]")).to_have_text("修改待同步")
    card.locator("button:has-text('编辑')").click()                # again: the queued text, then 取消
    expect(edit.locator("textarea[name=description]")).to_have_value("未实行统一法人，资产未划转")
    edit.locator("button:has-text('取消')").click()
    expect(card.locator("[data-queue-badge]")).to_have_text("修改待同步")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#finding-{dropped.id} button:has-text('删除')").click()
    expect(page.locator(f"#finding-{dropped.id} [data-queue-badge]")).to_have_text("删除待同步")
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 12 条待同步")
    page.reload()
    expect(card.locator(".finding-desc")).to_have_text("未实行统一法人，资产未划转")
    expect(page.locator(f"#finding-{dropped.id}")).to_have_class(re.compile("is-queued-delete"))

    # Back on the started-offline screen, reloaded: the screen and the queue survive.
    page.goto(blank_url)
    page.reload()
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 12 条待同步")
    expect(page.locator(f"#item-{items[2].id} input[value=basically]")).to_be_checked()
    expect(note).to_have_value("未见资产划转文件")
    expect(page.locator("#findings-free .finding.is-queued")).to_have_count(2)
    expect(page.locator(".gallery-item.is-queued")).to_have_count(3)
    assert count(SiteVisit, SiteVisit.site_id == site.id) == 0

    # Meanwhile a second tablet (the leader, online) starts the same site: the first one joins it.
    second = _new_page(browser, 768, 1024)
    try:
        sign_in(second, live_server, "leader8", password)
        second.goto(f"{live_server}/visits/counties/411329")
        second.locator(f"#site-{site.id} button:has-text('开始核查')").click()
        second.wait_for_url(re.compile(r"/visits/\d+$"))
        visit_id = int(second.url.rsplit("/", 1)[1])
    finally:
        second.context.close()

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_url(re.compile(rf"/visits/{visit_id}$"), timeout=90_000)   # once its records are all sent
    expect(page.locator("#sync-queue")).to_contain_text("已全部同步", timeout=30_000)
    expect(page.locator(f"#item-{items[2].id} input[value=basically]")).to_be_checked()

    db.session.expire_all()
    visit = db.session.execute(sa.select(SiteVisit).where(SiteVisit.site_id == site.id)).scalar_one()
    assert visit.id == visit_id
    answers = db.session.execute(sa.select(Answer).where(Answer.visit_id == visit_id)).scalars().all()
    assert sorted((a.item_id, a.result) for a in answers) == sorted(
        (item.id, AnswerResult(result)) for item, result in zip(items, RESULTS))
    assert {a.item_id: a.note for a in answers}[items[0].id] == "未见资产划转文件"
    findings = db.session.execute(sa.select(Finding).where(Finding.visit_id == visit_id)).scalars().all()
    assert sorted(x.description for x in findings) == ["离线问题1：信息平台未联通", "离线问题2：信息平台未联通"]
    stored = db.session.execute(sa.select(Attachment)).scalars().all()
    assert len(stored) == 3
    assert sorted(p.finding_id for p in stored if p.finding_id) == sorted(x.id for x in findings)
    assert [p.answer_id for p in stored if p.answer_id] == [next(a.id for a in answers if a.item_id == items[0].id)]
    for photo in stored:
        assert photo.taken_at == TAKEN_UTC
        assert photo.gps_lat == pytest.approx(LAT, abs=1e-6) and photo.gps_lon is not None
    # Each record exactly once: one audit event per create, the edit and the delete applied once.
    assert count(AuditEvent, AuditEvent.action == "finding.create") == 2
    assert count(AuditEvent, AuditEvent.action == "visit.start") == 1
    assert count(AuditEvent, AuditEvent.action == "finding.update") == 1
    assert count(AuditEvent, AuditEvent.action == "finding.delete") == 1
    edited = db.session.get(Finding, kept.id)
    assert (edited.description, edited.version) == ("未实行统一法人，资产未划转", 2)
    assert db.session.get(Finding, dropped_id) is None
    assert [e for e in page.errors if not any(word in e for word in OFFLINE_NOISE)] == []


def test_offline_edit_over_a_newer_save_shows_the_conflict(live_server, portrait, world, password):
    """The leader saved the finding while the tablet was offline: the queued edit answers 409, the
    page shows the saved text beside the inspector's, which stays in the form and, after a reload,
    on the card; the database keeps the leader's text."""
    f.make_version(n_items=2)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    finding = f.make_finding(visit)
    page = portrait
    allow_console_errors(page, "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED", "htmx:afterRequest", "htmx:sendError", "status of 409 (CONFLICT)")   # requests made offline and the stale edit the test is about
    sign_in(page, live_server, "inspector8", password)
    prepare(page, live_server)
    page.goto(f"{live_server}/visits/{visit.id}")
    page.context.set_offline(True)
    card = page.locator(f"#finding-{finding.id}")
    card.locator("button:has-text('编辑')").click()
    form = page.locator(f"form#finding-form-{finding.id}")
    form.locator("textarea[name=description]").fill("离线时写的描述")
    form.locator("button[type=submit]").click()
    expect(card.locator("[data-queue-badge]")).to_have_text("修改待同步")

    finding_id = finding.id
    finding.description, finding.version = "组长改过的描述", 2         # saved elsewhere meanwhile
    db.session.commit()
    url = f"/visits/findings/{finding_id}"
    with page.expect_response(lambda r: r.url.endswith(url) and r.request.method == "POST") as sent:
        page.context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
    assert sent.value.status == 409
    expect(form.locator("[data-conflict]")).to_contain_text("他人已修改")
    expect(form.locator("textarea[name=description]")).to_have_value("离线时写的描述")
    expect(form).to_contain_text("组长改过的描述")
    expect(page.locator("#sync-queue")).to_contain_text("1 条被拒绝")

    page.reload()
    expect(card.locator(".finding-desc")).to_have_text("组长改过的描述")
    expect(card.locator(".finding-mine")).to_have_text("您的修改（未保存）：离线时写的描述")
    db.session.expire_all()
    assert db.session.get(Finding, finding_id).description == "组长改过的描述"
