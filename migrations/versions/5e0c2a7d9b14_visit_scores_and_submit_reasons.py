"""Visit scores fixed at submit and the reasons for unanswered items or missing photos

Revision ID: 5e0c2a7d9b14
Revises: a00dea19bb44
Create Date: 2026-11-30 03:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5e0c2a7d9b14'
down_revision = 'a00dea19bb44'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('site_visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score_points', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('score_possible', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('veto_codes', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('submit_reasons', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('site_visits', schema=None) as batch_op:
        batch_op.drop_column('submit_reasons')
        batch_op.drop_column('veto_codes')
        batch_op.drop_column('score_possible')
        batch_op.drop_column('score_points')
