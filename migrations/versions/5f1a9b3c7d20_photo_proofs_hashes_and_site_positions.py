"""Photos that prove themselves (issue 15): perceptual hashes of each photo (pHash indexed, dHash), and
an optional position of each site with where it came from

Revision ID: 5f1a9b3c7d20
Revises: 5a3f1c9e2b74
Create Date: 2026-11-30 09:40:00

The hashes of photos already stored are filled in afterwards by `flask media hashes` (it reads each
stored display image; a migration must not depend on the upload storage being reachable).
"""
import warnings

import sqlalchemy as sa
from alembic import op

revision = '5f1a9b3c7d20'
down_revision = '5a3f1c9e2b74'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN and CREATE INDEX: both SQLite and PostgreSQL do them in place, so no table is
    # reflected and copied (a batch copy of attachments would reflect rectification_items through
    # the foreign keys and meet its expression indexes, which SQLAlchemy cannot reflect).
    op.add_column('attachments', sa.Column('phash', sa.String(length=16), nullable=True))
    op.add_column('attachments', sa.Column('dhash', sa.String(length=16), nullable=True))
    op.create_index(op.f('ix_attachments_phash'), 'attachments', ['phash'], unique=False)
    op.add_column('sites', sa.Column('latitude', sa.Float(), nullable=True))
    op.add_column('sites', sa.Column('longitude', sa.Float(), nullable=True))
    op.add_column('sites', sa.Column('position_source', sa.Enum('MANUAL', 'FIRST_VISIT', name='sitepositionsource',
                                                                native_enum=False, length=16), nullable=True))


def downgrade():
    op.drop_index(op.f('ix_attachments_phash'), table_name='attachments')
    with warnings.catch_warnings():
        # SQLite drops a column by copying the table (batch mode), reflecting the tables it refers to.
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table('sites', schema=None) as batch_op:
            batch_op.drop_column('position_source')
            batch_op.drop_column('longitude')
            batch_op.drop_column('latitude')
        with op.batch_alter_table('attachments', schema=None) as batch_op:
            batch_op.drop_column('dhash')
            batch_op.drop_column('phash')
