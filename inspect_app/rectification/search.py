"""The items list's search and sort indexes, on PostgreSQL and SQLite.

Search ("q": a 问题编号, words of the description or category, a 责任人) matches a substring of any of
those four fields, Chinese included, case-insensitively for Latin letters. It is served by an index
that works on substrings, which a B-tree cannot:

- PostgreSQL: a pg_trgm GIN index (gin_trgm_ops) on `search_text()`, the four fields joined by
  spaces; `ILIKE '%q%'` on that same expression uses it (pg_trgm extracts trigrams from CJK text in
  a UTF-8 database: show_trgm('整改台账') is not empty).
- SQLite: an FTS5 table with the trigram tokenizer (SQLite ≥ 3.34) holding the four fields as an
  external-content index of rectification_items, kept in step by three triggers (insert, delete,
  update of those fields). A query of 3 characters or more is a phrase MATCH (a substring, on the
  index); shorter ones have no trigram to look up on either database and fall back to LIKE on the
  four fields (PostgreSQL: strpos when the query has no cased letters), confined to a bounded window
  of the list (listing.SHORT_SEARCH_WINDOW rows in list order) so a page's cost does not grow with
  the table.

The sort of the list — effective deadline (extended_deadline, else deadline), then 问题编号 — has
expression indexes on coalesce(extended_deadline, deadline), alone and after each equality filter
(county, campaign, status, unit) and over open items only, so a page of any filter is a short index range scan and keyset
paging (listing.py) continues from the last row shown.

The migrations 9c4e2d7a1b60 and 5e8a1c3f7b24 create the same objects; `install` does it for `db.create_all` (tests).
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from inspect_app.rectification import date_rules
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem as Item

FTS_TABLE = "rectification_item_search"
FTS_MIN_CHARS = 3        # the trigram tokenizer (and pg_trgm) index nothing shorter
SEARCHED = ("number", "description", "category", "responsible_person")


def effective_deadline_key() -> sa.ColumnElement:
    """date_rules.effective_deadline_sql — coalesce(extended_deadline, deadline) — which the expression
    indexes below are built on, so the planner matches ORDER BY and range conditions to them."""
    return date_rules.effective_deadline_sql(Item)


def search_text() -> sa.ColumnElement[str]:
    """The four searched fields joined by spaces (immutable on PostgreSQL: `||` and coalesce). The
    separator is SQL text, not a parameter, so a query's expression is the index's expression."""
    parts = [sa.func.coalesce(getattr(Item, name), sa.literal_column("''")) for name in SEARCHED]
    text = parts[0]
    for part in parts[1:]:
        text = text.op("||")(sa.literal_column("' '")).op("||")(part)
    return text


def _like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def indexed(q: str, dialect: str) -> bool:
    """Whether the substring index can serve `q`: on SQLite (FTS5 trigram over raw characters) when
    it has 3 characters or more; on PostgreSQL when a run of 3 word characters (letters, digits,
    CJK) is in it — pg_trgm splits text at punctuation and spaces, so '核，核' gives it no trigram
    and the GIN index would be read whole (2–3 s at 10⁵ items, issue 12)."""
    if dialect == "postgresql":
        return any(len(run) >= FTS_MIN_CHARS for run in re.findall(r"[^\W_]+", q))
    return len(q) >= FTS_MIN_CHARS


def matches(q: str, dialect: str) -> sa.ColumnElement[bool]:
    """Items whose number, description, category or 责任人 contains `q` (see the module docstring
    for the index each database uses; `dialect` is the engine's dialect name)."""
    pattern = _like_pattern(q)
    if dialect == "postgresql":
        if not indexed(q, dialect) and q.lower() == q.upper():
            # No trigram index for 1–2 characters, so each row is read: without letters that have a
            # case (Chinese, digits) a plain strpos answers the same, ~4× faster than ILIKE.
            return sa.func.strpos(search_text(), q) > 0
        return search_text().ilike(pattern, escape="\\")
    if len(q) >= FTS_MIN_CHARS:
        phrase = '"' + q.replace('"', '""') + '"'
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        return Item.id.in_(sa.select(fts.c.rowid).where(sa.text(f"{FTS_TABLE} MATCH :phrase")
                                                        .bindparams(phrase=phrase)))
    return sa.or_(*(getattr(Item, name).ilike(pattern, escape="\\") for name in SEARCHED))


# ---------------------------------------------------------------- the indexes, declared for metadata

_KEY = effective_deadline_key()
SORT_INDEXES = [
    # INCLUDE the expression's columns: a typed page seeks on the key with an index-only scan (listing.py).
    sa.Index("ix_rectification_items_effective_deadline", _KEY, Item.number,
             postgresql_include=["deadline", "extended_deadline"]),
    sa.Index("ix_rectification_items_county_effective_deadline", Item.county_id, _KEY, Item.number),
    sa.Index("ix_rectification_items_campaign_effective_deadline", Item.campaign_id, _KEY, Item.number),
    sa.Index("ix_rectification_items_status_effective_deadline", Item.status, _KEY, Item.number),
    sa.Index("ix_rectification_items_unit_effective_deadline", Item.unit_id, _KEY, Item.number),
    sa.Index("ix_rectification_items_status_updated", Item.status, Item.updated_at, Item.number),
    # The campaign filter's choices: does this county have items in that campaign (one probe).
    sa.Index("ix_rectification_items_county_campaign", Item.county_id, Item.campaign_id),
    # Open items only (未销号, overdue, the urgency colours): most items of a province are closed.
    sa.Index("ix_rectification_items_open_effective_deadline", _KEY, Item.number,
             postgresql_where=Item.status != Status.CLOSED, sqlite_where=Item.status != Status.CLOSED),
]
TRIGRAM_INDEX = sa.Index("ix_rectification_items_search_trgm", search_text().label("search_text"),
                         postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}) \
    .ddl_if(dialect="postgresql")
Item.__table__.append_constraint(TRIGRAM_INDEX)     # a labelled expression does not attach by itself

_COLUMNS = ", ".join(SEARCHED)
_NEW = ", ".join(f"new.{name}" for name in SEARCHED)
_OLD = ", ".join(f"old.{name}" for name in SEARCHED)
SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_COLUMNS}, "
    f"content='rectification_items', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON rectification_items BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON rectification_items BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF {_COLUMNS} ON rectification_items BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
    # Rows already there (an upgrade): index them once.
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{kind}" for kind in ("insert", "delete", "update")] + \
    [f"DROP TABLE IF EXISTS {FTS_TABLE}"]
POSTGRES_CREATE = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]


def install() -> None:
    """Create the FTS table and triggers after rectification_items (SQLite), and pg_trgm before it
    (PostgreSQL), whenever metadata creates the table; drop the FTS table with it."""
    table = Item.__table__
    for statement in POSTGRES_CREATE:
        sa.event.listen(table, "before_create", sa.DDL(statement).execute_if(dialect="postgresql"))
    for statement in SQLITE_CREATE:
        sa.event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect="sqlite"))
    for statement in SQLITE_DROP:
        sa.event.listen(table, "before_drop", sa.DDL(statement).execute_if(dialect="sqlite"))


install()
