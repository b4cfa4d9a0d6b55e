"""Issue 9, drafts that outlive the session, in Chromium at 768×1024 (portrait tablet): a finding typed
before the idle timeout comes back after signing in again and is saved; a stale CSRF token after
signing in again in another tab does not stop the save; leaving with an unsaved finding asks, and
cancelling keeps the text; signing out removes the drafts; typing and 保持登录 keep the session.

The session is expired deterministically by setting the app's idle timeout to 0 minutes between two
requests (the live server reads the config on each request), never by waiting."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.rectification import date_rules
from inspect_app.visits.models import Finding
from tests.browser.support import allow_console_errors, sign_in, sign_out, unexpected_console_errors
from tests.visits import factories as f

pytestmark = pytest.mark.browser

TEXT = "药品耗材未实行统一采购配送，乡镇卫生院仍各自采购。"
CATEGORY = "管理共同体"


def _is_finding_post(response):
    return response.request.method == "POST" and re.search(r"/visits/\d+/findings$", response.url)


def _open_visit(page, live_server, world, password):
    f.make_version(n_items=3)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/visits/{visit.id}")
    return visit


def _type_new_finding(page, text=TEXT):
    with page.expect_response(lambda r: "/findings/new" in r.url):
        page.click("text=＋ 新增问题")
    form = page.locator("#finding-slot-free form[data-finding-form]")
    form.locator("textarea[name=description]").click()
    page.keyboard.type(text)
    form.locator("input[name=category]").click()
    page.keyboard.type(CATEGORY)
    expect(form.locator("textarea[name=description]")).to_have_value(text)
    return form


def _is_token_fetch(response):
    """The offline queue's first request of a run: the visit screen's saves go through the queue
    (static/js/offline.js), which takes a current CSRF token before sending a record."""
    return response.request.method == "GET" and response.url.endswith("/csrf-token")


def _drafts(page):
    return page.evaluate("""() => Object.keys(localStorage).filter(k => k.startsWith('inspect.draft.'))
                              .map(k => [k, JSON.parse(localStorage.getItem(k))])""")


def _findings():
    db.session.expire_all()
    return db.session.execute(sa.select(Finding)).scalars().all()


def test_text_typed_before_the_idle_timeout_is_back_after_signing_in(live_server, portrait, world, password,
                                                                      app, monkeypatch):
    page = portrait
    visit = _open_visit(page, live_server, world, password)
    inspector = world.users["inspector8"]
    _type_new_finding(page)
    drafts = _drafts(page)
    assert [k for k, _ in drafts] == [f"inspect.draft.{inspector.id}.finding-new-{visit.id}-free"]
    assert drafts[0][1]["path"] == f"/visits/{visit.id}"

    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 0)    # the timeout passes now
    with page.expect_response(_is_finding_post) as refused:
        page.click("#finding-slot-free button[type=submit]")
    assert refused.value.status == 401
    page.wait_for_url(f"{live_server}/login?next=/visits/{visit.id}")
    expect(page.locator("#toasts")).to_contain_text("长时间未操作")
    expect(page.locator("#draft-login-hint")).to_contain_text("登录后将回到原来的页面")
    assert _findings() == []

    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 30)
    page.fill("input[name=username]", "inspector8")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/visits/{visit.id}")          # back on the same visit, not 首页
    banner = page.locator("#draft-banner")
    expect(banner).to_contain_text("记录问题（其他问题）")
    expect(banner).to_contain_text(TEXT)
    with page.expect_response(lambda r: "/findings/new" in r.url):
        banner.locator("text=继续填写").click()
    form = page.locator("#finding-slot-free form[data-finding-form]")
    expect(form.locator("textarea[name=description]")).to_have_value(TEXT)
    expect(form.locator(".draft-notice")).to_contain_text("已恢复")
    expect(banner).to_have_count(0)

    with page.expect_response(_is_finding_post) as saved:
        form.locator("button[type=submit]").click()
    assert saved.value.status == 200
    expect(page.locator("#findings-free article.finding")).to_contain_text(TEXT)
    assert [finding.description for finding in _findings()] == [TEXT]
    assert _drafts(page) == []
    allow_console_errors(page, "401")
    assert unexpected_console_errors(page) == []


def test_stale_token_after_signing_in_again_in_another_tab_still_saves(live_server, portrait, world, password):
    """The tablet slept (its session cookie expired); the user signed in again in another tab. The
    old tab's token is stale: the save is refused once (400), the page takes the current token and
    sends it again."""
    page = portrait
    allow_console_errors(page, "status of 400 (BAD REQUEST)")   # the stale CSRF token's refusal, retried with a fresh one
    _open_visit(page, live_server, world, password)
    # An answer first: the queue sends it with the session's token and keeps that token.
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/answer")) as answered:
        page.locator(".answer-form label.choice-conforms").first.click()
    assert answered.value.status == 200
    form = _type_new_finding(page)

    page.context.clear_cookies()
    other = page.context.new_page()
    sign_in(other, live_server, "inspector8", password)
    other.close()

    statuses = []
    page.on("response", lambda r: _is_finding_post(r) and statuses.append(r.status))
    with page.expect_response(lambda r: _is_finding_post(r) and r.status == 200):
        form.locator("button[type=submit]").click()
    expect(page.locator("#findings-free article.finding")).to_contain_text(TEXT)
    assert statuses == [400, 200]
    assert [finding.description for finding in _findings()] == [TEXT]
    assert _drafts(page) == []
    expect(page.locator("#toasts")).not_to_contain_text("请求已失效")


def test_an_expired_cookie_on_save_goes_to_sign_in_and_keeps_the_text(live_server, portrait, world, password):
    """The cookie is gone altogether (a sleeping tablet): 保存 no longer answers 400 页面已过期 but
    sends the user to sign in, and back."""
    page = portrait
    allow_console_errors(page, "status of 401 (UNAUTHORIZED)")   # the save the expired session refuses
    visit = _open_visit(page, live_server, world, password)
    _type_new_finding(page)
    page.context.clear_cookies()
    with page.expect_response(_is_finding_post) as refused:
        page.click("#finding-slot-free button[type=submit]")
    assert refused.value.status == 401
    page.wait_for_url(f"{live_server}/login?next=/visits/{visit.id}")
    expect(page.locator("#toasts")).to_contain_text("登录已过期")
    page.fill("input[name=username]", "inspector8")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/visits/{visit.id}")
    expect(page.locator("#draft-banner")).to_contain_text(TEXT)


def test_leaving_with_an_unsaved_finding_asks_and_cancelling_keeps_the_text(live_server, portrait, world, password):
    page = portrait
    visit = _open_visit(page, live_server, world, password)
    form = _type_new_finding(page)
    dialogs, answers = [], []

    def handle(dialog):
        dialogs.append((dialog.type, dialog.message))
        dialog.accept() if answers and answers.pop(0) else dialog.dismiss()
    page.on("dialog", handle)

    page.click("text=完成并提交核查")                               # a boosted link: asks, we stay
    assert dialogs[-1][0] == "confirm" and "未保存的内容" in dialogs[-1][1]
    expect(page).to_have_url(f"{live_server}/visits/{visit.id}")
    expect(form.locator("textarea[name=description]")).to_have_value(TEXT)

    with page.expect_event("dialog") as unload:                     # a full navigation: beforeunload
        page.close(run_before_unload=True)
    assert unload.value.type == "beforeunload" and not page.is_closed()
    expect(form.locator("textarea[name=description]")).to_have_value(TEXT)

    answers.append(True)                                            # this time leave
    page.click("text=完成并提交核查")
    page.wait_for_url(f"{live_server}/visits/{visit.id}/submit")
    expect(page.locator("#submit-confirm")).to_be_visible()

    page.go_back()                                                  # going back, the text is offered
    banner = page.locator("#draft-banner")
    expect(banner).to_contain_text(TEXT)
    with page.expect_response(lambda r: "/findings/new" in r.url):
        banner.locator("text=继续填写").click()
    form = page.locator("#finding-slot-free form[data-finding-form]")
    expect(form.locator("textarea[name=description]")).to_have_value(TEXT)

    answers.append(True)                                            # 取消 on the form: asks, then discards
    form.locator("button[data-dismiss-form]").click()
    assert dialogs[-1][1] == "放弃未保存的内容？"
    expect(form).to_have_count(0)
    assert _drafts(page) == []
    assert len(dialogs) == 4


def test_signing_out_removes_this_users_drafts(live_server, portrait, world, password):
    page = portrait
    visit = _open_visit(page, live_server, world, password)
    _type_new_finding(page)
    assert len(_drafts(page)) == 1
    page.on("dialog", lambda dialog: dialog.accept())               # "sign out with unsaved text?"
    sign_out(page)
    assert _drafts(page) == []
    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/visits/{visit.id}")
    expect(page.locator("#free-findings")).to_be_visible()
    expect(page.locator("#draft-banner")).to_have_count(0)


def test_typing_keeps_the_session_alive_and_the_warning_offers_to_stay(live_server, portrait, world, password,
                                                                       app, monkeypatch):
    page = portrait
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 2)      # the warning (120 s) shows at once
    monkeypatch.setitem(app.config, "KEEPALIVE_SECONDS", 0)
    _open_visit(page, live_server, world, password)
    warning = page.locator("#idle-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("后自动退出登录")
    expect(warning.locator(".idle-countdown")).to_contain_text(re.compile(r"[12] 分"))
    with page.expect_response(lambda r: r.url.endswith("/session/keepalive")) as stay:
        page.click("#idle-stay")
    assert stay.value.status == 200 and stay.value.json()["idle_remaining"] >= 119

    with page.expect_response(lambda r: r.url.endswith("/session/keepalive")) as typed:
        _type_new_finding(page, "资")
    assert typed.value.status == 200 and typed.value.json()["idle_remaining"] >= 119


def test_progress_note_typed_before_the_session_ended_is_back_on_the_item(live_server, landscape, world, password):
    """The same for a unit responder's progress note (整改进展) on the item page, at 1024×768."""
    from inspect_app.rectification.lifecycle import Status
    from inspect_app.rectification.models import ProgressPost
    from tests.rectification.factories import make_item

    item = make_item(world, status=Status.IN_PROGRESS)
    page = landscape
    allow_console_errors(page, "status of 401 (UNAUTHORIZED)")   # the save the ended session refuses
    note = "已完成 12 个乡镇卫生院远程心电接入，剩余 3 个本周内完成。"
    sign_in(page, live_server, "xinye-wjw", password)
    page.goto(f"{live_server}/items/{item.id}")
    page.click("#action-post_progress")
    form = page.locator("#action-form form")
    form.locator("textarea[name=text]").click()
    page.keyboard.type(note)

    page.context.clear_cookies()                                    # the session is gone
    with page.expect_response(lambda r: r.request.method == "POST" and "/actions/post_progress" in r.url) as refused:
        page.click("#action-form-submit")
    assert refused.value.status == 401
    page.wait_for_url(f"{live_server}/login?next=/items/{item.id}")
    page.fill("input[name=username]", "xinye-wjw")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/items/{item.id}")
    banner = page.locator("#draft-banner")
    expect(banner).to_contain_text(note)
    expect(banner).to_contain_text(f"{item.number} 报送整改进展")
    banner.locator("text=继续填写").click()
    form = page.locator("#action-form form")
    expect(form.locator("textarea[name=text]")).to_have_value(note)
    with page.expect_response(lambda r: r.request.method == "POST" and "/actions/post_progress" in r.url) as saved:
        page.click("#action-form-submit")
    assert saved.value.status == 200
    expect(page.locator("#item-detail")).to_contain_text(note)
    db.session.expire_all()
    assert [post.text for post in db.session.execute(sa.select(ProgressPost)).scalars()] == [note]
    assert _drafts(page) == []


