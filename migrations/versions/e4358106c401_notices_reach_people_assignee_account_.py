"""notices reach people: assignee account, notice state and deliveries, user e-mail

item_version and data on notifications stay empty for the old notices: with no version recorded a
notice is never shown as handled, which is what those notices showed before.

Revision ID: e4358106c401
Revises: 5e1f0c2a9d47
Create Date: 2026-11-30 02:41:08.456901

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4358106c401'
down_revision = '5e1f0c2a9d47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_deliveries'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_item_id'), ['item_id'], unique=False)

    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_rectification_items_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_rectification_items_assignee_id_users'), 'users', ['assignee_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=255), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_rectification_items_assignee_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_rectification_items_assignee_id'))
        batch_op.drop_column('assignee_id')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_item_id'))
        batch_op.drop_column('data')
        batch_op.drop_column('item_version')

    op.drop_table('notice_deliveries')
