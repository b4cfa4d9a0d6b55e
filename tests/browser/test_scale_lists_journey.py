"""Issue 12 in Chromium: the county filter searches as one types and filters the list when a county
is chosen; a move in the problem list swaps the two cards in place (only they are sent)."""
import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in
from tests.problem_lists.factories import make_xinye_findings
from tests.rectification.factories import make_item

pytestmark = pytest.mark.browser


def test_county_picker_searches_then_filters_the_list(live_server, landscape, world, password):
    mine = make_item(world, description="新野县的问题")
    theirs = make_item(world, world.tongbai, description="桐柏县的问题")
    page = landscape
    sign_in(page, live_server, "province", password)
    page.goto(f"{live_server}/items/")
    expect(page.locator("#item-rows")).to_contain_text(theirs.number)
    with page.expect_response(lambda r: "/items/county-options" in r.url):
        page.fill("#items-county-q", "新野")
    options = page.locator("#items-county-options .county-option")
    expect(options).to_have_count(2)                       # 全部 + 新野县
    with page.expect_response(lambda r: "/items/?" in r.url and "county=" in r.url):
        options.filter(has_text="新野县").locator("input").check()
    expect(page.locator("#item-rows")).to_contain_text(mine.number)
    expect(page.locator("#item-rows")).not_to_contain_text(theirs.number)
    assert f"county={world.xinye.id}" in page.url


def test_move_swaps_two_cards_in_place(live_server, landscape, world, password):
    camp, (b01, b02, free, c01) = make_xinye_findings(world)
    page = landscape
    sign_in(page, live_server, "leader8", password)
    page.goto(f"{live_server}/problem-lists/{camp.id}/{world.xinye.code}")
    cards = page.locator("#open-list article.pl-finding")
    expect(cards.first).to_have_id(f"finding-{b01.id}")
    with page.expect_response(lambda r: f"/findings/{b01.id}/move/down" in r.url) as answer:
        page.locator(f"#finding-{b01.id} button[aria-label=下移]").click()
    assert len(answer.value.body()) < 20_000
    expect(cards.nth(0)).to_have_id(f"finding-{b02.id}")
    expect(cards.nth(1)).to_have_id(f"finding-{b01.id}")
    expect(cards.nth(2)).to_have_id(f"finding-{free.id}")
    expect(page.locator(f"#finding-{b02.id}")).to_have_count(1)       # the old card is gone
    expect(page.locator(f"#finding-{b01.id} .pl-num")).to_have_text("2")
    expect(page.locator(f"#finding-{b02.id} .pl-num")).to_have_text("1")
