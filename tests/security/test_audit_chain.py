"""The audit trail is append-only and tamper-evident (issue 11): triggers refuse UPDATE and DELETE,
each row's hash chains to the one before, `flask audit verify` names the first broken link, old
rows archive to a file with the chain intact, and concurrent writers keep the chain valid."""
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from inspect_app.audit import chain
from inspect_app.audit.models import AuditEvent
from inspect_app.audit.service import record
from inspect_app.extensions import db
from tests.security.support import events


def _record(n, prefix="事件", at=None):
    for i in range(n):
        event = record("test.event", object_type="Site", object_id=i, label=f"{prefix}{i}", summary=f"{prefix}{i}",
                       before={"name": "旧"}, after={"name": f"新{i}", "when": datetime(2022, 7, 25, tzinfo=timezone.utc)})
        if at is not None:
            event.at = at
        db.session.commit()


@pytest.fixture
def no_triggers(app):
    """Drop the append-only triggers for a test that tampers like an attacker with database access."""
    chain.drop_triggers(db.session.connection())
    db.session.commit()
    yield
    db.session.rollback()
    chain.create_triggers(db.session.connection())
    db.session.commit()


def _verify(runner, *args):
    return runner.invoke(args=["audit", "verify", *args])


def test_rows_are_chained_and_verify_says_intact(app, runner, world):
    _record(5)
    rows = events()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    result = _verify(runner)
    assert result.exit_code == 0 and "完整" in result.output and f"{len(rows)} 条" in result.output


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET summary = 'x'", "DELETE FROM audit_events"])
def test_update_and_delete_are_refused_by_the_database(app, world, statement):
    _record(2)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.execute(sa.text(statement))
        db.session.flush()
    db.session.rollback()
    assert len(events("test.event")) == 2


def test_changed_field_is_named_by_verify(app, runner, world, no_triggers):
    _record(4)
    target = events("test.event")[2]
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == target.id).values(summary="改过的说明"))
    db.session.commit()
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"第 {target.seq} 环（id={target.id}）" in result.output and "内容与哈希不符" in result.output


def test_deleted_row_is_named_by_verify(app, runner, world, no_triggers):
    _record(4)
    rows = events("test.event")
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == rows[1].id))
    db.session.commit()
    result = _verify(runner)
    assert result.exit_code == 1 and f"第 {rows[2].seq} 环（id={rows[2].id}）" in result.output


def test_deleted_last_row_is_caught_at_the_head(app, runner, world, no_triggers):
    _record(3)
    last = events()[-1]
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == last.id))
    db.session.commit()
    result = _verify(runner)
    assert result.exit_code == 1 and "末尾的记录被删除" in result.output


def test_rechained_row_after_a_deletion_is_still_caught(app, runner, world, no_triggers):
    """An attacker who deletes a row and renumbers the next one still breaks its prev_hash."""
    _record(4)
    rows = events("test.event")
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == rows[1].id))
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == rows[2].id).values(seq=rows[1].seq))
    db.session.commit()
    result = _verify(runner)
    assert result.exit_code == 1 and f"id={rows[2].id}" in result.output and "前一环" in result.output


def test_archive_round_trip(app, runner, world, tmp_path):
    old = datetime.now(timezone.utc) - timedelta(days=400)
    _record(3, "旧事件", at=old)
    _record(2, "新事件")
    before_rows = events()
    old_ids = [r.id for r in before_rows if r.at < old + timedelta(seconds=1)]
    kept_ids = [r.id for r in before_rows if r.id not in old_ids]
    cut = (datetime.now(timezone.utc) - timedelta(days=200)).date().isoformat()
    out = tmp_path / "audit.jsonl"
    result = runner.invoke(args=["audit", "archive", "--before", cut, "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    header, archived = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert header == {"anchor_seq": 0, "anchor_hash": chain.GENESIS}
    assert [a["id"] for a in archived] == old_ids and len(old_ids) == 3
    assert [r.id for r in events()] == kept_ids
    head = db.session.get(chain.AuditChainHead, chain.HEAD_ID)
    assert (head.anchor_seq, head.anchor_hash) == (archived[-1]["seq"], archived[-1]["hash"])
    # Both halves verify: the file alone, and the database from the recorded anchor; new rows chain on.
    result = _verify(runner, "--archive", str(out))
    assert result.exit_code == 0 and archived[-1]["hash"] in result.output
    _record(1, "归档后")
    assert _verify(runner).exit_code == 0
    # A changed line in the file is named.
    archived[1]["summary"] = "改过"
    lines[2] = json.dumps(archived[1], ensure_ascii=False)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _verify(runner, "--archive", str(out))
    assert result.exit_code == 1 and f"id={archived[1]['id']}" in result.output


def test_archive_with_nothing_old_enough_changes_nothing(app, runner, world, tmp_path):
    _record(2)
    cut = (datetime.now(timezone.utc) - timedelta(days=200)).date().isoformat()
    result = runner.invoke(args=["audit", "archive", "--before", cut, "--out", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 0 and "没有需要归档的记录" in result.output
    assert not (tmp_path / "a.jsonl").exists() and len(events("test.event")) == 2
    assert _verify(runner).exit_code == 0


def test_archive_refuses_dates_within_180_days(app, runner, world, tmp_path):
    _record(1, at=datetime.now(timezone.utc) - timedelta(days=170))
    cut = (datetime.now(timezone.utc) - timedelta(days=150)).date().isoformat()
    result = runner.invoke(args=["audit", "archive", "--before", cut, "--out", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 2 and "180" in result.output
    assert not (tmp_path / "a.jsonl").exists() and len(events("test.event")) == 1


def test_concurrent_writers_keep_the_chain_valid(app, runner, world):
    """Four threads, each its own session and connection, append 15 events each at once."""
    if app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
        pytest.skip("an in-memory SQLite database is one connection")
    start, errors = threading.Barrier(4), []

    def writer(n):
        with app.app_context():
            try:
                start.wait()
                for i in range(15):
                    record("test.concurrent", object_type="Site", object_id=i, summary=f"线程{n}-{i}")
                    db.session.commit()
            except Exception as error:  # reported below, with the thread's number
                errors.append((n, repr(error)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = events()
    assert len([r for r in rows if r.action == "test.concurrent"]) == 60
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    result = _verify(runner)
    assert result.exit_code == 0, result.output
