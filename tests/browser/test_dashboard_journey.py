"""Issue 5's journey in Chromium: province → 南阳市 → 新野县 → items → one item, back again with the
browser's back button (each step a URL), then the monthly report downloaded."""
import io
import re

import pytest
from docx import Document
from playwright.sync_api import expect

from tests.browser.support import sign_in
from tests.dashboard.factories import known_items

pytestmark = pytest.mark.browser


def test_province_drills_down_and_back_and_downloads_the_monthly_report(live_server, landscape, world, password):
    items = known_items(world)
    page = landscape
    sign_in(page, live_server, "province", password)
    page.click("nav.nav >> text=统计分析")
    expect(page.locator("#dashboard h1")).to_contain_text("整改统计")
    expect(page.locator("#dashboard")).to_contain_text("周口市")

    page.locator("#dashboard svg a.chart-link", has_text="南阳市").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/city/411300"))
    expect(page.locator("#dashboard h1")).to_contain_text("南阳市")
    expect(page.locator("#dashboard")).not_to_contain_text("郸城县")

    page.locator("#dashboard svg a.chart-link", has_text="新野县").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/county/411329"))
    expect(page.locator("#dashboard h1")).to_contain_text("新野县")

    page.locator("#dashboard a:visible", has_text="全部事项清单").click()
    expect(page).to_have_url(re.compile(r"/dashboard/county/411329/items"))
    number = items[4].number
    page.locator("a", has_text=number).click()
    expect(page).to_have_url(re.compile(rf"/items/{items[4].id}$"))
    expect(page.locator("body")).to_contain_text(number)
    expect(page.locator("body")).to_contain_text("待验收")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/dashboard/county/411329/items"))
    # htmx keeps no history cache (historyCacheSize 0: pages hold private data), so going back
    # restores each step with a request: wait for it, not for the clock (seen late under load).
    with page.expect_response(lambda r: re.search(r"/dashboard/county/411329(\?|$)", r.url) is not None):
        page.go_back()
    expect(page).to_have_url(re.compile(r"/dashboard/county/411329$|/dashboard/county/411329\?"))
    expect(page.locator("#dashboard h1")).to_contain_text("新野县")
    with page.expect_response(lambda r: "/dashboard/city/411300" in r.url):
        page.go_back()
    expect(page).to_have_url(re.compile(r"/dashboard/city/411300"))
    expect(page.locator("#dashboard h1")).to_contain_text("南阳市")
    page.reload()                                   # a bookmarked step renders as a full page
    expect(page.locator("#dashboard h1")).to_contain_text("南阳市")

    page.goto(f"{live_server}/dashboard/reports?kind=month&day=2022-07-31&campaign=all")
    with page.expect_download() as download:
        page.click("text=下载 Word（通报）")
    assert download.value.suggested_filename.endswith(".docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(open(download.value.path(), "rb").read())).paragraphs)
    assert "月报" in text and "2022年7月" in text
    assert page.errors == []
