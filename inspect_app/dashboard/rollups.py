"""The closure rollups (dashboard/models.py) and the rules that keep them exactly equal to the items.

One definition: `contributions(condition, as_of, sign)` is the SQL that turns a set of items into
rollup rows — grouped by campaign, county, Beijing issue day and each breakdown (DIMENSIONS), with
the measures of dashboard/service.py (statuses; overdue and aging from rectification/deadlines.py).
Everything else applies it:

- an item insert, update or delete (any ORM flush): before the flush, subtract what the changed items
  contributed as the database still holds them; after the flush, add what they contribute now. Same
  transaction, so a rolled-back action leaves the rollups as they were.
- the day changing (`ensure(today)`): only open items whose effective deadline lies between the old
  and the new date + 20 days can change aging bucket; subtract them as of the old date and add them
  as of the new one.
- `rebuild(today)`: delete and recompute everything (after bench/gen_data.py's bulk inserts, after a
  migration, or when asked by `flask rollups rebuild`).

`differences()` recomputes the whole table from the items and lists any row that differs: the tests
run it after every lifecycle action, and `flask rollups check` runs it on a live database.

Writes that bypass the ORM (Core INSERT/UPDATE on rectification_items) must call rebuild(); the only
one in the code base is gen_data.
"""
from __future__ import annotations

import functools
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inspect_app.dashboard.models import ALL_COUNTIES, DIMENSIONS, KEY, MEASURES, ClosureRollup, RollupState
from inspect_app.extensions import db
from inspect_app.rectification import deadlines
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem as Item

STATE_ID = 1
# Item attributes that feed a rollup row; a flush that changes none of them leaves the rollups alone.
TRACKED = ("campaign_id", "county_id", "issued_at", "category", "severity", "rectification_type", "unit_id",
           "status", "deadline", "extended_deadline", "closed_at", "return_count", "reopen_count")
# Summed over all counties: every breakdown but the responsible unit (a unit belongs to one county).
TOTAL_DIMENSIONS = tuple(dim for dim in DIMENSIONS if dim != "unit")
AGING_HORIZON = timedelta(days=20)      # beyond today + 20 days every open item is in the "> 20 天" bucket
_PENDING = "closure_rollups_pending"

rollup_table = ClosureRollup.__table__
state_table = RollupState.__table__


# ---------------------------------------------------------------- the one definition

def beijing_day(column, dialect: str):
    """The Beijing calendar date of a naive-UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        return sa.cast(column + sa.text("interval '8 hours'"), sa.Date)
    return sa.func.date(column, "+8 hours", type_=sa.Date)


def beijing_monday(column, dialect: str):
    """The Monday (Beijing) of the ISO week a naive-UTC timestamp falls in, as 'YYYY-MM-DD' text."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.date_trunc("week", column + sa.text("interval '8 hours'")), "YYYY-MM-DD")
    return sa.func.date(column, "+8 hours", "weekday 0", "-6 days")


def _value(dim: str, dialect: str):
    return {
        "all": None,
        "category": Item.category,
        "severity": sa.cast(Item.__table__.c.severity, sa.String(16)),
        "type": sa.cast(Item.__table__.c.rectification_type, sa.String(16)),
        "unit": sa.func.coalesce(sa.cast(Item.unit_id, sa.String(16)), sa.literal_column("''")),
        "closed_week": beijing_monday(Item.closed_at, dialect),
    }[dim]


def _measures(as_of: date, sign: int) -> list:
    """The rollup's measure columns for a group of items, counted `sign` (+1 or -1) times."""
    factor = sa.literal_column(str(int(sign)))

    def count_if(condition):
        return sa.func.sum(sa.case((condition, factor), else_=0))

    return [
        (sa.func.count() * factor).label("issued"),
        count_if(Item.status == Status.PENDING).label("pending"),
        count_if(Item.status == Status.IN_PROGRESS).label("in_progress"),
        count_if(Item.status == Status.SUBMITTED).label("submitted"),
        count_if(Item.status == Status.CLOSED).label("closed"),
        *[count_if(deadlines.bucket(name, as_of)).label(name) for name in deadlines.AGING_BUCKETS],
        (sa.func.sum(Item.return_count) * factor).label("returns"),
        (sa.func.sum(Item.reopen_count) * factor).label("reopens"),
        count_if(Item.close_seconds.is_not(None)).label("timed"),
    ]


