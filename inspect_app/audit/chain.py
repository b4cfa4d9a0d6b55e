"""The tamper-evident chain over the audit trail.

Every audit row carries `seq` (its place in the chain), `prev_hash` (the hash of the row before it)
and `hash` = SHA-256 over a canonical JSON serialisation of the row's fields and `prev_hash`. The
newest link is kept in a one-row table, `audit_chain_head`, together with the anchor where the chain
currently starts (after `flask audit archive` moved older rows to a file).

Ordering across processes: a transaction that adds audit rows first *writes* the head row
(`UPDATE audit_chain_head ...`). On PostgreSQL that takes the row lock, so a second process waits
until the first commits and then reads the new head; on SQLite the first write takes the database's
write lock, which serialises writers the same way. Only then is the head read, the rows are chained
and the head is moved on — so two processes can never chain to the same predecessor. The price is
that transactions writing audit rows serialise on that lock until they commit (they are short here).

The chain is verified in `seq` order, not `id` order: on PostgreSQL ids come from a sequence outside
the lock and may interleave.
"""
import hashlib
import json
from datetime import timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow

GENESIS = "0" * 64
HEAD_ID = 1
HASHED_FIELDS = ("seq", "at", "user_id", "username", "action", "object_type", "object_id", "object_label",
                 "county_id", "before", "after", "summary", "ip", "prev_hash")


class AuditChainHead(db.Model):
    """The chain's newest link and its anchor (where the stored chain starts). Exactly one row."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)
    anchor_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    anchor_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)
    # Set only inside `flask audit archive`'s transaction: the one moment the DELETE trigger yields.
    archiving: Mapped[bool] = mapped_column(default=False)


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(row: dict) -> bytes:
    """The bytes hashed for one row: its HASHED_FIELDS as sorted, compact UTF-8 JSON.

    `row` maps field names to values as stored or as read back (datetimes aware or naive UTC; JSON
    columns as dicts). Values that JSON would change on a round trip (tuples) are normalised first,
    so a row hashes the same before it is written and after it is read back.
    """
    data = {name: row.get(name) for name in HASHED_FIELDS}
    data["at"] = _iso(data["at"])
    data["object_id"] = "" if data["object_id"] is None else str(data["object_id"])
    for name in ("username", "action", "object_type", "object_label", "summary", "ip"):
        data[name] = data[name] or ""
    for name in ("before", "after"):
        if data[name] is not None:
            data[name] = json.loads(json.dumps(data[name], default=str))
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def row_hash(row: dict) -> str:
    """SHA-256 (hex) of `canonical(row)`; `row` must include its `prev_hash` and `seq`."""
    return hashlib.sha256(canonical(row)).hexdigest()


def lock_head(connection) -> sa.Row:
    """Take the chain's write lock and return the head row (seq, hash), creating it when missing.

    The no-op UPDATE comes first on purpose: it is a write, so it waits for any other transaction
    holding the head (PostgreSQL row lock, SQLite write lock) before the head is read.
    """
    table = AuditChainHead.__table__
    take = sa.update(table).where(table.c.id == HEAD_ID).values(seq=table.c.seq)
    if connection.execute(take).rowcount == 0:
        # No head yet (the migration makes one; an emptied test database has none): start from the
        # genesis hash. Two first writers may race here: ON CONFLICT lets the second wait for the
        # first and then do nothing, and the UPDATE after it takes the lock on the row either way.
        insert = _insert_for(connection.dialect.name)(table).values(
            id=HEAD_ID, seq=0, hash=GENESIS, anchor_seq=0, anchor_hash=GENESIS, archiving=False)
        connection.execute(insert.on_conflict_do_nothing(index_elements=["id"]))
        connection.execute(take)
    return connection.execute(sa.select(table.c.seq, table.c.hash).where(table.c.id == HEAD_ID)).one()


def _insert_for(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _chain_new_events(session: Session, _flush_context, _instances) -> None:
    """Before a flush: give each new audit row its seq, prev_hash and hash, and move the head."""
    from inspect_app.audit.models import AuditEvent

    new = sorted((obj for obj in session.new if isinstance(obj, AuditEvent)), key=lambda e: e._order)
    if not new:
        return
    connection = session.connection()
    head = lock_head(connection)
    seq, prev = head.seq, head.hash
    for audit_event in new:
        if audit_event.at is None:
            audit_event.at = utcnow()
        seq += 1
        audit_event.seq, audit_event.prev_hash = seq, prev
        audit_event.hash = prev = row_hash({name: getattr(audit_event, name) for name in HASHED_FIELDS})
    table = AuditChainHead.__table__
    connection.execute(sa.update(table).where(table.c.id == HEAD_ID).values(seq=seq, hash=prev))


# ---------------------------------------------------------------- append-only triggers

POSTGRES_TRIGGER = [
    """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND (SELECT archiving FROM audit_chain_head WHERE id = 1) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'audit_events is append-only (' || TG_OP || ' refused)';
END;
$$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
]
SQLITE_TRIGGER = [
    """CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events
WHEN coalesce((SELECT archiving FROM audit_chain_head WHERE id = 1), 0) = 0
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (DELETE refused)'); END""",
]
DROP_TRIGGERS = {
    "postgresql": ["DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
                   "DROP FUNCTION IF EXISTS audit_events_append_only()"],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_events_no_update", "DROP TRIGGER IF EXISTS audit_events_no_delete"],
}


def trigger_statements(dialect: str) -> list[str]:
    """The statements that make audit_events append-only on this dialect (migration and create_all)."""
    return {"postgresql": POSTGRES_TRIGGER, "sqlite": SQLITE_TRIGGER}.get(dialect, [])


