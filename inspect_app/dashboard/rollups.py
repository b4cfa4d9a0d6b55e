"""The closure rollups (dashboard/models.py) and the rules that keep them exactly equal to the items.

One definition: `contributions(condition, sign)` is the SQL that turns a set of items into rollup
rows — grouped by campaign, county, Beijing issue day, each breakdown (DIMENSIONS), status and deadline
in force (one shared key for closed items, whose deadline decides no figure), counting the items,
their returns, reopens and closure times. No row depends on today, so:

- an item insert, update or delete (any ORM flush): before the flush, subtract what the changed items
  contributed as the database still holds them; after the flush, add what they contribute now. Same
  transaction, so a rolled-back action leaves the rollups as they were.
- a read (`figures(rows, today)`) adds the rows up and works out overdue and the aging buckets from
  each row's status and deadline with date_rules' SQL twins: it never writes, locks or commits, and
  two requests either side of midnight each count against their own today.
- `rebuild()`: delete and recompute everything (after bench/gen_data.py's bulk inserts, after the
  migration, or when asked by `flask rollups rebuild`).

`differences()` recomputes the whole table from the items and lists any row that differs: the tests
run it after every lifecycle action, and `flask rollups check` runs it on a live database.

Writes that bypass the ORM (Core INSERT/UPDATE on rectification_items) must call rebuild(); the only
one in the code base is gen_data.
"""
from __future__ import annotations

import functools
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inspect_app.dashboard.models import ALL_COUNTIES, DIMENSIONS, FIGURES, KEY, MEASURES, ClosureRollup
from inspect_app.extensions import db
from inspect_app.rectification import date_rules
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem as Item

# Item attributes that feed a rollup row; a flush that changes none of them leaves the rollups alone.
TRACKED = ("campaign_id", "county_id", "issued_at", "category", "severity", "rectification_type", "unit_id",
           "status", "deadline", "extended_deadline", "closed_at", "return_count", "reopen_count")
# Summed over all counties: every breakdown but the responsible unit (a unit belongs to one county).
TOTAL_DIMENSIONS = tuple(dim for dim in DIMENSIONS if dim != "unit")
_PENDING = "closure_rollups_pending"
CLOSED_DEADLINE = date.min          # the deadline key of closed items' rows (see _row_deadline)

rollup_table = ClosureRollup.__table__
# The figures counted per status (FIGURES' names for them).
STATUS_FIGURES = (("pending", Status.PENDING), ("in_progress", Status.IN_PROGRESS),
                  ("submitted", Status.SUBMITTED), ("closed", Status.CLOSED))


# ---------------------------------------------------------------- the one definition

# A date as 'YYYY-MM-DD' text (the closed_week rows' value), whatever PostgreSQL's DateStyle (which a
# plain CAST to text would follow).
_IsoText = date_rules.dialect_function("iso_text", sa.String(16), "date({0})", "to_char({0}, 'YYYY-MM-DD')")


def _value(dim: str):
    return {
        "all": None,
        "category": Item.category,
        "severity": sa.cast(Item.__table__.c.severity, sa.String(16)),
        "type": sa.cast(Item.__table__.c.rectification_type, sa.String(16)),
        "unit": sa.func.coalesce(sa.cast(Item.unit_id, sa.String(16)), sa.literal_column("''")),
        "closed_week": _IsoText(date_rules.beijing_monday_sql(Item.closed_at)),
    }[dim]


def _measures(sign: int) -> list:
    """The rollup's measure columns for a group of items, counted `sign` (+1 or -1) times."""
    factor = sa.literal_column(str(int(sign)))
    return [
        (sa.func.count() * factor).label("issued"),
        (sa.func.sum(Item.return_count) * factor).label("returns"),
        (sa.func.sum(Item.reopen_count) * factor).label("reopens"),
        sa.func.sum(sa.case((Item.close_seconds.is_not(None), factor), else_=0)).label("timed"),
    ]


def _row_deadline() -> sa.ColumnElement:
    """The deadline a row is keyed by: the deadline in force of an open item; CLOSED_DEADLINE for a
    closed one, whose deadline decides no figure — so closed items share rows instead of spreading
    over every deadline they once had (they are most of the items)."""
    return sa.case((date_rules.is_open_sql(Item.status), date_rules.effective_deadline_sql(Item)),
                   else_=sa.literal(CLOSED_DEADLINE, sa.Date))


def contributions(condition, sign: int = 1) -> sa.CompoundSelect:
    """The rollup rows (KEY + MEASURES) of the items matching `condition`: per county, and again over
    all counties (ALL_COUNTIES)."""
    day = date_rules.beijing_date_sql(Item.issued_at)
    deadline = _row_deadline()
    selects = []
    for county in (Item.county_id, None):
        for dim in DIMENSIONS if county is not None else TOTAL_DIMENSIONS:
            value = _value(dim)
            keys = [Item.campaign_id, *([] if county is None else [county]), day,
                    *([] if value is None else [value]), Item.status, deadline]
            stmt = sa.select(Item.campaign_id,
                             (sa.literal_column(str(ALL_COUNTIES)) if county is None else county).label("county_id"),
                             day.label("issued_day"), sa.literal_column(f"'{dim}'").label("dim"),
                             (sa.literal_column("''") if value is None else value).label("value"),
                             Item.status.label("status"), deadline.label("deadline"),
                             *_measures(sign)).where(condition)
            if dim == "closed_week":
                stmt = stmt.where(Item.status == Status.CLOSED, Item.closed_at.is_not(None))
            selects.append(stmt.group_by(*keys))
    return sa.union_all(*selects)


