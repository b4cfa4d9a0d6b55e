"""Issue 9, point 7 in Chromium: two leaders edit the same draft finding's wording in the problem list
(one on a landscape tablet, one in portrait). The second save is refused: the conflict view shows the
saved wording beside the user's own, which stays in the form; 并入输入框 brings the saved wording into
the field below the user's, and after merging by hand it saves."""
import pytest
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.visits.models import Finding
from tests.browser.support import allow_console_errors, sign_in, unexpected_console_errors
from tests.problem_lists.factories import list_url, make_xinye_findings

pytestmark = pytest.mark.browser


def open_edit(page, base, camp, finding):
    page.goto(base + list_url(camp))
    card = page.locator(f"#finding-{finding.id}")
    with page.expect_response(lambda r: r.url.endswith(f"/findings/{finding.id}/edit")):
        card.locator("button:has-text('编辑')").click()
    form = page.locator(f"form#finding-{finding.id}")
    expect(form.locator("textarea[name$=description]")).to_be_visible()
    return form


def save(page, form, finding):
    with page.expect_response(lambda r: r.url.endswith(f"/findings/{finding.id}") and r.request.method == "POST") as info:
        form.locator("button:has-text('保存')").click()
    return info.value


def test_second_save_shows_both_texts_and_saves_after_merging(live_server, landscape, portrait, world, password):
    camp, (b01, *_rest) = make_xinye_findings(world)
    first, second = landscape, portrait
    sign_in(first, live_server, "leader8", password)
    sign_in(second, live_server, "province", password)
    form_a = open_edit(first, live_server, camp, b01)
    form_b = open_edit(second, live_server, camp, b01)       # both drawn from version 1

    form_a.locator("textarea[name$=description]").fill("一办六部未实体化运行，6 个部室仅 2 个有专人")
    assert save(first, form_a, b01).status == 200
    expect(first.locator(f"article#finding-{b01.id}")).to_contain_text("6 个部室仅 2 个有专人")

    mine = "一办六部人员未到岗，办公室无专职人员"
    form_b.locator("textarea[name$=description]").fill(mine)
    assert save(second, form_b, b01).status == 409
    conflict = second.locator(f"form#finding-{b01.id}")
    expect(conflict.locator("[data-conflict]")).to_contain_text("他人已修改")
    expect(conflict.locator("[data-conflict]")).to_contain_text("leader8")
    expect(conflict.locator("[data-conflict-saved$=description]")).to_contain_text("6 个部室仅 2 个有专人")
    expect(conflict.locator("textarea[name$=description]")).to_have_value(mine)

    conflict.locator("[data-conflict-saved$=description] button:has-text('并入输入框')").click()
    textarea = conflict.locator("textarea[name$=description]")
    expect(textarea).to_have_value(mine + "\n一办六部未实体化运行，6 个部室仅 2 个有专人")
    merged = "一办六部未实体化运行，6 个部室仅 2 个有专人，办公室无专职人员"
    textarea.fill(merged)                                      # merged by hand
    assert save(second, conflict, b01).status == 200
    expect(second.locator(f"article#finding-{b01.id}")).to_contain_text("办公室无专职人员")
    db.session.expire_all()
    row = db.session.get(Finding, b01.id)
    assert (row.description, row.version) == (merged, 3)
    # Only the refusal may be logged, a 409.
    allow_console_errors(first, "status of 409 (CONFLICT)")
    allow_console_errors(second, "status of 409 (CONFLICT)")
    assert unexpected_console_errors(first) + unexpected_console_errors(second) == []


def test_one_line_field_swaps_to_the_saved_value_and_back(live_server, landscape, world, password):
    """On the account form (a full-page post): 改用此内容 puts the saved name in the field, and
    恢复我的内容 brings the user's own back — nothing typed is lost either way."""
    page = landscape
    allow_console_errors(page, "status of 409 (CONFLICT)")   # the stale save the test is about
    target = world.users["tongbai"]
    sign_in(page, live_server, "admin", password)
    page.goto(f"{live_server}/admin/users/{target.id}")
    target.display_name, target.version = "桐柏县联络员张三", 2          # another administrator saved
    db.session.commit()
    page.fill("input[name=display_name]", "桐柏县联络员李四")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.click("form.card >> button:has-text('保存')")
    assert info.value.status == 409
    name = page.locator("input[name=display_name]")
    expect(name).to_have_value("桐柏县联络员李四")
    swap = page.locator("[data-conflict-saved=display_name] button")
    swap.click()
    expect(name).to_have_value("桐柏县联络员张三")
    expect(swap).to_have_text("恢复我的内容")
    swap.click()
    expect(name).to_have_value("桐柏县联络员李四")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.click("form.card >> button:has-text('保存')")
    assert info.value.status == 302
    db.session.expire_all()
    assert db.session.get(type(target), target.id).display_name == "桐柏县联络员李四"
