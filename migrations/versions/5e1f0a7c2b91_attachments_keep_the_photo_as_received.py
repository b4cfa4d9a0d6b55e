"""Attachments keep the photo as received (original_key), so its SHA-256 can be checked again

Revision ID: 5e1f0a7c2b91
Revises: c7d1e5a2f903
Create Date: 2026-11-30 04:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5e1f0a7c2b91'
down_revision = 'c7d1e5a2f903'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('original_key', sa.String(length=255), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('original_key')
