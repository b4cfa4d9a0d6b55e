"""Benchmark the dashboard page and the JSON API against the bare aggregate SQL (the floor).

Run:  python bench/dashboard.py [--runs N] [--national] [--skip-sqlite] [--skip-pg] [--skip-province]

For each database it builds (once, then reuses) a synthetic dataset with bench/gen_data.py:
- SQLite  province scale (~10⁵ items)  in $BENCH_SQLITE (default /tmp/bench_dashboard.sqlite)
- PostgreSQL province scale            in $BENCH_PG_URL (default …/bench_dashboard)
- PostgreSQL national scale (--national, ~10⁶ items) in $BENCH_PG_NATIONAL_URL (default …/bench_dashboard_national)

and reports, never failing: the median and p95 milliseconds of the province viewer's dashboard page
(GET /dashboard/, full HTML) and of GET /api/v1/closure?group_by=county, in-process through the
Flask test client, next to two SQL times on a raw DB-API cursor:

- "own SQL": re-running the exact statements that request issued (reads of the closure rollups, the
  median from the items) — what the page costs the database;
- "bare SQL" (the floor of the issue): the plain aggregate SQL that computes the same figures
  straight from rectification_items, with no summary table — one GROUP BY per county and team with
  the overdue and aging buckets, one per category/severity/type, the weekly issued and closed
  counts, and the median (percentile_cont; a window on SQLite) — as the dashboard ran before the
  rollups existed (`bare_statements`).

The ratio printed is page ÷ bare SQL, next to the targets (province p95 ≤ 150 ms, national p95 ≤
300 ms, page ≤ 1.5× the bare SQL); page ÷ own SQL is printed too, as the app's own overhead.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402

from config import Config  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgresql://postgres@127.0.0.1:5432")
TARGETS = {"province": 150.0, "national": 300.0}
TARGET_RATIO = 1.5
URLS = {"page": "/dashboard/", "api": "/api/v1/closure?group_by=county"}


def _app(url: str):
    from config import _normalise_url
    from inspect_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = _normalise_url(url)
        WTF_CSRF_ENABLED = False
        TESTING = False

    return create_app(BenchConfig)


def _ensure_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    base, name = url.rsplit("/", 1)
    engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def prepare(url: str, scale: str) -> tuple:
    """Create the tables and the dataset if missing; return (app, viewer user id, item count)."""
    _ensure_database(url)
    app = _app(url)
    from inspect_app.auth.models import User
    from bench.gen_data import generate
    from inspect_app.extensions import db
    from inspect_app.rectification.models import RectificationItem
    from inspect_app.roles import Role

    with app.app_context():
        db.create_all()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(RectificationItem))
        if not count:
            started = time.perf_counter()
            print(f"  generating {scale} data … ", end="", flush=True)
            counts = generate(scale, echo=lambda *_: None)
            count = counts["items"]
            print(f"{count} items in {time.perf_counter() - started:.0f}s")
        viewer = db.session.execute(sa.select(User).where(User.username == "bench-viewer")).scalar_one_or_none()
        if viewer is None:
            viewer = User(username="bench-viewer", display_name="省级查看（压测）", role=Role.PROVINCE_VIEWER,
                          password_hash="!", active=True, session_version=1)
            db.session.add(viewer)
            db.session.commit()
        return app, viewer.get_id(), count


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bare_statements(campaign_id: int | None, today) -> list:
    """The same figures as the page, aggregated straight from the items (no rollups): the floor."""
    from sqlalchemy.orm import aliased

    from inspect_app.campaigns.models import Team
    from inspect_app.extensions import db
    from inspect_app.org.models import Region
    from inspect_app.rectification import date_rules
    from inspect_app.rectification.lifecycle import Status
    from inspect_app.rectification.models import ProblemList, RectificationItem as Item

    dialect = db.session.get_bind().dialect.name
    scope = Item.campaign_id == campaign_id if campaign_id else sa.true()

    def count_if(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    measures = [sa.func.count(), *(count_if(Item.status == s) for s in Status),
                *(count_if(date_rules.aging_clause_sql(b, Item.status, date_rules.effective_deadline_sql(Item), today))
                  for b in date_rules.AGING_BUCKETS),
                sa.func.sum(Item.return_count), sa.func.sum(Item.reopen_count)]
    county, city = aliased(Region), aliased(Region)
    places = sa.select(county.code, county.name, city.code, city.name, Team.id, Team.name, *measures) \
        .join(county, county.id == Item.county_id).join(city, city.id == county.parent_id) \
        .join(ProblemList, ProblemList.id == Item.problem_list_id).outerjoin(Team, Team.id == ProblemList.team_id) \
        .where(scope).group_by(county.code, county.name, city.code, city.name, Team.id, Team.name)
    dims = sa.select(Item.category, Item.severity, Item.rectification_type, *measures).where(scope) \
        .group_by(Item.category, Item.severity, Item.rectification_type)
    issued_week = date_rules.beijing_monday_sql(Item.issued_at)
    closed_week = date_rules.beijing_monday_sql(Item.closed_at)
    burnup = sa.union_all(
        sa.select(sa.literal_column("'i'"), issued_week, sa.func.count()).where(scope).group_by(issued_week),
        sa.select(sa.literal_column("'c'"), closed_week, sa.func.count())
        .where(scope, Item.status == Status.CLOSED, Item.closed_at.is_not(None)).group_by(closed_week))
    closed = sa.and_(scope, Item.status == Status.CLOSED, Item.closed_at.is_not(None))
    if dialect == "postgresql":
        days = sa.extract("epoch", Item.closed_at - Item.issued_at) / 86400.0
        median = sa.select(sa.func.percentile_cont(0.5).within_group(days)).where(closed)
    else:
        days = sa.func.julianday(Item.closed_at) - sa.func.julianday(Item.issued_at)
        ranked = sa.select(days.label("v"), sa.func.row_number().over(order_by=days).label("rn"),
                           sa.func.count().over().label("n")).where(closed).subquery()
        median = sa.select(sa.func.avg(ranked.c.v)).where(ranked.c.rn.in_([(ranked.c.n + 1) // 2,
                                                                            (ranked.c.n + 2) // 2]))
    return [places, dims, burnup, median]


def _time_sql(engine, statements, runs: int) -> list[float]:
    """Milliseconds of running `statements` (text, parameters) once each on a raw cursor, `runs` times."""
    times = []
    raw = engine.raw_connection()
    try:
        for _ in range(runs):
            started = time.perf_counter()
            cursor = raw.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            cursor.close()
            times.append((time.perf_counter() - started) * 1000)
        raw.rollback()
    finally:
        raw.close()
    return times


def measure(app, user_token: str, url: str, runs: int) -> dict:
    """Time `runs` requests of `url`, the SQL that one request issues, and the bare item-level SQL."""
    from inspect_app.dashboard import service
    from inspect_app.extensions import db

    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_token
        sess["_fresh"] = True
        sess["seen"] = datetime.now(timezone.utc).timestamp()
    statements = []
    with app.app_context():
        engine = db.engine

        def capture(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        for _ in range(2):                              # warm up caches and the query plans
            assert client.get(url).status_code == 200
        sa.event.listen(engine, "before_cursor_execute", capture)
        client.get(url)
        sa.event.remove(engine, "before_cursor_execute", capture)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        own = [(s, p) for s, p in statements if "users" not in s.split("FROM", 1)[-1][:20]]
        from inspect_app.auth.models import User
        campaigns = service.campaigns(db.session.get(User, int(user_token.split(":")[0])))
        dialect = engine.dialect
        bare = []
        for stmt in bare_statements(campaigns[0].id if campaigns else None, service.today()):
            bare.append((str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})), ()))
        own_sql = _time_sql(engine, own, runs)
        floor = _time_sql(engine, bare, max(3, runs // 4))
    return {"median": statistics.median(times), "p95": _percentile(times, 0.95), "queries": len(statements),
            "own": statistics.median(own_sql), "floor": statistics.median(floor)}


def report(label: str, scale: str, items: int, results: dict) -> None:
    target = TARGETS[scale]
    print(f"\n{label} — {scale} scale, {items:,} items")
    print(f"  {'endpoint':<34} {'median':>8} {'p95':>8} {'own SQL':>8} {'bare SQL':>9} {'÷bare':>6} {'÷own':>6} "
          f"{'queries':>7}  target")
    for name, r in results.items():
        ratio = r["median"] / r["floor"] if r["floor"] else float("inf")
        own = r["median"] / r["own"] if r["own"] else float("inf")
        ok = "ok" if r["p95"] <= target and ratio <= TARGET_RATIO else "MISSED"
        print(f"  {URLS[name]:<34} {r['median']:>6.1f}ms {r['p95']:>6.1f}ms {r['own']:>6.1f}ms {r['floor']:>7.1f}ms "
              f"{ratio:>5.2f}x {own:>5.2f}x {r['queries']:>7}  p95≤{target:.0f}ms, ≤{TARGET_RATIO}x bare: {ok}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--national", action="store_true", help="also PostgreSQL at national scale (~10⁶ items)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-province", action="store_true", help="PostgreSQL at national scale only")
    args = parser.parse_args()
    targets = []
    if not args.skip_sqlite:
        targets.append(("SQLite", "province",
                        "sqlite:///" + os.environ.get("BENCH_SQLITE", "/tmp/bench_dashboard.sqlite")))
    if not args.skip_pg:
        if not args.skip_province:
            targets.append(("PostgreSQL", "province", os.environ.get("BENCH_PG_URL", f"{PG_BASE}/bench_dashboard")))
        if args.national:
            targets.append(("PostgreSQL", "national",
                            os.environ.get("BENCH_PG_NATIONAL_URL", f"{PG_BASE}/bench_dashboard_national")))
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          "(other processes share the CPU: timings scale with it)")
    for label, scale, url in targets:
        print(f"{label} ({scale}): {url}")
        try:
            app, user_token, items = prepare(url, scale)
        except Exception as error:  # a missing server must not hide the other results
            print(f"  skipped: {error.__class__.__name__}: {error}")
            continue
        results = {name: measure(app, user_token, path, args.runs) for name, path in URLS.items()}
        report(label, scale, items, results)
        with app.app_context():
            from inspect_app.extensions import db
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
