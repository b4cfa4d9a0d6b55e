"""The items list at scale: substring search on an index (Chinese included, both databases), the
SQLite FTS table kept in step by triggers, keyset paging that shows every row exactly once, and
one bounded count per request."""
import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.rectification import listing, search
from inspect_app.rectification.models import RectificationItem
from tests.conftest import HX
from tests.rectification.factories import make_item

ROWS = {**HX, "HX-Target": "item-rows"}


def numbers_in(page: str) -> list[str]:
    return re.findall(r'<tr id="item-row-\d+"[^>]*>.*?>(\d{6}-2022-\d{3})</a>', page, re.S)


def search_numbers(client, q: str) -> set[str]:
    response = client.get("/items/", query_string={"q": q}, headers=ROWS)
    assert response.status_code == 200
    return set(numbers_in(response.get_data(as_text=True)))


@pytest.fixture
def described(world):
    return {
        "ecg": make_item(world, description="远程心电诊断中心未覆盖全部乡镇卫生院"),
        "platform": make_item(world, description="信息平台未统一，数据不能互通", person="张三丰"),
        "talent": make_item(world, description="人才下沉不到位 100% 未落实"),
    }


def test_search_finds_chinese_substrings_of_two_and_more_characters(client, login_as, described):
    login_as("xinye")
    ecg, platform, talent = described["ecg"], described["platform"], described["talent"]
    assert search_numbers(client, "心电诊断") == {ecg.number}            # FTS / trigram index
    assert search_numbers(client, "数据不能互通") == {platform.number}
    assert search_numbers(client, "心电") == {ecg.number}                # 2 characters: the fallback
    assert search_numbers(client, "下沉") == {talent.number}
    assert search_numbers(client, "三丰") == {platform.number}           # 责任人
    assert search_numbers(client, "张三丰") == {platform.number}
    assert search_numbers(client, platform.number[-8:]) == {platform.number}   # 问题编号
    assert search_numbers(client, "100%") == {talent.number}             # LIKE wildcards are literal
    assert search_numbers(client, "0%未") == set()
    assert search_numbers(client, '"心电') == set()                       # FTS syntax is not interpreted
    assert search_numbers(client, "体检中心") == set()


