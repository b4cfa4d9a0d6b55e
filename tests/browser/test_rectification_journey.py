"""Issue 4's journey in Chromium: assign → measures → progress with an "after" photo → submit →
returned → resubmit → accepted (已销号), with the full timeline, return count 1, and the ledger."""
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.rectification import date_rules
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem
from tests.browser.support import sign_in, sign_out
from tests.media import images
from tests.rectification.factories import make_item

pytestmark = pytest.mark.browser


def act(page, action, **fields):
    """Open an action's form in place on the item page, fill it and submit it."""
    page.click(f"#action-{action}")
    form = page.locator("#action-form form")
    expect(form).to_be_visible()
    for name, value in fields.items():
        box = form.locator(f"[name={name}]")
        if name == "files":
            box.set_input_files(value)
        elif name == "unit_id":
            box.select_option(label=value)
        else:
            box.fill(value)
    page.click("#action-form-submit")


def test_item_from_assignment_to_closure(live_server, landscape, world, password, tmp_path):
    deadline = date(2030, 8, 25)
    item = make_item(world, deadline=deadline)
    after = tmp_path / "after.jpg"
    after.write_bytes(images.camera_jpeg())
    page = landscape
    status = page.locator("#item-detail h1 .chip").first

    sign_in(page, live_server, "xinye", password)
    page.goto(f"{live_server}/items/{item.id}")
    act(page, "assign", unit_id="新野县卫健委", person="张主任")
    expect(page.locator("#timeline")).to_contain_text("新野县卫健委")
    sign_out(page)

    sign_in(page, live_server, "xinye-wjw", password)
    page.click("nav.nav >> text=整改事项")
    page.locator(f"#item-row-{item.id} a").click()
    act(page, "write_measures", text="制定资产划转方案，7月底前完成划转", new_date="2030-08-20")
    expect(page.locator("#timeline")).to_contain_text("填写整改措施")
    act(page, "post_progress", text="已完成 12 个乡镇卫生院资产划转", files=str(after))
    expect(page.locator("img[alt^='整改后照片']")).to_have_count(1, timeout=20_000)
    act(page, "submit")
    expect(status).to_contain_text("待验收")
    sign_out(page)

    sign_in(page, live_server, "leader8", password)
    page.click("nav.nav >> text=待验收")
    page.locator(f"text={item.number}").first.click()
    act(page, "return", reason="佐证材料不全，缺少资产划转清单")
    expect(page.locator("#return-count")).to_have_text("1")
    sign_out(page)

    sign_in(page, live_server, "xinye-wjw", password)
    page.goto(f"{live_server}/items/{item.id}")
    expect(page.locator("#timeline")).to_contain_text("佐证材料不全")
    act(page, "submit", text="已补充资产划转清单")
    expect(status).to_contain_text("待验收")
    sign_out(page)

    sign_in(page, live_server, "leader8", password)
    page.goto(f"{live_server}/items/{item.id}")
    act(page, "accept", opinion="经复核，资产划转已完成，同意销号")
    expect(status).to_contain_text("已销号")
    expect(page.locator("#return-count")).to_have_text("1")
    timeline = page.locator("#timeline")
    for step in ("指派责任单位", "填写整改措施", "报送整改进展", "申请销号", "退回", "验收通过"):
        expect(timeline).to_contain_text(step)
    assert page.errors == []

    page.goto(f"{live_server}/items/")
    with page.expect_download() as download:
        page.click("#ledger-export")
    assert re.search(r"整改台账_\d{4}-\d{2}-\d{2}\.xlsx$", download.value.suggested_filename)
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    row = next(r for r in rows if r["问题编号"] == item.number)
    assert row["整改状态"] == "已销号" and row["退回次数"] == 1 and row["是否超期"] == "否"
    assert row["责任单位"] == "新野县卫健委" and row["责任人"] == "张主任"
    assert row["完成时限"].date() == deadline
    assert row["销号日期"].date() == date_rules.today()
    assert row["验收意见"] == "经复核，资产划转已完成，同意销号"

    db.session.expire_all()
    closed = db.session.get(RectificationItem, item.id)
    assert closed.status == Status.CLOSED and closed.return_count == 1
