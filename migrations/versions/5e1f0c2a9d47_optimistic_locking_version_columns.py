"""optimistic locking: a version column on every record edited in a form

Findings, checklist versions and items, regions, site kinds, 医共体, sites, responsible units, users,
campaigns and teams get `version` (existing rows start at 1 through the server default). See inspect_app/locking.py.

Revision ID: 5e1f0c2a9d47
Revises: c3f1a2b4d5e6
Create Date: 2026-11-30 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0c2a9d47'
down_revision = 'c3f1a2b4d5e6'
branch_labels = None
depends_on = None

TABLES = ('findings', 'checklist_versions', 'checklist_items', 'regions', 'site_kinds', 'medical_communities',
          'sites', 'responsible_units', 'users', 'campaigns', 'teams')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
