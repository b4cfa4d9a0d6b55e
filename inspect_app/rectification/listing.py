"""One page of the items list at any size: keyset paging on the sort key and a bounded count.

Order: effective deadline, then 问题编号 (unique, so the order is total and ties on the deadline are
broken the same way on every page). "下一页" carries the last row's key (`after`) and "上一页" the first
row's (`before`): the next page is an index range scan from that key, however deep, and every row
appears on exactly one page even when many share a deadline. A `page` number without a key (a
bookmark, a typed URL) seeks too: the key of the row before the page is read from the sort index
alone (index-only on PostgreSQL's covering index), then the page is a keyset range.

The count runs once per request and stops at COUNT_LIMIT + 1 rows: up to the limit it is exact ("共
1,234 项"); beyond it PostgreSQL's planner estimate is shown ("约 12 万项"), SQLite says "超过 10,000
项". A search of one or two characters, which no index serves, looks at SHORT_SEARCH_WINDOW rows
per page turn and counts at most 1,000 of what it saw ("至少 N 项").
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field

import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.rectification import date_rules
from inspect_app.rectification.models import RectificationItem as Item
from inspect_app.rectification.search import effective_deadline_key

COUNT_LIMIT = 10_000
SHORT_SEARCH_COUNT_LIMIT = 1_000   # a 1–2 character search has no index to count on: stop sooner
SHORT_SEARCH_WINDOW = 20_000       # …and looks at most this many rows (list order) per page turn
CURSOR_SEPARATOR = "~"


def cursor_of(item: Item) -> str:
    """The keyset cursor of a row: '<effective deadline ISO>~<问题编号>'."""
    deadline = date_rules.effective_deadline(item)
    return f"{deadline.isoformat()}{CURSOR_SEPARATOR}{item.number}"


def parse_cursor(value: str | None) -> tuple[dt.date, str] | None:
    """(deadline, number) from a cursor, or None when absent or malformed (then the first page)."""
    if not value or CURSOR_SEPARATOR not in value:
        return None
    day, _sep, number = value.partition(CURSOR_SEPARATOR)
    try:
        return dt.date.fromisoformat(day), number[:32]
    except ValueError:
        return None


@dataclass
class Total:
    """How many rows match: exact up to COUNT_LIMIT; beyond it PostgreSQL's planner estimate
    (`estimated`), or on SQLite just "more than the limit"."""

    value: int
    exact: bool
    estimated: bool = False
    limit: int = COUNT_LIMIT
    at_least: bool = False          # a windowed search's count: the matches seen so far

    @property
    def label(self) -> str:
        """'1,234', '约 12 万', '超过 10,000' or '至少 12' (the unit, 项 or 条, is the template's)."""
        if self.at_least:
            return f"至少 {self.value:,}"
        if self.exact:
            return f"{self.value:,}"
        if self.estimated:
            wan = self.value / 10_000
            if wan >= 10:
                return f"约 {wan:.0f} 万"
            return f"约 {wan:.1f} 万" if wan >= 1 else f"约 {self.value:,}"
        return f"超过 {self.limit:,}"


@dataclass
class ItemPage:
    """A page of the list: its rows, the count, the page number shown and the cursors of its edges."""

    items: list
    total: Total
    page: int
    per_page: int
    has_prev: bool
    has_next: bool
    args: dict = field(default_factory=dict)
    # A windowed (1–2 character) search whose window stopped before the rows did: how many rows it
    # looked at, and the cursors that continue past the window when the page is not full.
    window: int | None = None
    next_cursor: str | None = None
    prev_cursor: str | None = None

    @property
    def pages(self) -> int | None:
        return math.ceil(self.total.value / self.per_page) if self.total.exact else None

    def link_args(self, direction: str, filters: dict) -> dict:
        """The filters plus the previous ("prev") or next ("next") page's keyset arguments."""
        return {**filters, **(self.prev_args if direction == "prev" else self.next_args)}

    @property
    def prev_args(self) -> dict:
        """Query arguments of the previous page (keyset on its first row)."""
        if self.prev_cursor:
            return {"before": self.prev_cursor, "page": max(self.page - 1, 1)}
        if not self.items:
            return {"page": max(self.page - 1, 1)}
        return {"before": cursor_of(self.items[0]), "page": max(self.page - 1, 1)}

    @property
    def next_args(self) -> dict:
        """Query arguments of the next page (keyset on its last row)."""
        if self.next_cursor:
            return {"after": self.next_cursor, "page": self.page + 1}
        return {"after": cursor_of(self.items[-1]), "page": self.page + 1}


def count(stmt: sa.Select, limit: int | None = None) -> Total:
    """The number of rows `stmt` selects, counting at most `limit` (default COUNT_LIMIT) + 1 of them."""
    limit = limit or COUNT_LIMIT
    probe = sa.select(Item.id).where(stmt.whereclause).limit(limit + 1).subquery()
    value = db.session.scalar(sa.select(sa.func.count()).select_from(probe))
    if value <= limit:
        return Total(value, True)
    estimate = _estimate(stmt)
    return Total(max(estimate, value), False, estimated=estimate > 0, limit=limit)


def _estimate(stmt: sa.Select) -> int:
    """PostgreSQL's planner estimate of the rows `stmt` selects (0 elsewhere)."""
    if db.engine.dialect.name != "postgresql":
        return 0
    try:
        compiled = sa.select(Item.id).where(stmt.whereclause).compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    except sa.exc.CompileError:      # a value with no literal form: say "more than the limit"
        return 0
    try:
        # Driver SQL, not text(): a searched ":word" must not be read as a bind parameter. In a
        # savepoint, so a refused EXPLAIN leaves the request's transaction usable.
        with db.session.begin_nested():
            plan = db.session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}").scalar()
    except sa.exc.DBAPIError:
        return 0
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _key_at(where, offset: int, descending: bool = False) -> tuple[dt.date, str] | None:
    """(effective deadline, 问题编号) of the row `offset` rows into list order (or reverse order) among
    the rows matching `where`; None when there are not that many. It reads the sort key alone — an
    index-only scan of the covering sort index on PostgreSQL — so skipping rows costs index entries,
    not table rows."""
    key = effective_deadline_key()
    order = (key.desc(), Item.number.desc()) if descending else (key, Item.number)
    row = db.session.execute(sa.select(key, Item.number).where(where).order_by(*order)
                             .offset(offset).limit(1)).first()
    return (row[0], row[1]) if row is not None else None


