"""Items list: the effective-deadline sort index covers its expression's columns (PostgreSQL), so a
typed page number seeks with an index-only scan of the sort key instead of OFFSET over whole rows

Revision ID: 5e8a1c3f7b24
Revises: 5f1a9b3c7d20
Create Date: 2026-11-30 09:50:00

PostgreSQL answers an expression index's key from the index alone only when the columns the
expression reads are in the index too: INCLUDE (deadline, extended_deadline). SQLite has no INCLUDE;
its index is left as it is.
"""
import sqlalchemy as sa
from alembic import op

revision = '5e8a1c3f7b24'
down_revision = '5f1a9b3c7d20'
branch_labels = None
depends_on = None

INDEX = "ix_rectification_items_effective_deadline"
KEY = "coalesce(extended_deadline, deadline)"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="rectification_items")
    op.create_index(INDEX, "rectification_items", [sa.text(KEY), "number"],
                    postgresql_include=["deadline", "extended_deadline"])


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="rectification_items")
    op.create_index(INDEX, "rectification_items", [sa.text(KEY), "number"])
