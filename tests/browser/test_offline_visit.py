"""Issue 9, offline: a whole visit captured with the network off, the tab reloaded while offline,
then reconnected — every record reaches the server exactly once, photos with their EXIF time and
GPS. Chromium at 768×1024 (portrait tablet), Playwright's context.set_offline.

What was seen before: offline, tapping an answer or adding a photo showed 保存失败 / 重试, and after
a reload and reconnect the answer and the photo were gone."""
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.visits.models import Answer, AnswerResult, Finding, SiteVisit, VisitStatus
from tests.browser.support import SW_CONTROLS, allow_console_errors, sign_in, unexpected_console_errors
from tests.media import images
from tests.visits import factories as f

pytestmark = pytest.mark.browser

RESULTS = ["conforms", "nonconforming", "basically", "conforms", "not_applicable", "nonconforming"]


def _photo(tmp_path, n: int):
    """A phone-sized JPEG under 1 MB (resize passes it through unchanged) with EXIF time and GPS."""
    exif = images.make_exif(taken=f"2024:05:07 09:3{n}:04", offset="+08:00", gps=images.GPS_NORTH_EAST)
    path = tmp_path / f"IMG_2024050{n}.jpg"
    path.write_bytes(images.jpeg(1200, 900, exif=exif))
    return str(path)


def _prepared(page, live_server, county_code):
    """Open the county page, wait for the service worker to control it, press 离线准备."""
    page.goto(f"{live_server}/visits/counties/{county_code}")
    page.evaluate(SW_CONTROLS)
    page.locator("[data-offline-prepare]").click()
    expect(page.locator("[data-offline-prepared]")).to_contain_text("已离线准备")


def test_whole_visit_offline_reload_reconnect(live_server, portrait, world, password, tmp_path):
    version = f.make_version(n_items=6)
    items = f.items_of(version)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    page = portrait
    sign_in(page, live_server, "inspector8", password)
    _prepared(page, live_server, visit.site.county.code)
    page.goto(f"{live_server}/visits/{visit.id}")
    expect(page.locator("#sync-queue")).to_contain_text("已全部同步")

    page.context.set_offline(True)
    for item, result in zip(items, RESULTS):
        row = page.locator(f"#item-{item.id}")
        row.locator(f"label.choice-{result}").click()
        expect(row.locator(".answer-status")).to_contain_text("已存入本机，待同步")
    second = page.locator(f"#item-{items[1].id}")
    second.locator("textarea").fill("未见资产划转文件")
    second.locator("textarea").dispatch_event("input")
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 6 条待同步")
    second.locator("text=记录为问题").click()                  # offline: the page's blank form, prefilled
    item_form = second.locator("form[data-finding-form]")
    expect(item_form.locator("textarea[name=description]")).to_have_value(re.compile("未见资产划转文件"))
    expect(item_form.locator("input[name=category]")).not_to_have_value("")
    item_form.locator("button:has-text('取消')").click()
    expect(item_form).to_have_count(0)
    page.locator(f"#item-{items[0].id} input[data-photo-input]").set_input_files(
        [_photo(tmp_path, 1), _photo(tmp_path, 2)])
    expect(page.locator(f"#gallery-item-{items[0].id} .gallery-item.is-queued")).to_have_count(2)

    for n in range(3):
        page.locator("#free-findings >> text=＋ 新增问题").click()
        form = page.locator("#finding-slot-free form[data-finding-form]")
        form.locator("textarea[name=description]").fill(f"第{n + 1}个问题：信息平台未联通")
        form.locator("input[name=category]").fill("信息化")
        if n:
            form.locator("input[data-pending-photos]").set_input_files(
                [_photo(tmp_path, 2 * n + 1), _photo(tmp_path, 2 * n + 2)])
        form.locator("button[type=submit]").click()
        expect(page.locator("#findings-free .finding.is-queued")).to_have_count(n + 1)
    expect(page.locator("#findings-free .finding.is-queued .gallery-item")).to_have_count(4)
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 15 条待同步")

    # Reload while offline: the service worker's copy of the page, the queue laid over it.
    page.reload()
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 15 条待同步")
    expect(page.locator(f"#item-{items[1].id} input[value=nonconforming]")).to_be_checked()
    expect(page.locator(f"#item-{items[1].id} textarea")).to_have_value("未见资产划转文件")
    expect(page.locator("#findings-free .finding.is-queued")).to_have_count(3)
    expect(page.locator(".gallery-item.is-queued")).to_have_count(6)

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#sync-queue")).to_contain_text("已全部同步", timeout=60_000)
    expect(page.locator("#findings-free article.finding:not(.is-queued)")).to_have_count(3)
    expect(page.locator(".gallery-item.is-queued")).to_have_count(0)
    expect(page.locator(f"#status-{items[5].id}")).to_contain_text("已保存")

    db.session.expire_all()
    answers = db.session.execute(sa.select(Answer).where(Answer.visit_id == visit.id)).scalars().all()
    assert sorted((a.item_id, a.result) for a in answers) == sorted(
        (item.id, AnswerResult(result)) for item, result in zip(items, RESULTS))
    assert {a.item_id: a.note for a in answers}[items[1].id] == "未见资产划转文件"
    findings = db.session.execute(sa.select(Finding).where(Finding.visit_id == visit.id)).scalars().all()
    assert sorted(x.description for x in findings) == [f"第{n}个问题：信息平台未联通" for n in (1, 2, 3)]
    photos = db.session.execute(sa.select(Attachment).where(sa.or_(
        Attachment.answer_id.in_([a.id for a in answers]), Attachment.finding_id.in_([x.id for x in findings])))
    ).scalars().all()
    assert len(photos) == 6 == db.session.scalar(sa.select(sa.func.count()).select_from(Attachment))
    assert sorted(p.filename for p in photos) == sorted(f"IMG_2024050{n}.jpg" for n in range(1, 7))
    by_finding = sorted(sum(1 for p in photos if p.finding_id == x.id) for x in findings)
    assert by_finding == [0, 2, 2]
    for photo in photos:
        n = int(photo.filename[-5])
        assert photo.taken_at == datetime(2024, 5, 7, 1, 30 + n, 4, tzinfo=timezone.utc)
        assert photo.gps_lat == pytest.approx(images.LAT_NORTH_EAST, abs=1e-5)
        assert photo.gps_lon == pytest.approx(images.LON_NORTH_EAST, abs=1e-5)
    # Offline, the bell's polling fails (and says so in the console); nothing else may go wrong.
    offline = ("htmx:afterRequest", "htmx:sendError", "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED")
    allow_console_errors(page, *offline)
    assert unexpected_console_errors(page) == []


