"""屡查屡犯 on the rectification screens (templates/rectification/_detail.html and _rows.html through
repeats/_badge.html) and in the 反馈问题清单 Excel export's last column."""
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from inspect_app.documents.workbook import PROBLEM_LIST_COLUMNS
from inspect_app.extensions import db
from inspect_app.rectification.models import RectificationItem
from tests.rectification.factories import wjw
from tests.repeats.factories import issue, record
from tests.statements import counted

OFFICE = "新野县医共体管理办公室"
BADGE = "屡查屡犯 · 2022年"
PENDING = "自动关联，待确认"


def item_of(finding) -> RectificationItem:
    return db.session.execute(sa.select(RectificationItem).where(
        RectificationItem.finding_id == finding.id)).scalar_one()


def issued_repeat(world, rounds):
    """2022 B01 at the office; 2023 the same problem again and a new one; the 2023 list issued,
    the repeat's item assigned to 新野县卫健委 (the unit of `xinye-wjw`)."""
    record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    repeat = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被原单位抽回")
    fresh = record(rounds, world, rounds.second, "新野县远程心电诊断中心", "A01", "远程心电经费未列入预算")
    issue(world, rounds.second, world.xinye)
    item = item_of(repeat)
    item.unit_id = wjw(world).id
    db.session.commit()
    return item, item_of(fresh)


def test_item_page_shows_the_badge_to_the_unit_and_coordinator_and_pending_only_to_the_leader(
        client, login_as, world, rounds):
    item, fresh = issued_repeat(world, rounds)
    for user in ("xinye-wjw", "xinye"):
        login_as(user)
        page = client.get(f"/items/{item.id}").get_data(as_text=True)
        assert 'id="item-repeat"' in page and BADGE in page, user
        assert PENDING not in page, user             # the county side does not decide on links
        assert BADGE not in client.get(f"/items/{fresh.id}").get_data(as_text=True)
    login_as("leader8")
    fragment = client.get(f"/items/{item.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert BADGE in fragment and PENDING in fragment
    # Once the leader confirms, nothing is pending; once unlinked, no badge at all.
    from inspect_app.repeats import service
    from inspect_app.repeats.models import RepeatLink
    link = db.session.execute(sa.select(RepeatLink).where(RepeatLink.finding_id == item.finding_id)).scalar_one()
    service.confirm(link, world.users["leader8"])
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert BADGE in page and PENDING not in page
    service.unlink(db.session.get(RepeatLink, link.id), world.users["leader8"])
    login_as("xinye")
    assert BADGE not in client.get(f"/items/{item.id}").get_data(as_text=True)


def test_items_list_marks_repeats_with_one_query_per_page(client, login_as, world, rounds):
    item, fresh = issued_repeat(world, rounds)
    login_as("xinye")
    with counted() as few:
        page = client.get("/items/").get_data(as_text=True)
    row = page[page.index(f'id="item-row-{item.id}"'):]
    assert BADGE in row[:row.index("</tr>")] and PENDING not in page
    fresh_row = page[page.index(f'id="item-row-{fresh.id}"'):]
    assert "屡查屡犯" not in fresh_row[:fresh_row.index("</tr>")]
    # Two more repeats in a 补充清单: the page shows three badges with the same number of statements.
    record(rounds, world, rounds.first, OFFICE, "B02", "财务未统一管理")
    record(rounds, world, rounds.first, "新野县卫健委", "A01", "财政投入未纳入预算")
    record(rounds, world, rounds.second, OFFICE, "B02", "财务仍未统一管理")
    record(rounds, world, rounds.second, "新野县财政局", "A01", "设备购置经费仍未落实")
    issue(world, rounds.second, world.xinye)
    login_as("xinye")
    with counted() as more:
        page = client.get("/items/").get_data(as_text=True)
    assert page.count(BADGE) == 3
    assert len(more) == len(few), (len(few), len(more))
    assert sum("repeat_links" in s for s in more) == 1
    login_as("leader8")
    assert client.get("/items/").get_data(as_text=True).count(PENDING) == 3


def test_problem_list_export_ends_with_the_repeat_column(client, login_as, world, rounds):
    item, fresh = issued_repeat(world, rounds)
    login_as("xinye")
    res = client.get(f"/problem-lists/{rounds.second.id}/411329/list.xlsx")
    assert res.status_code == 200
    ws = load_workbook(io.BytesIO(res.data)).active
    header_row = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "序号")
    assert list(header_row) == list(PROBLEM_LIST_COLUMNS) and header_row[-1] == "屡查屡犯"
    rows = {r[4]: dict(zip(header_row, r)) for r in ws.iter_rows(values_only=True)
            if r and isinstance(r[0], int)}
    assert rows["一办六部人员又被原单位抽回"]["屡查屡犯"] == "2022年"
    assert rows["远程心电经费未列入预算"]["屡查屡犯"] in (None, "")
