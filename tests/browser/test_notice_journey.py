"""Issue 10's journey in Chromium: the leader issues 新野县's list → the coordinator sees the notice in the
bell → assigns an item to a named account of the unit (the 责任人 select follows the unit) → that person
signs in and finds their notice, which leads to the item."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.rectification.models import RectificationItem
from inspect_app.roles import Role
from tests.browser.support import sign_in, sign_out
from tests.factories import make_user
from tests.problem_lists.factories import list_url, make_xinye_findings

pytestmark = pytest.mark.browser


def after_settle(page, selector, action):
    """Do `action` and wait until htmx has settled the element `selector` it swaps in (so its htmx
    attributes are live). Other swaps meanwhile, such as the bell's poll, do not count."""
    page.evaluate("""selector => {
        window.__settled = false;
        const mark = event => {
            if (event.target.matches && event.target.matches(selector)) {
                window.__settled = true;
                document.body.removeEventListener('htmx:afterSettle', mark);
            }
        };
        document.body.addEventListener('htmx:afterSettle', mark);
    }""", selector)
    action()
    page.wait_for_function("() => window.__settled === true")


@pytest.mark.parametrize("size", ["landscape", "portrait"])
def test_issue_notice_assign_to_a_named_account_and_their_notice(live_server, request, size, world, password):
    page = request.getfixturevalue(size)
    camp, _findings = make_xinye_findings(world)
    zhang = make_user("xinye-wjw-zhang", Role.UNIT_RESPONDER, world.xinye, "新野县卫健委")
    zhang.display_name = "张主任"
    db.session.commit()

    sign_in(page, live_server, "leader8", password)
    page.goto(f"{live_server}{list_url(camp, suffix='/issue')}")
    page.click("button:has-text('确认下发')")
    page.wait_for_url(f"{live_server}{list_url(camp)}")   # 下发 answers with the issued list
    expect(page.locator("main")).to_contain_text("已下发")
    sign_out(page)

    sign_in(page, live_server, "xinye", password)
    expect(page.locator("#bell-count")).to_have_text("1")
    page.click("#notification-bell")
    notice = page.locator(".notice[data-kind=issued]")
    expect(notice).to_contain_text("第八核查组已下发新野县反馈问题清单")
    notice.locator("a").click()
    first = db.session.execute(sa.select(RectificationItem).order_by(RectificationItem.seq)).scalars().first()
    page.locator(f"#item-row-{first.id} a").click()
    after_settle(page, "#action-form", lambda: page.click("#action-assign"))   # htmx wires the new form up as it settles
    form = page.locator("#action-form form")
    expect(form).to_be_visible()
    with page.expect_response(lambda r: "/items/assignee-options" in r.url):
        form.locator("[name=unit_id]").select_option(label="新野县卫健委")
    form.locator("[name=assignee_id]").select_option(label="张主任（xinye-wjw-zhang）")
    page.click("#action-form-submit")
    expect(page.locator("#responsible-person")).to_contain_text("张主任")
    expect(page.locator("#responsible-person")).to_contain_text("账号 xinye-wjw-zhang")
    sign_out(page)

    sign_in(page, live_server, "xinye-wjw-zhang", password)
    expect(page.locator("#bell-count")).to_have_text("1")
    page.click("#notification-bell")
    mine = page.locator(".notice[data-kind=assigned]")
    expect(mine).to_contain_text(f"整改事项 {first.number}")
    expect(mine).to_contain_text("已指派给新野县卫健委（责任人：张主任）")
    mine.locator("a").click()
    expect(page.locator("#item-detail h1")).to_contain_text(first.number)
    expect(page.locator("#unit")).to_have_text("新野县卫健委")
