"""屡查屡犯: repeat_links between a finding and an earlier campaign's finding of the same problem

Revision ID: 5e1a9c3d7b24
Revises: 5e1a9b3c7d20
Create Date: 2026-11-30 09:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = '5e1a9c3d7b24'
down_revision = '5e1a9b3c7d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "repeat_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("earlier_finding_id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.Enum("AUTO", "MANUAL", name="linkorigin", native_enum=False, length=16),
                  nullable=False),
        sa.Column("state", sa.Enum("SUGGESTED", "CONFIRMED", "UNLINKED", name="linkstate", native_enum=False,
                                   length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["earlier_finding_id"], ["findings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["county_id"], ["regions.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("finding_id", "earlier_finding_id"),
    )
    with op.batch_alter_table("repeat_links") as batch:
        batch.create_index("ix_repeat_links_finding_id", ["finding_id"])
        batch.create_index("ix_repeat_links_earlier_finding_id", ["earlier_finding_id"])
        batch.create_index("ix_repeat_links_county_id", ["county_id"])


def downgrade():
    with op.batch_alter_table("repeat_links") as batch:
        batch.drop_index("ix_repeat_links_county_id")
        batch.drop_index("ix_repeat_links_earlier_finding_id")
        batch.drop_index("ix_repeat_links_finding_id")
    op.drop_table("repeat_links")
