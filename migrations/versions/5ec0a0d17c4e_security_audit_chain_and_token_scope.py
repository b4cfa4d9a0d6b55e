"""security audit: hash-chained, append-only audit trail; API tokens expire and keep their scope

Adds `seq`/`prev_hash`/`hash` to audit_events and the one-row `audit_chain_head`, backfills the
chain over the existing rows in id order, then installs the triggers that refuse UPDATE and DELETE
(PostgreSQL: a plpgsql trigger; SQLite: RAISE(ABORT) triggers). API tokens gain an expiry (existing
live tokens: one year from now) and the owner's scope at issue (existing tokens: the owner's scope
now, so they keep working until it changes).

Revision ID: 5ec0a0d17c4e
Revises: e4358106c401
Create Date: 2026-11-30 03:40:00

"""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

from inspect_app.audit import chain
from inspect_app.roles import Role

revision = '5ec0a0d17c4e'
down_revision = 'e4358106c401'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
    op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('anchor_seq', sa.BigInteger(), nullable=False),
        sa.Column('anchor_hash', sa.String(length=64), nullable=False),
        sa.Column('archiving', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('scope_role', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scope_region_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scope_unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scope_teams', sa.String(length=255), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_scope_region_id_regions'), 'regions',
                                    ['scope_region_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_scope_unit_id_responsible_units'),
                                    'responsible_units', ['scope_unit_id'], ['id'])

    bind = op.get_bind()
    _backfill_chain(bind)
    _backfill_tokens(bind)
    chain.create_triggers(bind)


def _backfill_chain(bind):
    """Chain the existing rows in id order (their insertion order) and record the head."""
    events = sa.table('audit_events', *(sa.column(n) for n in chain.HASHED_FIELDS if n != 'at'),
                      sa.column('id'), sa.column('hash'), sa.column('at', sa.DateTime), sa.column('before', sa.JSON),
                      sa.column('after', sa.JSON))
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    seq, prev = 0, chain.GENESIS
    for row in rows:
        seq += 1
        data = dict(row, seq=seq, prev_hash=prev)
        prev = chain.row_hash(data)
        bind.execute(events.update().where(events.c.id == row['id']).values(seq=seq, prev_hash=data['prev_hash'],
                                                                           hash=prev))
    bind.execute(sa.text("INSERT INTO audit_chain_head (id, seq, hash, anchor_seq, anchor_hash, archiving) "
                         "VALUES (1, :seq, :hash, 0, :genesis, :no)"),
                 {"seq": seq, "hash": prev, "genesis": chain.GENESIS, "no": False})


def _backfill_tokens(bind):
    tokens = sa.table('api_tokens', sa.column('id'), sa.column('user_id'), sa.column('expires_at', sa.DateTime),
                      sa.column('scope_role'), sa.column('scope_region_id'), sa.column('scope_unit_id'),
                      sa.column('scope_teams'))
    users = sa.table('users', sa.column('id'), sa.column('role'), sa.column('region_id'), sa.column('unit_id'))
    teams = sa.table('teams', sa.column('id'), sa.column('leader_id'))
    members = sa.table('team_members', sa.column('team_id'), sa.column('user_id'))
    expiry = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=365)
    for token in bind.execute(sa.select(tokens.c.id, tokens.c.user_id)).all():
        user = bind.execute(sa.select(users).where(users.c.id == token.user_id)).mappings().first()
        if user is None:
            continue
        # The users table stores the Role's name (SQLAlchemy Enum); tokens keep its value, as the app does.
        role = Role[user['role']]
        team_ids = ""
        if role in (Role.TEAM_LEADER, Role.INSPECTOR):
            ids = set(bind.execute(sa.select(teams.c.id).where(teams.c.leader_id == user['id'])).scalars())
            ids |= set(bind.execute(sa.select(members.c.team_id).where(members.c.user_id == user['id'])).scalars())
            team_ids = ",".join(str(i) for i in sorted(ids))
        bind.execute(tokens.update().where(tokens.c.id == token.id).values(
            expires_at=expiry, scope_role=role.value, scope_region_id=user['region_id'],
            scope_unit_id=user['unit_id'], scope_teams=team_ids))


def downgrade():
    chain.drop_triggers(op.get_bind())
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_scope_unit_id_responsible_units'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_scope_region_id_regions'), type_='foreignkey')
        batch_op.drop_column('scope_teams')
        batch_op.drop_column('scope_unit_id')
        batch_op.drop_column('scope_region_id')
        batch_op.drop_column('scope_role')
        batch_op.drop_column('expires_at')
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
