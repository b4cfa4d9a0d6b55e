"""Benchmark the monthly report (月报) against the bare SQL for the same figures, in the same run.

Run:  python bench/monthly_report.py [--runs N] [--national] [--skip-sqlite] [--skip-pg] [--skip-province]

It uses the datasets bench/dashboard.py builds (bench/gen_data.py on the first run; the same
databases and environment variables), and reports, never failing, the median and p95 seconds of the
province viewer's monthly report of the last full month of the newest campaign's data
(GET /dashboard/reports?kind=month, the page, and …/download.xlsx, the workbook; all campaigns),
next to:

- "own SQL": the statements that request issued, re-run on a raw DB-API cursor;
- "bare SQL": the same end-of-month figures written the plain way — each item's status at the
  month's end and the previous month's end by a window over its history (ROW_NUMBER per item, last
  row before the instant), its deadline at the instant likewise, grouped per county and unit; plus
  the month's flows from the history — with no shortcut (`bare_statements`).

Target (issue 13): the report at national scale (~10⁶ items) in ≤ 2 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.dashboard import PG_BASE, _percentile, _time_sql, prepare  # noqa: E402

TARGET_SECONDS = 2.0


def bare_statements(period) -> list:
    """The report's figures straight from the history, the plain way (see the module docstring)."""
    from inspect_app.dashboard import periods
    from inspect_app.rectification import date_rules
    from inspect_app.rectification.lifecycle import Status
    from inspect_app.rectification.models import ItemHistory as H, RectificationItem as Item

    out = []
    for instant in (period.previous().start_utc, period.start_utc, period.end_utc):
        ranked = sa.select(H.item_id, H.to_status, sa.func.row_number().over(
            partition_by=H.item_id, order_by=(H.at.desc(), H.id.desc())).label("rn")) \
            .where(H.to_status.is_not(None), H.at < instant).subquery()
        new_deadline = H.data["new_deadline"].as_string()
        moved = sa.select(H.item_id, new_deadline.label("d"), sa.func.row_number().over(
            partition_by=H.item_id, order_by=(H.at.desc(), H.id.desc())).label("rn")) \
            .where(H.action.in_(periods.DEADLINE_ACTIONS), new_deadline.is_not(None), H.at < instant).subquery()
        deadline = sa.func.coalesce(moved.c.d, sa.cast(Item.deadline, sa.String))
        day = date_rules.beijing_date(instant).isoformat()
        count = lambda condition: sa.func.sum(sa.case((condition, 1), else_=0))   # noqa: E731
        out.append(sa.select(Item.county_id, Item.unit_id, sa.func.count(),
                             *(count(ranked.c.to_status == s) for s in Status),
                             count(sa.and_(ranked.c.to_status != Status.CLOSED, deadline < day)))
                   .select_from(Item).join(ranked, sa.and_(ranked.c.item_id == Item.id, ranked.c.rn == 1))
                   .outerjoin(moved, sa.and_(moved.c.item_id == Item.id, moved.c.rn == 1))
                   .group_by(Item.county_id, Item.unit_id))
    lo, hi = period.previous().start_utc, period.end_utc
    out.append(sa.select(Item.county_id, Item.unit_id, H.action, sa.func.count()).join(Item, Item.id == H.item_id)
               .where(H.at >= lo, H.at < hi).group_by(Item.county_id, Item.unit_id, H.action))
    return out


def measure(app, user_token: str, runs: int, fmt: str) -> dict:
    """Time `runs` requests of the last full month's report (`fmt`: "page" or "xlsx"), the SQL one
    request issues, and the bare SQL for the same figures."""
    from datetime import datetime, timezone

    from inspect_app.dashboard import periods
    from inspect_app.rectification import date_rules
    from inspect_app.extensions import db
    from inspect_app.rectification.models import ItemHistory

    with app.app_context():
        if db.session.scalar(sa.select(sa.func.count()).select_from(ItemHistory).where(ItemHistory.action == "issue")) == 0:
            raise RuntimeError("this dataset has no issue rows in its history (built before bench/gen_data.py "
                               "recorded the lifecycle): drop the database and run again")
        latest = db.session.scalar(sa.select(sa.func.max(ItemHistory.at)))
    day = date_rules.beijing_date(latest).replace(day=1) - timedelta(days=1)   # the last full month
    path = "/dashboard/reports" if fmt == "page" else "/dashboard/reports/download.xlsx"
    url = f"{path}?kind=month&day={day.isoformat()}&campaign=all"
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

        assert client.get(url).status_code == 200                    # warm up
        sa.event.listen(engine, "before_cursor_execute", capture)
        client.get(url)
        sa.event.remove(engine, "before_cursor_execute", capture)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        own = [(s, p) for s, p in statements if "item_history" in s]
        bare = [(str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})), ())
                for stmt in bare_statements(periods.period_of("month", day))]
        own_sql = _time_sql(engine, own, runs)
        floor = _time_sql(engine, bare, max(2, runs // 2))
    return {"url": url, "median": statistics.median(times), "p95": _percentile(times, 0.95),
            "own": statistics.median(own_sql) / 1000, "bare": statistics.median(floor) / 1000,
            "queries": len(statements)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
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
    print(f"monthly report — machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / "
          f"{load[2]:.1f} (timings scale with it)")
    for label, scale, url in targets:
        print(f"{label} ({scale}): {url}")
        try:
            app, user_token, items = prepare(url, scale)
            results = [measure(app, user_token, args.runs, fmt) for fmt in ("page", "xlsx")]
        except Exception as error:  # a missing server or an old dataset must not hide the other results
            print(f"  skipped: {error.__class__.__name__}: {error}")
            continue
        print(f"  {items:,} items")
        for r in results:
            ok = "ok" if r["p95"] <= TARGET_SECONDS else "MISSED"
            print(f"  {r['url']}\n    median {r['median']:.2f}s p95 {r['p95']:.2f}s; its own SQL {r['own']:.2f}s; "
                  f"bare SQL {r['bare']:.2f}s; ÷ bare {r['median'] / r['bare']:.2f}x; {r['queries']} queries; "
                  f"target p95 ≤ {TARGET_SECONDS:.0f}s: {ok}")
        with app.app_context():
            from inspect_app.extensions import db
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