def _queue_answer_offline(page, live_server, visit, item, result="nonconforming"):
    page.goto(f"{live_server}/visits/{visit.id}")
    page.evaluate(SW_CONTROLS)
    page.context.set_offline(True)
    row = page.locator(f"#item-{item.id}")
    row.locator(f"label.choice-{result}").click()
    expect(row.locator(".answer-status")).to_contain_text("已存入本机，待同步")
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 1 条待同步")
    return row


def test_a_refused_record_stays_with_the_reason_until_deleted(live_server, portrait, world, password):
    """The leader's side closed the visit while the tablet was offline: the server answers 409; the
    answer stays in the queue with the reason, and goes only when the inspector deletes it."""
    items = f.items_of(f.make_version(n_items=3))
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    page = portrait
    allow_console_errors(page, "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED", "status of 409 (CONFLICT)")   # requests made offline, and the refusal the test is about
    sign_in(page, live_server, "inspector8", password)
    row = _queue_answer_offline(page, live_server, visit, items[0])
    visit.status = VisitStatus.SUBMITTED
    db.session.commit()

    with page.expect_response(re.compile(r"/answer$")) as refused:
        page.context.set_offline(False)
    assert refused.value.status == 409
    queue = page.locator("#sync-queue")
    expect(queue).to_contain_text("1 条被拒绝")
    expect(row.locator(".answer-status")).to_contain_text("该核查已提交")
    page.reload()                                   # still there after a reload
    queue.locator("summary").click()
    record = queue.locator(".sync-record.state-refused")
    expect(record).to_contain_text("被拒绝：该核查已提交")
    asked = []

    def answer(dialog):                             # the first time no, then yes
        asked.append(dialog.message)
        dialog.accept() if len(asked) > 1 else dialog.dismiss()
    page.on("dialog", answer)
    record.locator("[data-sync-delete]").click()    # the confirm is asked within the tap
    assert len(asked) == 1 and "将不会上传" in asked[0]
    expect(record).to_have_count(1)                 # not confirmed: kept
    record.locator("[data-sync-delete]").click()
    expect(queue.locator(".sync-record")).to_have_count(0)
    assert len(asked) == 2
    assert db.session.execute(sa.select(sa.func.count()).select_from(Answer)).scalar_one() == 0