def figures(rows, today: date) -> list:
    """The FIGURES of a set of rollup rows (a table or subquery with KEY + MEASURES columns), summed:
    items per status, overdue and per aging bucket as of the Beijing date `today` (date_rules'
    SQL rules on each row's status and deadline), returns, reopens, timed. Aggregate columns labelled
    by FIGURES' names, in that order; read them with GROUP BY as the caller needs."""
    c = rows.c

    def items_where(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, c.issued), else_=0)), 0)

    found = {
        "issued": sa.func.coalesce(sa.func.sum(c.issued), 0),
        **{name: items_where(c.status == status) for name, status in STATUS_FIGURES},
        **{name: items_where(date_rules.aging_clause_sql(name, c.status, c.deadline, today))
           for name in date_rules.AGING_BUCKETS},
        "returns": sa.func.coalesce(sa.func.sum(c.returns), 0),
        "reopens": sa.func.coalesce(sa.func.sum(c.reopens), 0),
        "timed": sa.func.coalesce(sa.func.sum(c.timed), 0),
    }
    return [found[name].label(name) for name in FIGURES]


# ---------------------------------------------------------------- applying it

def _upsert(dialect: str, condition, sign: int):
    """INSERT the contributions of the matching items, adding them to rows that exist."""
    rows = contributions(condition, sign).subquery("contribution")
    # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint (its documented ambiguity).
    source = sa.select(*(rows.c[name] for name in KEY + MEASURES)).where(sa.true())
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(rollup_table)
    insert = insert.from_select(list(KEY + MEASURES), source)
    return insert.on_conflict_do_update(
        index_elements=list(KEY), set_={name: rollup_table.c[name] + insert.excluded[name] for name in MEASURES})


@functools.lru_cache(maxsize=8)
def _items_upsert(dialect_name: str, sign: int) -> sa.TextClause:
    """The upsert for a list of item ids, as SQL text built once per dialect and sign.

    SQLAlchemy never caches the dialects' INSERT … ON CONFLICT (their inherit_cache is False), and
    compiling these eleven-branch SELECTs costs ~40 ms, on every item write. So the statement is
    compiled once with its constants inlined (statuses: literal_binds) and only the item ids
    left as an expanding parameter of a text() statement, which SQLAlchemy does cache."""
    dialect = postgresql.dialect() if dialect_name == "postgresql" else sqlite.dialect()
    ids = sa.literal_column(f"{Item.__tablename__}.id IN :item_ids")
    sql = str(_upsert(dialect_name, ids, sign).compile(dialect=dialect,
                                                              compile_kwargs={"literal_binds": True}))
    return sa.text(sql).bindparams(sa.bindparam("item_ids", expanding=True))


def _apply(connection, condition, sign: int) -> None:
    """Add (sign=+1) or subtract (-1) the contributions of the items matching `condition`."""
    connection.execute(_upsert(connection.dialect.name, condition, sign))


def _apply_items(connection, item_ids: list[int], sign: int) -> None:
    """_apply for the items with these ids (the path of every item write)."""
    connection.execute(_items_upsert(connection.dialect.name, sign), {"item_ids": list(item_ids)})


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
    stored = [o.id for o in changed + gone if o.id is not None]
    if stored:
        _apply_items(session.connection(), stored, -1)
    session.info[_PENDING] = new + changed


def _after_flush(session, flush_context) -> None:
    """Add what the new and changed items contribute now."""
    items = session.info.pop(_PENDING, None)
    if items is None:
        return
    ids = [o.id for o in items if o.id is not None and o not in session.deleted]
    if ids:
        _apply_items(session.connection(), ids, +1)


def _after_rollback(session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


_LISTENERS = (("before_flush", _before_flush), ("after_flush", _after_flush),
              ("after_soft_rollback", _after_rollback))


def install() -> None:
    """Keep the rollups in step with every ORM flush (idempotent; called by create_app)."""
    for name, listener in _LISTENERS:
        if not sa.event.contains(Session, name, listener):
            sa.event.listen(Session, name, listener)


# ---------------------------------------------------------------- building and checking

def build(connection) -> None:
    """Delete every row and recompute them all from the items, on `connection` (no commit): the
    rebuild command, gen_data and the migration."""
    connection.execute(rollup_table.delete())
    _apply(connection, sa.true(), +1)


def rebuild() -> None:
    """Recompute every row from the items; commits."""
    build(db.session.connection())
    db.session.commit()


def differences(limit: int = 20) -> list[dict]:
    """Rows where the stored rollups differ from a fresh computation over the items (empty when
    exact). Zero rows left behind by items that moved away count as equal to no row."""
    connection = db.session.connection()

    def keyed(stmt):
        return {tuple(str(getattr(v, "name", v)) for v in row[:len(KEY)]): tuple(int(v or 0) for v in row[len(KEY):])
                for row in connection.execute(stmt)}

    live = keyed(sa.select(*contributions(sa.true()).subquery().c))
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
