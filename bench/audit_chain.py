"""What a security event costs with the hash chain, and how fast `flask audit verify` walks it.

Run:  python bench/audit_chain.py [--events 2000] [--url postgresql://...]

Builds a temporary SQLite database (or uses the empty database at --url; its tables are created and
dropped), writes --events security events the way the app does (one event, one commit), and prints
the statements per event, the time per event, and the rows per second that the chain verifies at.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402

from config import TestConfig, _normalise_url  # noqa: E402
from inspect_app import create_app  # noqa: E402
from inspect_app.extensions import db  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--url", default=None)
    parser.add_argument("--no-chain", action="store_true", help="the same inserts without the chain, to compare")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="audit-chain-")

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = _normalise_url(args.url) if args.url else "sqlite:///" + os.path.join(tmp, "bench.sqlite")

    from inspect_app.audit import chain
    from inspect_app.audit.service import record

    app = create_app(BenchConfig)
    if args.no_chain:
        from sqlalchemy.orm import Session
        sa.event.remove(Session, "before_flush", chain._chain_new_events)
    with app.app_context():
        db.drop_all()
        db.create_all()
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
        started = time.perf_counter()
        for i in range(args.events):
            record("access.denied", object_type="Route", object_id=str(i), label=f"GET /items/{i}",
                   summary="无权限：rectification.detail", username="bench")
            db.session.commit()
        elapsed = time.perf_counter() - started
        per_event = len(statements) / args.events
        started = time.perf_counter()
        count = 0 if args.no_chain else chain.verify_database(db.session)
        verify = time.perf_counter() - started
        print(f"{db.engine.dialect.name}: {args.events} events, {per_event:.1f} statements/event, "
              f"{elapsed / args.events * 1000:.2f} ms/event (commit included)")
        if count:
            print(f"verify: {count} rows in {verify:.2f} s ({count / verify:,.0f} rows/s)")
        db.session.remove()
        db.drop_all()           # dropping the table drops its triggers; PostgreSQL keeps the function
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP FUNCTION IF EXISTS audit_events_append_only()")
    return 0


if __name__ == "__main__":
    sys.exit(main())