def create_triggers(connection) -> None:
    """Create the append-only triggers on `connection`'s database."""
    for statement in trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def drop_triggers(connection) -> None:
    """Drop the append-only triggers (the migration's downgrade, and tests that tamper on purpose)."""
    for statement in DROP_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def _after_create_all(_metadata, connection, **_kw) -> None:
    create_triggers(connection)


def install() -> None:
    """Chain audit rows in every ORM session and give `create_all` the triggers (idempotent)."""
    if not event.contains(Session, "before_flush", _chain_new_events):
        event.listen(Session, "before_flush", _chain_new_events)
    if not event.contains(db.metadata, "after_create", _after_create_all):
        event.listen(db.metadata, "after_create", _after_create_all)


# ---------------------------------------------------------------- verifying and archiving

def _broken(seq, row_id, reason: str) -> DomainError:
    """The refusal naming the first broken link: its `seq`, `row_id` (None for the head), a Chinese `reason`."""
    return DomainError(f"第 {seq} 环（id={row_id}）：{reason}", status=409)


def verify_rows(rows, anchor_seq: int, anchor_hash: str) -> tuple[int, str, int]:
    """Walk `rows` (dicts in `seq` order) from the anchor; return (last seq, last hash, count).

    Raises DomainError (409) at the first row whose seq skips (a row removed before it), whose prev_hash is not
    its predecessor's hash (a row removed or re-chained) or whose own hash does not match its
    contents (a field changed).
    """
    seq, prev, count = anchor_seq, anchor_hash, 0
    for row in rows:
        if row["seq"] != seq + 1:
            raise _broken(row["seq"], row.get("id"), f"应为第 {seq + 1} 环，之前的记录缺失")
        if row["prev_hash"] != prev:
            raise _broken(row["seq"], row.get("id"), "前一环的哈希不符（前一条记录被删除或改动）")
        if row["hash"] != row_hash(row):
            raise _broken(row["seq"], row.get("id"), "记录内容与哈希不符（记录被改动）")
        seq, prev, count = row["seq"], row["hash"], count + 1
    return seq, prev, count


def stored_rows(session, up_to_seq: int | None = None):
    """Audit rows as dicts in chain order, streamed (`up_to_seq` inclusive when given)."""
    from inspect_app.audit.models import AuditEvent

    table = AuditEvent.__table__
    stmt = sa.select(table).where(table.c.seq.is_not(None)).order_by(table.c.seq)
    if up_to_seq is not None:
        stmt = stmt.where(table.c.seq <= up_to_seq)
    for row in session.execute(stmt.execution_options(yield_per=1000)).mappings():
        yield dict(row)


def verify_database(session) -> int:
    """Verify the stored chain from its anchor to the head; the number of rows checked. Raises DomainError (409)."""
    from inspect_app.audit.models import AuditEvent

    head = session.get(AuditChainHead, HEAD_ID)
    anchor_seq, anchor_hash = (head.anchor_seq, head.anchor_hash) if head else (0, GENESIS)
    unchained = session.execute(sa.select(AuditEvent.id).where(AuditEvent.seq.is_(None)).limit(1)).scalar()
    if unchained is not None:
        raise _broken(None, unchained, "记录没有链上位置（绕过应用写入）")
    seq, last, count = verify_rows(stored_rows(session), anchor_seq, anchor_hash)
    if head is not None and (head.seq, head.hash) != (seq, last):
        raise _broken(head.seq, None, f"链头记录第 {head.seq} 环，但最后一条记录是第 {seq} 环（末尾的记录被删除）")
    return count


def _json_row(row: dict) -> dict:
    out = dict(row)
    out["at"] = _iso(out["at"])
    return out


def archive(session, before, path) -> int:
    """Move the chain's rows older than `before` (aware datetime) to a JSON-lines file at `path`.

    The file's first line records the anchor the rows chain from; each further line is one row with
    its hash, so `verify_file` can check it alone. The rows removed are a prefix of the chain (up to
    the newest row older than `before`); the head's anchor then moves to the last archived row, so
    the remaining chain verifies from it. The file is written and flushed to disk before any row is
    deleted; the deletion runs in one transaction with the head locked. Returns the rows archived.
    """
    import os

    from inspect_app.audit.models import AuditEvent

    connection = session.connection()
    lock_head(connection)
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    cut = session.execute(sa.select(sa.func.max(AuditEvent.seq)).where(AuditEvent.at < before)).scalar()
    if cut is None or cut <= head.anchor_seq:
        session.rollback()
        return 0
    count, last_hash = 0, head.anchor_hash
    with open(path, "x", encoding="utf-8") as out:
        out.write(json.dumps({"anchor_seq": head.anchor_seq, "anchor_hash": head.anchor_hash},
                             ensure_ascii=False) + "\n")
        for row in stored_rows(session, cut):
            out.write(json.dumps(_json_row(row), ensure_ascii=False, sort_keys=True, default=str) + "\n")
            count, last_hash = count + 1, row["hash"]
        out.flush()
        os.fsync(out.fileno())
    table = AuditChainHead.__table__
    connection.execute(sa.update(table).where(table.c.id == HEAD_ID).values(archiving=True))
    connection.execute(sa.delete(AuditEvent.__table__).where(AuditEvent.__table__.c.seq <= cut))
    connection.execute(sa.update(table).where(table.c.id == HEAD_ID)
                       .values(archiving=False, anchor_seq=cut, anchor_hash=last_hash))
    session.commit()
    return count


def verify_file(path) -> tuple[int, str, int]:
    """Verify an archive file; (last seq, last hash, rows). Raises DomainError (409) (row_id from the file)."""
    with open(path, encoding="utf-8") as lines:
        header = json.loads(next(lines))
        rows = (json.loads(line) for line in lines if line.strip())
        return verify_rows(rows, header["anchor_seq"], header["anchor_hash"])
