"""closure rollups keyed by status and deadline in force; no stored as-of date

The summary rows no longer hold overdue and aging counts measured against a stored date (which a
dashboard read had to move at midnight, with a row lock and a write). Each row now counts the items
of one status and one deadline in force; overdue and aging are worked out when the rows are read.
The old rows cannot be converted (they hold no deadlines), so the table is recreated and rebuilt
here from the items (inspect_app/dashboard/rollups.py, `build`), and the state table is dropped.
The downgrade restores the old shape unbuilt (as_of NULL): the old code builds it on its first read.

Revision ID: d13a7e5c0f42
Revises: 5e1f0a7c2b91
Create Date: 2026-11-30 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd13a7e5c0f42'
down_revision = '5e1f0a7c2b91'
branch_labels = None
depends_on = None


def _drop_rollups():
    with op.batch_alter_table('closure_rollups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closure_rollups_county_id'))
        batch_op.drop_index('ix_closure_rollups_campaign_dim')
    op.drop_table('closure_rollups')


def _create_rollups(key: list[str], columns: list[sa.Column]):
    op.create_table('closure_rollups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('issued_day', sa.Date(), nullable=False),
    sa.Column('dim', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=128), nullable=False),
    *columns,
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_closure_rollups_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closure_rollups')),
    sa.UniqueConstraint(*key, name='uq_closure_rollups_key')
    )
    with op.batch_alter_table('closure_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_closure_rollups_campaign_dim', ['campaign_id', 'dim', 'county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_closure_rollups_county_id'), ['county_id'], unique=False)


def upgrade():
    _drop_rollups()
    op.drop_table('closure_rollup_state')
    _create_rollups(
        ['campaign_id', 'county_id', 'issued_day', 'dim', 'value', 'status', 'deadline'],
        [sa.Column('status', sa.Enum('PENDING', 'IN_PROGRESS', 'SUBMITTED', 'CLOSED', name='status',
                                     native_enum=False, length=16), nullable=False),
         sa.Column('deadline', sa.Date(), nullable=False),
         sa.Column('issued', sa.Integer(), nullable=False),
         sa.Column('returns', sa.Integer(), nullable=False),
         sa.Column('reopens', sa.Integer(), nullable=False),
         sa.Column('timed', sa.Integer(), nullable=False)])
    # Rebuilt from the items by the one definition the app keeps them with (it reads only columns
    # that exist at this revision).
    from inspect_app.dashboard import rollups
    rollups.build(op.get_bind())


def downgrade():
    _drop_rollups()
    _create_rollups(
        ['campaign_id', 'county_id', 'issued_day', 'dim', 'value'],
        [sa.Column(name, sa.Integer(), nullable=False)
         for name in ('issued', 'pending', 'in_progress', 'submitted', 'closed', 'overdue', 'le10', 'le20', 'gt20',
                      'returns', 'reopens', 'timed')])
    op.create_table('closure_rollup_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closure_rollup_state'))
    )
    op.execute("INSERT INTO closure_rollup_state (id, as_of) VALUES (1, NULL)")
