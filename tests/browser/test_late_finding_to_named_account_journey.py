"""Issue 10's whole journey in one run, in Chromium at 768×1024 (portrait tablet): a finding recorded
after 新野县's list was issued → the leader issues the supplementary list (补充反馈问题清单) → the
county coordinator's notice in the bell → the late item assigned to a named account of the unit →
that person's own notice, which leads to the item."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.rectification.models import RectificationItem
from inspect_app.roles import Role
from inspect_app.visits.models import VisitStatus
from tests.browser.support import sign_in, sign_out
from tests.browser.test_notice_journey import after_settle
from tests.factories import make_user
from tests.problem_lists.factories import make_visit, make_xinye_findings, sites

pytestmark = pytest.mark.browser


def test_late_finding_reaches_a_named_person(live_server, portrait, world, password):
    camp, _findings = make_xinye_findings(world)
    zhang = make_user("xinye-wjw-zhang", Role.UNIT_RESPONDER, world.xinye, "新野县卫健委")
    zhang.display_name = "张主任"
    db.session.commit()
    page = portrait
    list_url = f"{live_server}/problem-lists/{camp.id}/411329"

    # The first list is issued at the feedback meeting.
    sign_in(page, live_server, "leader8", password)
    page.goto(f"{list_url}/issue")
    page.click("button:has-text('确认下发')")
    page.wait_for_url(list_url)
    sign_out(page)

    # An inspector still on a visit records one more finding: it waits for a supplementary list.
    visit = make_visit(camp, sites(world.xinye)[2], world.users["inspector8"])
    visit.status = VisitStatus.IN_PROGRESS
    db.session.commit()
    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/visits/{visit.id}")
    expect(page.locator("#issued-notice")).to_contain_text("补充反馈问题清单")
    with page.expect_response(lambda r: "/findings/new" in r.url):
        page.click("#free-findings >> text=＋ 新增问题")
    form = page.locator("#finding-slot-free form[data-finding-form]")
    form.locator("textarea[name=description]").fill("村卫生室药品未统一配送")
    form.locator("input[name=category]").fill("服务共同体")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/findings")):
        form.locator("button[type=submit]").click()
    expect(page.locator("#findings-free")).to_contain_text("村卫生室药品未统一配送")
    sign_out(page)

    # The leader issues the supplementary list, confirming the visit still 核查中.
    sign_in(page, live_server, "leader8", password)
    page.goto(list_url)
    page.click("text=下发补充清单…")
    page.check("input[name=confirm_open_visits]")
    page.click("button:has-text('确认下发')")
    page.wait_for_url(list_url)
    expect(page.locator("#list-2")).to_contain_text("补充反馈问题清单")
    sign_out(page)

    db.session.expire_all()
    late = db.session.execute(sa.select(RectificationItem).where(
        RectificationItem.description == "村卫生室药品未统一配送")).scalar_one()

    # The coordinator is told, and assigns the late item to 张主任's account.
    sign_in(page, live_server, "xinye", password)
    page.click("#notification-bell")
    expect(page.locator(".notice[data-kind=issued]").first).to_contain_text("补充反馈问题清单")
    page.goto(f"{live_server}/items/{late.id}")
    after_settle(page, "#action-form", lambda: page.click("#action-assign"))
    form = page.locator("#action-form form")
    with page.expect_response(lambda r: "/items/assignee-options" in r.url):
        form.locator("[name=unit_id]").select_option(label="新野县卫健委")
    form.locator("[name=assignee_id]").select_option(label="张主任（xinye-wjw-zhang）")
    page.click("#action-form-submit")
    expect(page.locator("#responsible-person")).to_contain_text("账号 xinye-wjw-zhang")
    sign_out(page)

    # 张主任 finds the notice, and it leads to the item.
    sign_in(page, live_server, "xinye-wjw-zhang", password)
    expect(page.locator("#bell-count")).to_have_text("1")
    page.click("#notification-bell")
    mine = page.locator(".notice[data-kind=assigned]")
    expect(mine).to_contain_text(f"整改事项 {late.number}")
    mine.locator("a").click()
    expect(page.locator("#item-detail h1")).to_contain_text(late.number)
