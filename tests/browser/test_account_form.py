"""Issue 10 point 11 in Chromium at 768×1024: the new-account form starts with no role, refuses to
save without one (in Chinese), and finds the region by active search — picked by keyboard, then
changed by a tap — before the account is saved with that county."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.auth.models import User
from inspect_app.extensions import db
from tests.browser.support import allow_console_errors, sign_in, unexpected_console_errors

pytestmark = pytest.mark.browser


def test_new_account_role_prompt_and_region_active_search(live_server, portrait, world, password):
    page = portrait
    sign_in(page, live_server, "admin", password)
    page.goto(f"{live_server}/admin/users/new")
    role = page.locator("select[name=role]")
    expect(role).to_have_value("")
    expect(role.locator("option:checked")).to_have_text("请选择角色")

    page.fill("input[name=username]", "xinye-lly2")
    page.fill("input[name=display_name]", "新野县联络员二")
    page.fill("input[name=password]", "Start2022x")
    with page.expect_response(lambda r: r.url.endswith("/admin/users/new") and r.request.method == "POST") as refused:
        page.click("button:has-text('保存')")
    assert refused.value.status == 422
    expect(page.locator(".field.has-error")).to_contain_text("请选择角色")
    expect(page.locator("body")).not_to_contain_text("Not a valid choice")
    expect(page.locator("input[name=display_name]")).to_have_value("新野县联络员二")

    role.select_option(label="县级联络员")
    search = page.locator("input[name=region_search]")
    code = page.locator("input[name=region_code]")
    # Keyboard: type, wait for the results, arrow down to the first and press Enter.
    with page.expect_response(lambda r: "/admin/users/regions" in r.url and "region_search=" in r.url):
        search.fill("新野")
    option = page.locator("#region-results .region-option").first
    expect(option).to_contain_text("河南省 南阳市 新野县")
    expect(option).to_contain_text("411329")
    search.focus()
    page.keyboard.press("ArrowDown")
    expect(option).to_be_focused()
    with page.expect_response(lambda r: "/admin/users/unit-options" in r.url):
        page.keyboard.press("Enter")
    expect(code).to_have_value("411329")
    expect(search).to_have_value("河南省 南阳市 新野县 411329")
    expect(page.locator("#region-results .region-option")).to_have_count(0)

    # Typing again un-picks; a tap picks another county.
    with page.expect_response(lambda r: "/admin/users/regions" in r.url and "region_search=" in r.url):
        search.fill("桐柏")
    expect(code).to_have_value("")
    tongbai = page.locator("#region-results .region-option", has_text="桐柏县")
    tongbai.tap()
    expect(code).to_have_value("411330")
    expect(search).to_have_value("河南省 南阳市 桐柏县 411330")

    page.fill("input[name=password]", "Start2022x")   # passwords are never sent back to the page
    with page.expect_response(lambda r: r.url.endswith("/admin/users/new") and r.request.method == "POST") as saved:
        page.click("button:has-text('保存')")
    assert saved.value.status in (200, 302)
    expect(page.locator("body")).to_contain_text("已创建账户 xinye-lly2")
    db.session.expire_all()
    user = db.session.execute(sa.select(User).where(User.username == "xinye-lly2")).scalar_one()
    assert user.region_id == world.tongbai.id and user.role.value == "county_coordinator"
    allow_console_errors(page, "status of 422")
    assert unexpected_console_errors(page) == []
