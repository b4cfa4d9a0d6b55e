"""Count the SQL queries that render the visit screen for a site with 10 and with 80 checklist items.

Run:  python bench/visit_queries.py

Builds a temporary SQLite database (the test world plus two checklist versions), answers half of
each visit's items and records a few findings, then renders /visits/<id> cold for each visit and
prints the number of queries and their ratio. The ratio must be 1.00: the number of queries does
not grow with the number of items. Exits 1 otherwise.
"""
from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402

from config import TestConfig  # noqa: E402
from inspect_app import create_app  # noqa: E402
from inspect_app.extensions import db  # noqa: E402


def main() -> int:
    tmp = tempfile.mkdtemp(prefix="visit-queries-")

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(tmp, "bench.sqlite")
        UPLOAD_FOLDER = os.path.join(tmp, "uploads")
        WTF_CSRF_ENABLED = False

    from tests.factories import make_world
    from tests.visits import factories as f

    app = create_app(BenchConfig)
    with app.app_context():
        db.create_all()
        world = make_world()
        visits = {}
        for n, county in ((10, world.xinye), (80, world.tongbai)):
            version = f.make_version(n_items=n)
            visit = f.make_visit(f.office_site(county), world.users["inspector8"])
            items = f.items_of(version)
            f.answer_items(visit, items[: n // 2])
            for item in items[:3]:
                f.make_finding(visit, item)
            visits[n] = visit.id
        user_id = world.users["inspector8"].get_id()
    # Each request below runs in its own app context, as in production: nothing is cached between them.
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id
        sess["_fresh"] = True
        sess["seen"] = datetime.now(timezone.utc).timestamp()
    with app.app_context():
        engine = db.engine
    counts = {}
    for n, visit_id in visits.items():
        statements = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)
        sa.event.listen(engine, "before_cursor_execute", count)
        response = client.get(f"/visits/{visit_id}")
        sa.event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, response.status_code
        assert response.get_data(as_text=True).count('class="item-row"') == n
        counts[n] = len(statements)
        print(f"visit screen with {n:>2} items: {counts[n]} SQL queries")
        if os.environ.get("SHOW_SQL"):
            print("\n---\n".join(statements))
    print(f"ratio 80/10: {counts[80] / counts[10]:.2f} (must be 1.00)")
    with app.app_context():
        db.drop_all()
    return 0 if counts[80] == counts[10] else 1


if __name__ == "__main__":
    sys.exit(main())
