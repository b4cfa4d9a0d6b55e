"""Background jobs: the `jobs` table (kind, owner, scope, params, state, progress, result, error);
the ledger's keyset order as an index on rectification_items (county_id, number, id)

Revision ID: b7e2c4d91a30
Revises: d13a7e5c0f42
Create Date: 2026-11-30 06:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7e2c4d91a30'
down_revision = 'd13a7e5c0f42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('state', sa.Enum('QUEUED', 'RUNNING', 'DONE', 'FAILED', name='jobstate', native_enum=False,
                                   length=16), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('result_key', sa.String(length=255), nullable=True),
        sa.Column('result_name', sa.String(length=255), nullable=False),
        sa.Column('result_ascii', sa.String(length=255), nullable=False, server_default=''),
        sa.Column('error', sa.String(length=500), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('worker', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_jobs_owner_id_users')),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_jobs_region_id_regions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_state'), ['state'], unique=False)
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.create_index('ix_rectification_items_ledger_order', ['county_id', 'number', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.drop_index('ix_rectification_items_ledger_order')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_state'))
        batch_op.drop_index(batch_op.f('ix_jobs_owner_id'))
    op.drop_table('jobs')
