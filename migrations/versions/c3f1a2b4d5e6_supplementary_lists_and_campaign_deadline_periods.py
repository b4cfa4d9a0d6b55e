"""supplementary problem lists and per-campaign deadline periods

A county may have several lists in one campaign: the first (sequence 1) and the supplementary
lists (补充清单) issued after it, so the unique key becomes (campaign, county, sequence). Each
campaign carries the default rectification periods counted from 下发 (立行立改 and 限期整改 in
working days, 长期坚持 in calendar days).

Revision ID: c3f1a2b4d5e6
Revises: 4c17b9a9a411
Create Date: 2026-11-30 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1a2b4d5e6'
down_revision = '4c17b9a9a411'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('problem_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=False, server_default='1'))
        batch_op.drop_constraint('uq_problem_lists_campaign_id_county_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_problem_lists_campaign_id_county_id_sequence'),
                                          ['campaign_id', 'county_id', 'sequence'])
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('immediate_working_days', sa.Integer(), nullable=False, server_default='5'))
        batch_op.add_column(sa.Column('deadline_working_days', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('long_term_days', sa.Integer(), nullable=False, server_default='180'))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('long_term_days')
        batch_op.drop_column('deadline_working_days')
        batch_op.drop_column('immediate_working_days')
    op.execute("DELETE FROM problem_lists WHERE sequence > 1 AND id NOT IN "
               "(SELECT problem_list_id FROM rectification_items)")
    with op.batch_alter_table('problem_lists', schema=None) as batch_op:
        batch_op.drop_constraint('uq_problem_lists_campaign_id_county_id_sequence', type_='unique')
        batch_op.create_unique_constraint('uq_problem_lists_campaign_id_county_id', ['campaign_id', 'county_id'])
        batch_op.drop_column('sequence')