def test_records_wait_for_sign_in_again_and_are_sent_after_it(live_server, portrait, world, password):
    """The session ends while the tablet is offline: the queued answer waits (需重新登录), and is sent
    once the same inspector signs in again, with a fresh CSRF token."""
    items = f.items_of(f.make_version(n_items=3))
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    page = portrait
    allow_console_errors(page, "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED", "status of 401 (UNAUTHORIZED)")   # requests made offline, and the send the ended session refuses
    sign_in(page, live_server, "inspector8", password)
    _queue_answer_offline(page, live_server, visit, items[1], "basically")
    page.context.clear_cookies()                    # the session is gone (idle timeout, server restart)

    with page.expect_response(re.compile(r"/csrf-token$")) as asked:
        page.context.set_offline(False)
    assert asked.value.status == 401
    expect(page.locator("#sync-queue")).to_contain_text("1 条待同步")
    expect(page.locator("#sync-queue .sync-note")).to_contain_text("登录已过期")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Answer)).scalar_one() == 0

    with page.expect_response(lambda r: r.url.endswith("/answer") and r.status == 200):
        sign_in(page, live_server, "inspector8", password)
    db.session.expire_all()
    answer = db.session.execute(sa.select(Answer)).scalar_one()
    assert (answer.item_id, answer.result) == (items[1].id, AnswerResult.BASICALLY)
    expect(page.locator("#sync-queue")).to_have_count(1)
    expect(page.locator("#sync-queue")).to_be_hidden()   # nothing left, and the home page has no capture


def test_starting_a_site_offline_is_queued_and_sent_once(live_server, portrait, world, password):
    """On a county page the service worker kept (opened online, without 离线准备, so the site's blank
    visit screen is not kept — tests/browser/test_offline_start.py covers that case), 开始核查
    without a network queues the start (with its client UUID); reconnected, the visit is created
    once and the row leads to it."""
    f.make_version(n_items=3)
    page = portrait
    allow_console_errors(page, "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED", "htmx:afterRequest", "htmx:sendError")   # requests made offline (htmx logs the bell's failed poll)
    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/visits/counties/{world.xinye.code}")
    page.evaluate(SW_CONTROLS)
    with page.expect_response(lambda r: r.url.endswith(f"/visits/counties/{world.xinye.code}")
                              and r.from_service_worker):
        page.reload()                               # through the worker, which keeps it
    page.context.set_offline(True)
    page.reload()                                   # the kept copy of the county page
    row = page.locator("li.site-row", has_text="医共体管理办公室")
    row.locator("text=开始核查").click()
    expect(row.locator("button")).to_have_text("已排队，联网后开始")
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 1 条待同步")

    with page.expect_response(re.compile(r"/start$")):
        page.context.set_offline(False)
    expect(row.locator("a:has-text('继续核查')")).to_have_attribute("href", re.compile(r"^/visits/\d+$"))
    expect(page.locator("#sync-queue")).to_contain_text("已全部同步")
    visits = db.session.execute(sa.select(SiteVisit)).scalars().all()
    assert len(visits) == 1 and visits[0].site_id == f.office_site(world.xinye).id
    row.locator("a:has-text('继续核查')").click()
    expect(page).to_have_url(re.compile(rf"/visits/{visits[0].id}$"))


# The number of records in the offline queue's IndexedDB store (offline.js deletes a record in the
# transaction that follows its response).
QUEUE_COUNT = """() => new Promise(resolve => {
  const open = indexedDB.open("inspect-offline");
  open.onsuccess = () => {
    const db = open.result;
    const count = db.transaction("records").objectStore("records").count();
    count.onsuccess = () => { db.close(); resolve(count.result); };
  };
  open.onerror = () => resolve(-1);
})"""


def wait_for_empty_queue(page, timeout_s: float = 30) -> None:
    """Poll the queue's store (each poll a round trip into the page, no sleeping) until it is empty;
    fail after `timeout_s`, the usual bound of a Playwright wait."""
    import time
    deadline = time.monotonic() + timeout_s
    while (count := page.evaluate(QUEUE_COUNT)) != 0:
        assert time.monotonic() < deadline, f"the offline queue still holds {count} record(s)"