def test_search_index_follows_insert_update_and_delete(client, login_as, world, described):
    login_as("xinye")
    added = make_item(world, description="家庭医生签约服务流于形式")
    assert search_numbers(client, "签约服务") == {added.number}
    added.description = "慢病随访记录缺失"
    db.session.commit()
    assert search_numbers(client, "签约服务") == set()
    assert search_numbers(client, "随访记录") == {added.number}
    number = added.number
    db.session.delete(added)
    db.session.commit()
    assert search_numbers(client, "随访记录") == set() and number not in search_numbers(client, "2022")
    if db.engine.dialect.name == "sqlite":
        # FTS5's own check that the index matches its content table row for row.
        db.session.execute(sa.text(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('integrity-check')"))
        indexed = db.session.scalar(sa.text(f"SELECT count(*) FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} "
                                            "MATCH '\"心电诊断\"'"))
        assert indexed == 1


def _walk(client, first_url: str) -> tuple[list[str], list[str]]:
    """Follow 下一页 from the first page to the last, then 上一页 back; the numbers seen each way."""
    forward, backward, url, pages = [], [], first_url, []
    while url:
        page = client.get(url, headers=ROWS).get_data(as_text=True)
        pages.append(page)
        forward += numbers_in(page)
        link = re.search(r'id="items-next" href="([^"]+)"', page)
        url = html.unescape(link.group(1)) if link else None
    url = html.unescape(re.search(r'id="items-prev" href="([^"]+)"', pages[-1]).group(1))
    backward = list(reversed(numbers_in(pages[-1])))
    while url:
        page = client.get(url, headers=ROWS).get_data(as_text=True)
        backward += list(reversed(numbers_in(page)))
        link = re.search(r'id="items-prev" href="([^"]+)"', page)
        url = html.unescape(link.group(1)) if link else None
    return forward, list(reversed(backward))


def test_keyset_pages_show_every_row_once_with_tied_deadlines(app, client, login_as, world):
    today = dt.date.today()
    same = today + dt.timedelta(days=40)
    items = [make_item(world, deadline=same, commit=False) for _ in range(23)]          # one long tie
    items += [make_item(world, deadline=today + dt.timedelta(days=10 + i % 3), commit=False) for i in range(12)]
    items += [make_item(world, deadline=today + dt.timedelta(days=50), extended_deadline=same, commit=False)
              for _ in range(6)]                                                         # tie via extension
    db.session.commit()
    expected = [i.number for i in sorted(items, key=lambda i: (i.extended_deadline or i.deadline, i.number))]
    login_as("xinye")
    app.config["PAGE_SIZE"], size = 10, app.config["PAGE_SIZE"]
    try:
        forward, backward = _walk(client, "/items/")
    finally:
        app.config["PAGE_SIZE"] = size
    assert forward == expected            # every row once, in list order
    assert backward == expected           # and the same pages walking back


def test_the_count_runs_once_per_request_and_is_bounded(client, login_as, world, described, monkeypatch):
    login_as("xinye")
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement.lower())

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        page = client.get("/items/?q=心电诊断").get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    counts = [s for s in statements if "count(" in s and "rectification_items" in s]
    assert len(counts) == 1, counts
    assert "limit" in counts[0]                       # stops at COUNT_LIMIT + 1 rows
    assert "共 1 项" in page

    monkeypatch.setattr(listing, "COUNT_LIMIT", 2)    # more rows than the limit: not counted exactly
    beyond = client.get("/items/", headers=ROWS).get_data(as_text=True)
    expected = "约 [0-9,]+" if db.engine.dialect.name == "postgresql" else "超过 2"
    assert re.search(rf'id="items-total">共 {expected} 项', beyond), beyond[:200]


def test_an_estimated_count_survives_any_search_text(client, login_as, world, monkeypatch):
    odd = make_item(world, description="时限:8月底前 '完成' 100% \\ 整改")
    login_as("xinye")
    monkeypatch.setattr(listing, "COUNT_LIMIT", 0)            # every count goes past the limit
    for q in ("时限:8月底前", "'完成'", "100% \\", "时限"):
        response = client.get("/items/", query_string={"q": q}, headers=ROWS)
        assert response.status_code == 200, q
        assert numbers_in(response.get_data(as_text=True)) == [odd.number], q


def test_total_labels():
    assert listing.Total(1234, True).label == "1,234"
    assert listing.Total(123_456, False, estimated=True).label == "约 12 万"
    assert listing.Total(15_000, False, estimated=True).label == "约 1.5 万"
    assert listing.Total(10_001, False).label == "超过 10,000"


def test_a_short_search_stops_counting_sooner(client, login_as, world, monkeypatch):
    for n in range(4):
        make_item(world, description=f"心电图机未校准（{n}）", commit=False)
    db.session.commit()
    login_as("xinye")
    monkeypatch.setattr(listing, "SHORT_SEARCH_COUNT_LIMIT", 2)
    short = client.get("/items/?q=心电", headers=ROWS).get_data(as_text=True)
    assert re.search(r'id="items-total">共 (超过 2|约 [0-9,]+) 项', short)
    assert len(numbers_in(short)) == 4                        # the page itself is complete
    assert 'id="items-total">共 4 项' in client.get("/items/?q=心电图机", headers=ROWS).get_data(as_text=True)


def _plan(stmt) -> str:
    """The database's plan of `stmt` as text (PostgreSQL with sequential scans priced out, so a
    tiny table still shows whether an index *can* answer)."""
    compiled = stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        rows = db.session.execute(sa.text(f"EXPLAIN {compiled}")).scalars().all()
    else:
        rows = [row[-1] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()]
    db.session.rollback()
    return "\n".join(rows)


def test_search_and_sort_are_answered_by_their_indexes(world, described):
    from inspect_app.rectification import service
    user = world.users["xinye"]
    key = listing.effective_deadline_key()
    province = world.users["province"]           # no county condition competing with the search index
    searched = service.items_query(province, service.Filters(q="心电诊断")).order_by(key, RectificationItem.number) \
        .limit(21)
    plan = _plan(searched)
    expected = "ix_rectification_items_search_trgm" if db.engine.dialect.name == "postgresql" else search.FTS_TABLE
    assert expected in plan, plan
    listed = service.items_query(user, service.Filters()).order_by(key, RectificationItem.number).limit(21)
    assert "ix_rectification_items_county_effective_deadline" in _plan(listed)
    overdue = service.items_query(province, service.Filters(bucket="overdue")) \
        .order_by(key, RectificationItem.number).limit(21)
    assert "effective_deadline" in _plan(overdue)


def test_a_typed_page_number_seeks_to_the_same_rows_as_paging_through(client, login_as, world, app, monkeypatch):
    """page=N without a cursor finds the key of the row before the page and continues from it: the
    same rows as turning pages with 下一页, and an empty page past the end."""
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    for n in range(10):
        make_item(world, deadline=dt.date(2022, 8, 1 + n % 4), commit=False)
    db.session.commit()
    login_as("xinye")
    pages, url = [], "/items/"
    while url:
        body = client.get(url, headers=ROWS).get_data(as_text=True)
        pages.append(numbers_in(body))
        found = re.search(r'id="items-next" href="([^"]+)"', body)
        url = html.unescape(found.group(1)) if found else None
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    for n, expected in enumerate(pages, start=1):
        assert numbers_in(client.get(f"/items/?page={n}", headers=ROWS).get_data(as_text=True)) == expected
    past = client.get("/items/?page=9", headers=ROWS)
    assert past.status_code == 200 and numbers_in(past.get_data(as_text=True)) == []


def test_a_short_search_looks_at_a_bounded_window_and_continues_past_it(client, login_as, world, monkeypatch):
    """1–2 characters: at most SHORT_SEARCH_WINDOW rows (list order) per page turn; a page that the
    window leaves short says so, counts 至少 N, and 下一页 continues after the window."""
    early = [make_item(world, deadline=dt.date(2022, 8, 1), description=f"档案缺失（{n}）", commit=False)
             for n in range(4)]
    late = make_item(world, deadline=dt.date(2022, 9, 30), description="心电图机未校准", commit=False)
    db.session.commit()
    login_as("xinye")
    monkeypatch.setattr(listing, "SHORT_SEARCH_WINDOW", 3)
    first = client.get("/items/?q=心电", headers=ROWS).get_data(as_text=True)
    assert numbers_in(first) == [] and 'id="items-window"' in first and "下一页" in first
    assert 'id="items-total">共 至少 0 项' in first
    url = html.unescape(re.search(r'id="items-next" href="([^"]+)"', first).group(1))
    second = client.get(url, headers=ROWS).get_data(as_text=True)
    assert numbers_in(second) == [late.number] and 'id="items-window"' not in second
    assert 'id="items-next"' not in second
    assert set(numbers_in(client.get("/items/?q=档案", headers=ROWS).get_data(as_text=True))) \
        == {item.number for item in early[:3]}       # the window's matches, the fourth after it
    monkeypatch.setattr(listing, "SHORT_SEARCH_WINDOW", 20_000)
    assert search_numbers(client, "心电") == {late.number}
    assert search_numbers(client, "档案") == {item.number for item in early}