def test_a_restored_draft_meets_the_version_it_was_typed_against(live_server, landscape, world, password):
    """Measures typed, the page left; meanwhile someone else changes the item. The restored draft
    carries its old version: saving it answers 409 with the typed text kept, never a silent overwrite."""
    from inspect_app.rectification import service
    from inspect_app.rectification.lifecycle import Action, Status
    from inspect_app.rectification.models import RectificationItem
    from tests.rectification.factories import make_item

    item = make_item(world, status=Status.IN_PROGRESS)
    page = landscape
    allow_console_errors(page, "status of 409 (CONFLICT)")   # the save of a draft typed against an older version
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, "xinye-wjw", password)
    page.goto(f"{live_server}/items/{item.id}")
    page.click("#action-write_measures")
    box = page.locator("#action-form textarea[name=text]")
    planned = (date_rules.today() + timedelta(days=10)).isoformat()
    page.fill("#action-form input[name=new_date]", planned)
    box.fill("")
    box.click()
    page.keyboard.type("改为由总医院统一采购配送")
    with page.expect_response(lambda r: r.url.endswith("/items/")):
        page.click("nav.nav >> text=整改事项")

    from tests.rectification.factories import wjw
    before = item.version
    service.apply_action(item.id, world.users["xinye"], Action.ASSIGN,
                         service.ActionInput(version=item.version, unit_id=wjw(world).id, person="李科长"))
    db.session.expire_all()
    assert db.session.get(RectificationItem, item.id).version > before
    page.goto(f"{live_server}/items/{item.id}")
    page.locator("#draft-banner").locator("text=继续填写").click()
    expect(box).to_have_value("改为由总医院统一采购配送")
    expect(page.locator("#action-form input[name=new_date]")).to_have_value(planned)
    with page.expect_response(lambda r: r.request.method == "POST" and "/actions/write_measures" in r.url) as stale:
        page.click("#action-form-submit")
    assert stale.value.status == 409
    expect(box).to_have_value("改为由总医院统一采购配送")
    db.session.expire_all()
    assert db.session.get(RectificationItem, item.id).measures != "改为由总医院统一采购配送"
    assert len(_drafts(page)) == 1                                  # not saved yet: still kept


