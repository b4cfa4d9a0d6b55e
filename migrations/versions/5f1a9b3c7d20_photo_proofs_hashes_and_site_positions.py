"""Photos that prove themselves (issue 15): perceptual hashes of each photo (pHash indexed, dHash), and
an optional position of each site with where it came from

Revision ID: 5f1a9b3c7d20
Revises: 9c4e2d7a1b60
Create Date: 2026-11-30 09:40:00

The hashes of photos already stored are filled in afterwards by `flask media hashes` (it reads each
stored display image; a migration must not depend on the upload storage being reachable).
"""
import sqlalchemy as sa
from alembic import op

revision = '5f1a9b3c7d20'
down_revision = '9c4e2d7a1b60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phash', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('dhash', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_attachments_phash'), ['phash'], unique=False)
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('position_source', sa.Enum('MANUAL', 'FIRST_VISIT', name='sitepositionsource',
                                                                 native_enum=False, length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('position_source')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_phash'))
        batch_op.drop_column('dhash')
        batch_op.drop_column('phash')