def test_a_kept_page_older_than_what_was_sent_shows_what_was_sent(live_server, portrait, world, password, tmp_path):
    """Found by the soak (bench/offline_soak.py): the page the service worker kept predates records
    already sent; reloaded offline, it must show them (else the next change of that item would
    resend the old, empty choice and note, and a sent finding would seem lost)."""
    items = f.items_of(f.make_version(n_items=3))
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    page = portrait
    allow_console_errors(page, "ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED", "htmx:afterRequest", "htmx:sendError")   # requests made offline (htmx logs the bell's failed poll)
    sign_in(page, live_server, "inspector8", password)
    _prepared(page, live_server, world.xinye.code)                # keeps /visits/<id> as it is now
    page.goto(f"{live_server}/visits/{visit.id}")
    first = page.locator(f"#item-{items[0].id}")
    first.locator("label.choice-nonconforming").click()
    first.locator("textarea").fill("未见会议纪要")
    # Wait for the send that carries the note itself: "已全部同步" can still show from the choice's
    # send before the note is queued (seen under load: the note then went offline unsent).
    with page.expect_response(lambda r: r.url.endswith("/answer") and "未见会议纪要" in (r.request.post_data or "")):
        first.locator("textarea").dispatch_event("change")
    expect(page.locator("#sync-queue")).to_contain_text("已全部同步")
    with page.expect_response(lambda r: r.url.endswith("/photos") and r.request.method == "POST"):
        first.locator("input[data-photo-input]").set_input_files(_photo(tmp_path, 1))
    expect(page.locator(f"#gallery-item-{items[0].id} .gallery-item:not(.is-queued)")).to_have_count(1)
    # The gallery shows the server's answer before the queue has let go of the photo's record (an
    # IndexedDB write a reload would abort, seen under load), and "已全部同步" may still be the text
    # from before the photo was queued: wait until the queue's store itself is empty.
    wait_for_empty_queue(page)

    page.context.set_offline(True)
    page.reload()
    expect(first.locator("input[value=nonconforming]")).to_be_checked()
    expect(first.locator("textarea")).to_have_value("未见会议纪要")
    expect(first.locator(".answer-status")).to_contain_text("已保存")
    expect(page.locator(f"#gallery-item-{items[0].id} .gallery-item")).to_have_count(1)
    first.locator("label.choice-basically").click()                # a change made on the kept page
    expect(first.locator(".answer-status")).to_contain_text("已存入本机，待同步")

    with page.expect_response(re.compile(r"/answer$")):
        page.context.set_offline(False)
    expect(page.locator("#sync-queue")).to_contain_text("已全部同步")
    db.session.expire_all()
    answer = db.session.execute(sa.select(Answer).where(Answer.item_id == items[0].id)).scalar_one()
    assert (answer.result, answer.note) == (AnswerResult.BASICALLY, "未见会议纪要")


def test_the_queue_survives_a_restarted_browser(live_server, browser, world, password, tmp_path):
    """Queued offline, the browser closed (a tablet restarted), opened again online: the answer and
    the photo are still queued and are sent once."""
    from tests.browser.support import CHROMIUM, CHROMIUM_ARGS
    items = f.items_of(f.make_version(n_items=3))
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    profile = tmp_path / "profile"

    def open_browser():
        context = browser.browser_type.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport={"width": 768, "height": 1024},
            locale="zh-CN", has_touch=True, timezone_id="Asia/Shanghai")
        context.set_default_timeout(10_000)
        return context, context.pages[0] if context.pages else context.new_page()

    context, page = open_browser()
    sign_in(page, live_server, "inspector8", password)
    row = _queue_answer_offline(page, live_server, visit, items[2], "not_applicable")
    row.locator("input[data-photo-input]").set_input_files(_photo(tmp_path, 4))
    expect(page.locator("#sync-queue")).to_contain_text("离线 · 2 条待同步")
    context.close()

    context, page = open_browser()
    try:
        with page.expect_response(lambda r: r.url.endswith("/photos") and r.status == 200):
            page.goto(f"{live_server}/visits/{visit.id}")
        expect(page.locator("#sync-queue")).to_contain_text("已全部同步")
    finally:
        context.close()
    db.session.expire_all()
    answer = db.session.execute(sa.select(Answer)).scalar_one()
    assert (answer.item_id, answer.result) == (items[2].id, AnswerResult.NOT_APPLICABLE)
    photo = db.session.execute(sa.select(Attachment)).scalar_one()
    assert (photo.answer_id, photo.filename) == (answer.id, "IMG_20240504.jpg")