def contributions(condition, as_of: date, sign: int = 1, dialect: str | None = None) -> sa.CompoundSelect:
    """The rollup rows (KEY + MEASURES) of the items matching `condition`, overdue and aging measured
    against the Beijing date `as_of`: per county, and again over all counties (ALL_COUNTIES)."""
    dialect = dialect or _dialect(db.session)
    day = beijing_day(Item.issued_at, dialect)
    selects = []
    for county in (Item.county_id, None):
        for dim in DIMENSIONS if county is not None else TOTAL_DIMENSIONS:
            value = _value(dim, dialect)
            keys = [Item.campaign_id, *([] if county is None else [county]), day, *([] if value is None else [value])]
            stmt = sa.select(Item.campaign_id,
                             (sa.literal_column(str(ALL_COUNTIES)) if county is None else county).label("county_id"),
                             day.label("issued_day"), sa.literal_column(f"'{dim}'").label("dim"),
                             (sa.literal_column("''") if value is None else value).label("value"),
                             *_measures(as_of, sign)).where(condition)
            if dim == "closed_week":
                stmt = stmt.where(Item.status == Status.CLOSED, Item.closed_at.is_not(None))
            selects.append(stmt.group_by(*keys))
    return sa.union_all(*selects)


# ---------------------------------------------------------------- applying it

def _dialect(session) -> str:
    return session.get_bind().dialect.name


def _upsert(dialect: str, condition, as_of: date, sign: int):
    """INSERT the contributions of the matching items, adding them to rows that exist."""
    rows = contributions(condition, as_of, sign, dialect).subquery("contribution")
    # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint (its documented ambiguity).
    source = sa.select(*(rows.c[name] for name in KEY + MEASURES)).where(sa.true())
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(rollup_table)
    insert = insert.from_select(list(KEY + MEASURES), source)
    return insert.on_conflict_do_update(
        index_elements=list(KEY), set_={name: rollup_table.c[name] + insert.excluded[name] for name in MEASURES})


@functools.lru_cache(maxsize=16)
def _items_upsert(dialect_name: str, as_of: date, sign: int) -> sa.TextClause:
    """The upsert for a list of item ids, as SQL text built once per day and sign.

    SQLAlchemy never caches the dialects' INSERT … ON CONFLICT (their inherit_cache is False), and
    compiling these eleven-branch SELECTs costs ~40 ms, on every item write. So the statement is
    compiled once with its constants inlined (dates, statuses: literal_binds) and only the item ids
    left as an expanding parameter of a text() statement, which SQLAlchemy does cache."""
    dialect = postgresql.dialect() if dialect_name == "postgresql" else sqlite.dialect()
    ids = sa.literal_column(f"{Item.__tablename__}.id IN :item_ids")
    sql = str(_upsert(dialect_name, ids, as_of, sign).compile(dialect=dialect,
                                                              compile_kwargs={"literal_binds": True}))
    return sa.text(sql).bindparams(sa.bindparam("item_ids", expanding=True))


def _apply(connection, condition, as_of: date, sign: int) -> None:
    """Add (sign=+1) or subtract (-1) the contributions of the items matching `condition`."""
    connection.execute(_upsert(connection.dialect.name, condition, as_of, sign))


def _apply_items(connection, item_ids: list[int], as_of: date, sign: int) -> None:
    """_apply for the items with these ids (the path of every item write)."""
    connection.execute(_items_upsert(connection.dialect.name, as_of, sign), {"item_ids": list(item_ids)})


def _as_of(connection, lock: str | None = None) -> date | None:
    """The state's date. `lock` "share" (item writes) or "update" (move, rebuild) holds it until the
    transaction ends: FOR SHARE / FOR UPDATE on PostgreSQL; on SQLite, which has no row locks, a
    no-op UPDATE takes the database's write lock first, so no move can commit between reading the
    date and counting against it."""
    stmt = sa.select(state_table.c.as_of).where(state_table.c.id == STATE_ID)
    if lock and connection.dialect.name == "postgresql":
        stmt = stmt.with_for_update(read=lock == "share")
    elif lock:
        connection.execute(state_table.update().where(state_table.c.id == STATE_ID)
                           .values(as_of=state_table.c.as_of))
    return connection.execute(stmt).scalar_one_or_none()


def _set_as_of(connection, day: date) -> None:
    """Record the date (creating the state row should it be missing, e.g. after a TRUNCATE)."""
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(state_table)
    connection.execute(insert.values(id=STATE_ID, as_of=day)
                       .on_conflict_do_update(index_elements=["id"], set_={"as_of": day}))


