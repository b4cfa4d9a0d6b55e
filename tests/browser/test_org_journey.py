"""Issue 2's journey in Chromium at 1024×768: province adds a site to 新野县; 桐柏县 cannot see it."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import allow_console_errors, sign_in, sign_out

pytestmark = pytest.mark.browser


def test_province_adds_a_site_that_tongbai_cannot_see(live_server, landscape, world, password):
    page = landscape
    sign_in(page, live_server, "province", password)
    page.click("nav.nav >> text=组织架构")
    expect(page.locator("#county-table")).to_contain_text("郸城县")

    page.fill("input[name=q]", "新野")
    expect(page.locator("#county-table")).not_to_contain_text("郸城县")
    expect(page).to_have_url(re.compile(r"q=%E6%96%B0%E9%87%8E"))  # the search is in the URL
    page.click("#county-table >> text=新野县")
    expect(page.locator("h1")).to_contain_text("新野县")

    page.click("text=＋ 新增核查点位")
    page.fill("#panel input[name=name]", "新野县沙堰镇卫生院")
    page.select_option("#panel select[name=kind_id]", label="乡镇卫生院/社区卫生服务中心")
    page.fill("#panel input[name=address]", "沙堰镇")
    page.click("#panel button:has-text('保存')")
    expect(page.locator("#sites-rows")).to_contain_text("新野县沙堰镇卫生院")
    expect(page.locator("#toasts")).to_contain_text("已新增核查点位")

    # inline edit of the new row, without leaving the page
    row = page.locator("#sites-rows tr", has_text="新野县沙堰镇卫生院")
    row.locator("text=编辑").click()
    page.locator("tr.editing input[name=address]").fill("沙堰镇中心街")
    page.locator("tr.editing >> text=保存").click()
    expect(page.locator("#sites-rows")).to_contain_text("沙堰镇中心街")
    assert page.errors == []
    sign_out(page)

    sign_in(page, live_server, "tongbai", password)
    page.goto(f"{live_server}/org/counties")
    expect(page.locator("#county-table")).to_contain_text("桐柏县")
    expect(page.locator("#county-table")).not_to_contain_text("新野县")
    allow_console_errors(page, "status of 404 (NOT FOUND)")     # the page tongbai may not see, next
    page.goto(f"{live_server}/org/counties/411329")
    expect(page.locator("h1")).to_contain_text("页面不存在")
    assert "沙堰镇" not in page.content()
    page.goto(f"{live_server}/org/counties/411330")
    expect(page.locator("#sites-rows")).not_to_contain_text("沙堰镇")