def _cursor(key: tuple[dt.date, str]) -> str:
    return f"{key[0].isoformat()}{CURSOR_SEPARATOR}{key[1]}"


def page_of(stmt: sa.Select, page: int, per_page: int, after: str | None = None,
            before: str | None = None, count_limit: int | None = None,
            search: sa.ColumnElement[bool] | None = None, window: int | None = None) -> ItemPage:
    """One page of `stmt` (already filtered) in list order: after a cursor, before one, or by number;
    the count stops at `count_limit` (default COUNT_LIMIT).

    A page by number is found by seeking: the sort key of the row just before it is read from the
    index (`_key_at`), then the page is a keyset range from there — a deep typed page costs index
    entries, not OFFSET over whole rows (1.1 s at page 5,173 of 10⁵, issue 12).

    `search` with a `window` (a 1–2 character search, which no index serves) looks only at the next
    `window` rows of `stmt` in list order from the page's start: the page, its count ("至少 N") and
    the work are bounded whatever the table's size; when the window ends before the rows do, the
    page says so (`window`) and 下一页/上一页 continue past it."""
    key = effective_deadline_key()
    sort = sa.tuple_(key, Item.number)
    after_key, before_key = parse_cursor(after), parse_cursor(before)
    edge = None
    if search is not None:
        where = stmt.whereclause if stmt.whereclause is not None else sa.true()
        if before_key is not None:
            edge = _key_at(sa.and_(where, sort < sa.tuple_(*before_key)), window - 1, descending=True)
            bound = sort >= sa.tuple_(*edge) if edge else None
        else:
            start = sa.and_(where, sort > sa.tuple_(*after_key)) if after_key is not None else where
            edge = _key_at(start, window - 1)
            bound = sort <= sa.tuple_(*edge) if edge else None
        stmt = stmt.where(search) if bound is None else stmt.where(search, bound)
    total = count(stmt, count_limit)
    if search is not None and (edge is not None or after_key is not None or before_key is not None):
        total = Total(total.value, False, at_least=True, limit=total.limit)
    windowed = {"window": window} if edge is not None else {}
    if before_key is not None:
        rows = list(db.session.execute(
            stmt.where(sort < sa.tuple_(*before_key))
            .order_by(key.desc(), Item.number.desc()).limit(per_page + 1)).unique().scalars())
        more_before = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        prev_cursor = _cursor(edge) if edge is not None and not more_before else None
        return ItemPage(items, total, max(page, 1), per_page, has_prev=more_before or edge is not None,
                        has_next=True, prev_cursor=prev_cursor, **windowed)
    ordered = stmt.order_by(key, Item.number)
    if after_key is not None:
        ordered = ordered.where(sort > sa.tuple_(*after_key))
        has_prev = True
    elif page > 1 and search is not None:
        ordered = ordered.offset((page - 1) * per_page)      # inside the window: bounded
        has_prev = True
    elif page > 1:
        previous = _key_at(stmt.whereclause if stmt.whereclause is not None else sa.true(),
                           (page - 1) * per_page - 1)
        if previous is None:                                  # past the end
            return ItemPage([], total, page, per_page, has_prev=True, has_next=False)
        ordered = ordered.where(sort > sa.tuple_(*previous))
        has_prev = True
    else:
        has_prev = False
    rows = list(db.session.execute(ordered.limit(per_page + 1)).unique().scalars())
    full = len(rows) > per_page
    next_cursor = _cursor(edge) if edge is not None and not full else None
    return ItemPage(rows[:per_page], total, page, per_page, has_prev=has_prev,
                    has_next=full or edge is not None, next_cursor=next_cursor, **windowed)