def test_cancel_on_the_form_asks_and_then_gives_the_draft_up(live_server, landscape, world, password):
    from inspect_app.rectification.lifecycle import Status
    from tests.rectification.factories import make_item

    item = make_item(world, status=Status.IN_PROGRESS)
    page = landscape
    answers, questions = [], []

    def handle(dialog):
        questions.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()
    page.on("dialog", handle)
    sign_in(page, live_server, "xinye-wjw", password)
    page.goto(f"{live_server}/items/{item.id}")
    page.click("#action-post_progress")
    page.locator("#action-form textarea[name=text]").click()
    page.keyboard.type("本周完成 2 个卫生院接入")
    cancel = page.locator("#action-form a[data-draft-cancel]")

    answers.append(False)
    cancel.click()
    assert questions == ["放弃未保存的内容？"]
    expect(page.locator("#action-form textarea[name=text]")).to_have_value("本周完成 2 个卫生院接入")
    assert len(_drafts(page)) == 1

    answers.append(True)
    with page.expect_response(lambda r: r.url.endswith(f"/items/{item.id}")):
        cancel.click()
    expect(page.locator("#action-form textarea")).to_have_count(0)
    assert _drafts(page) == []
    expect(page.locator("#draft-banner")).to_have_count(0)


def test_home_lists_drafts_with_the_way_back_to_their_page(live_server, portrait, world, password):
    page = portrait
    visit = _open_visit(page, live_server, world, password)
    _type_new_finding(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("nav.nav >> text=首页")
    page.wait_for_url(f"{live_server}/")
    banner = page.locator("#draft-banner")
    expect(banner).to_contain_text("您有 1 份未保存的草稿")
    banner.locator("text=前往填写").click()
    page.wait_for_url(f"{live_server}/visits/{visit.id}")
    expect(page.locator("#draft-banner")).to_contain_text(TEXT)


def test_signing_out_from_a_tab_with_a_stale_token_still_signs_out(live_server, portrait, world, password):
    page = portrait
    _open_visit(page, live_server, world, password)
    _type_new_finding(page)
    page.context.clear_cookies()
    other = page.context.new_page()
    sign_in(other, live_server, "inspector8", password)
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.url.endswith("/logout")) as logout:
        page.click(".who summary")
        page.click("text=退出登录")
    assert logout.value.status == 302
    page.wait_for_selector("input[name=username]")
    assert _drafts(page) == []
    other.goto(f"{live_server}/")
    expect(other.locator("input[name=username]")).to_be_visible()     # the session really ended


def test_when_the_countdown_ends_the_page_goes_to_sign_in_with_the_way_back(live_server, portrait, world, password,
                                                                            app, monkeypatch):
    """The warning's countdown ends (its timer calls checkSession; called here rather than waited
    for): the server says the session is gone, the page goes to sign in, the typed text is kept."""
    page = portrait
    allow_console_errors(page, "status of 401 (UNAUTHORIZED)")   # what the ended session refuses
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 2)
    visit = _open_visit(page, live_server, world, password)
    expect(page.locator("#idle-warning")).to_be_visible()
    _type_new_finding(page)
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 0)
    with page.expect_response(lambda r: r.url.endswith("/session")) as status:
        page.evaluate("window.inspectDrafts.checkSession()")
    assert status.value.status == 401
    page.wait_for_url(f"{live_server}/login?next=/visits/{visit.id}")
    assert len(_drafts(page)) == 1
