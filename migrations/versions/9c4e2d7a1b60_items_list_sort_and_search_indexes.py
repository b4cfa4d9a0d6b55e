"""Items list at scale: expression indexes on the effective deadline for every sort and filter, a
substring search index (pg_trgm GIN on PostgreSQL, an FTS5 trigram table kept by triggers on SQLite),
and findings by (campaign, county) for the 问题清单 index

Revision ID: 9c4e2d7a1b60
Revises: b7e2c4d91a30
Create Date: 2026-11-30 06:10:00

The objects are those of inspect_app/rectification/search.py, written out here so the revision
never changes when that module does.
"""
import sqlalchemy as sa
from alembic import op

revision = '9c4e2d7a1b60'
down_revision = 'b7e2c4d91a30'
branch_labels = None
depends_on = None

KEY = "coalesce(extended_deadline, deadline)"
SORT_INDEXES = {
    "ix_rectification_items_effective_deadline": [KEY, "number"],
    "ix_rectification_items_county_effective_deadline": ["county_id", KEY, "number"],
    "ix_rectification_items_campaign_effective_deadline": ["campaign_id", KEY, "number"],
    "ix_rectification_items_status_effective_deadline": ["status", KEY, "number"],
    "ix_rectification_items_unit_effective_deadline": ["unit_id", KEY, "number"],
    "ix_rectification_items_status_updated": ["status", "updated_at", "number"],
    "ix_rectification_items_county_campaign": ["county_id", "campaign_id"],
}
OPEN_INDEX = "ix_rectification_items_open_effective_deadline"
FTS = "rectification_item_search"
COLUMNS = "number, description, category, responsible_person"
NEW = "new.number, new.description, new.category, new.responsible_person"
OLD = "old.number, old.description, old.category, old.responsible_person"
SEARCH_TEXT = ("coalesce(number, '') || ' ' || coalesce(description, '') || ' ' || coalesce(category, '')"
               " || ' ' || coalesce(responsible_person, '')")


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_index("ix_findings_campaign_county", "findings", ["campaign_id", "county_id"])
    for name, columns in SORT_INDEXES.items():
        op.create_index(name, "rectification_items", [sa.text(c) if "(" in c else c for c in columns])
    open_only = sa.text("status <> 'CLOSED'")
    op.create_index(OPEN_INDEX, "rectification_items", [sa.text(KEY), "number"],
                    postgresql_where=open_only, sqlite_where=open_only)
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX ix_rectification_items_search_trgm ON rectification_items "
                   f"USING gin (({SEARCH_TEXT}) gin_trgm_ops)")
    elif dialect == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE {FTS} USING fts5({COLUMNS}, content='rectification_items', "
                   f"content_rowid='id', tokenize='trigram')")
        op.execute(f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON rectification_items BEGIN "
                   f"INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END")
        op.execute(f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON rectification_items BEGIN "
                   f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); END")
        op.execute(f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF {COLUMNS} ON rectification_items BEGIN "
                   f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); "
                   f"INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END")
        op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_rectification_items_search_trgm")
    elif dialect == "sqlite":
        for kind in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{kind}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    for name in [*SORT_INDEXES, OPEN_INDEX]:
        op.drop_index(name, table_name="rectification_items")
    op.drop_index("ix_findings_campaign_county", table_name="findings")