def _tracked_change(item: Item) -> bool:
    attrs = sa.inspect(item).attrs
    return any(attrs[name].history.has_changes() for name in TRACKED)


def _before_flush(session, flush_context, instances) -> None:
    """Subtract what changed or deleted items contributed (the rows as stored before this flush)."""
    session.info.pop(_PENDING, None)
    new = [o for o in session.new if isinstance(o, Item)]
    changed = [o for o in session.dirty if isinstance(o, Item) and _tracked_change(o)]
    gone = [o for o in session.deleted if isinstance(o, Item)]
    if not (new or changed or gone):
        return
    connection = session.connection()
    as_of = _as_of(connection, lock="share")
    if as_of is None:                      # never built: the first dashboard request builds everything
        return
    stored = [o.id for o in changed + gone if o.id is not None]
    if stored:
        _apply_items(connection, stored, as_of, -1)
    session.info[_PENDING] = (as_of, new + changed)


def _after_flush(session, flush_context) -> None:
    """Add what the new and changed items contribute now."""
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    as_of, items = pending
    ids = [o.id for o in items if o.id is not None and o not in session.deleted]
    if ids:
        _apply_items(session.connection(), ids, as_of, +1)


def _after_rollback(session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


_LISTENERS = (("before_flush", _before_flush), ("after_flush", _after_flush),
              ("after_soft_rollback", _after_rollback))


def install() -> None:
    """Keep the rollups in step with every ORM flush (idempotent; called by create_app)."""
    for name, listener in _LISTENERS:
        if not sa.event.contains(Session, name, listener):
            sa.event.listen(Session, name, listener)


# ---------------------------------------------------------------- building, moving, checking

def _build(connection, today: date) -> None:
    connection.execute(rollup_table.delete())
    _apply(connection, sa.true(), today, +1)
    _set_as_of(connection, today)


def rebuild(today: date) -> None:
    """Recompute every row from the items, overdue and aging as of `today`; commits."""
    connection = db.session.connection()
    _as_of(connection, lock="update")
    _build(connection, today)
    db.session.commit()


def _move(connection, old: date, new: date) -> None:
    """Re-count overdue and aging as of `new` instead of `old`. An open item's bucket can differ
    only if its effective deadline lies in [min, max + 20 days]; the others keep theirs."""
    window = sa.and_(deadlines.is_open(),
                     deadlines.effective_deadline_between(min(old, new), max(old, new) + AGING_HORIZON))
    _apply(connection, window, old, -1)
    _apply(connection, window, new, +1)
    connection.execute(rollup_table.delete().where(rollup_table.c.issued == 0))   # rows whose items all left
    _set_as_of(connection, new)


def ensure(today: date) -> None:
    """Make the rollups count overdue and aging as of `today`: build them if they never were, move
    them if the day changed; commits only when it changed something."""
    if _as_of(db.session.connection()) == today:
        return
    connection = db.session.connection()
    as_of = _as_of(connection, lock="update")
    if as_of is None:
        _build(connection, today)
    elif as_of != today:
        _move(connection, as_of, today)
    db.session.commit()


def as_of_column():
    """The state's date as a scalar subquery, for read queries to report which day they counted."""
    return sa.select(state_table.c.as_of).where(state_table.c.id == STATE_ID).scalar_subquery()


def differences(limit: int = 20) -> list[dict]:
    """Rows where the stored rollups differ from a fresh computation over the items (empty when
    exact). Zero rows left behind by items that moved away count as equal to no row."""
    connection = db.session.connection()
    as_of = _as_of(connection)
    if as_of is None:
        return []
    def keyed(stmt):
        return {tuple(str(v) for v in row[:len(KEY)]): tuple(int(v or 0) for v in row[len(KEY):])
                for row in connection.execute(stmt)}

    live = keyed(sa.select(*contributions(sa.true(), as_of, 1, connection.dialect.name).subquery().c))
    stored = keyed(sa.select(*(rollup_table.c[name] for name in KEY + MEASURES)))
    zero = (0,) * len(MEASURES)
    found = []
    for key in sorted(set(live) | set(stored), key=str):
        expected, actual = live.get(key, zero), stored.get(key, zero)
        if expected != actual:
            found.append({"key": dict(zip(KEY, key)), "expected": dict(zip(MEASURES, expected)),
                          "stored": dict(zip(MEASURES, actual))})
            if len(found) >= limit:
                break
    return found
