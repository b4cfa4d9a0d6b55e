"""Benchmark the background jobs' heavy work at province scale (≈10⁵ items), never failing.

Run:  python bench/jobs.py [--skip-sqlite] [--skip-pg] [--scale province] [--campaign largest|ID]

For each database it builds (once, then reuses) a synthetic dataset with the data generator
(`flask gen-data`, called through `generate_data` so it keeps working wherever the generator lives)
in $BENCH_JOBS_SQLITE (default /tmp/bench_jobs.sqlite) and $BENCH_JOBS_PG_URL (default …/bench_jobs),
and prints side by side:

- the 整改台账 of the whole province as a background job (jobs.service.run: keyset batches, the
  streaming writer, progress per batch): seconds and peak memory (MB above the process before it);
  with `--campaign`, of one campaign (`largest`: the one with most items — the issue's "one
  campaign at 10⁶" on a national data set, e.g. BENCH_JOBS_PG_URL=…/bench_national --skip-sqlite);
- the floor: the same rows read by one plain streamed SELECT of the same columns and written by the
  bare streaming writer (XlsxWriter constant_memory, plain values, no styles, no summary) — seconds
  and peak MB; the ratio job ÷ floor (target ≤ 2×, peak ≤ 300 MB);
- `send-reminders`: seconds and statements of a run, and of a second run with nothing left to send
  (target ≤ 10 s, statements per batch, not per item);
- issuing a 300-finding list (after a 3-finding one warms the process): seconds and statements
  (target ≤ 300 ms, constant statements).

Each ledger measurement runs in its own process, so peak memory is its own (VmHWM − VmRSS before).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.dashboard import _ensure_database  # noqa: E402
from config import Config  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgresql://postgres@127.0.0.1:5432")
DATABASES = {
    "SQLite": os.environ.get("BENCH_JOBS_SQLITE", "sqlite:////tmp/bench_jobs.sqlite"),
    "PostgreSQL": os.environ.get("BENCH_JOBS_PG_URL", f"{PG_BASE}/bench_jobs"),
}
ISSUE_FINDINGS = 300


def _app(url: str):
    from config import _normalise_url
    from inspect_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = _normalise_url(url)
        WTF_CSRF_ENABLED = False
        TESTING = False
        JOBS_IN_PROCESS = False
        JOB_BROKER_URL = "sqlite:////tmp/bench_jobs_queue.sqlite3"
        JOB_RESULTS_FOLDER = "/tmp/bench_jobs_results"

    return create_app(BenchConfig)


def generate_data(scale: str) -> int:
    """Fill the current app's empty database with the synthetic dataset; returns the item count.
    Uses bench/gen_data.py when it exists (the generator may move there), else the app's own."""
    try:
        from bench.gen_data import generate  # type: ignore[import-not-found]
    except ImportError:
        from inspect_app.dashboard.gen_data import generate
    return generate(scale, echo=lambda *_: None)["items"]


def prepare(url: str, scale: str):
    """Create the tables and the dataset if missing, and the bench's province account; returns the app."""
    _ensure_database(url)
    app = _app(url)
    from inspect_app.auth.models import User
    from inspect_app.extensions import db
    from inspect_app.rectification.models import RectificationItem
    from inspect_app.roles import Role

    with app.app_context():
        db.create_all()
        existing = {i["name"] for i in sa.inspect(db.engine).get_indexes(RectificationItem.__tablename__)}
        with db.engine.connect() as conn:       # SQLite does not reflect expression indexes: ask its catalogue
            if db.engine.dialect.name == "sqlite":
                existing |= set(conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
        for index in RectificationItem.__table__.indexes:    # added since the dataset was built
            if index.name not in existing:
                index.create(db.engine)
        if not db.session.scalar(sa.select(sa.func.count()).select_from(RectificationItem)):
            started = time.perf_counter()
            print(f"  generating {scale} data … ", end="", flush=True)
            count = generate_data(scale)
            print(f"{count} items in {time.perf_counter() - started:.0f}s", flush=True)
        for name, role in (("bench-province", Role.PROVINCE_ADMIN), ("bench-leader", Role.TEAM_LEADER)):
            if db.session.execute(sa.select(User).where(User.username == name)).scalar_one_or_none() is None:
                db.session.add(User(username=name, display_name=name, role=role, password_hash="!", active=True,
                                    session_version=1))
        db.session.commit()
    return app


# ---------------------------------------------------------------- one measurement per process

def _vm(field: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _campaign_id(app, campaign: str | None) -> int | None:
    """None (every campaign), the campaign with most items (`largest`) or the id given."""
    if not campaign:
        return None
    if campaign != "largest":
        return int(campaign)
    from inspect_app.extensions import db
    from inspect_app.rectification.models import RectificationItem as Item
    with app.app_context():
        return db.session.execute(sa.select(Item.campaign_id).group_by(Item.campaign_id)
                                  .order_by(sa.func.count().desc()).limit(1)).scalar_one()


def _measure_job(app, campaign_id: int | None = None) -> dict:
    from inspect_app.auth.models import User
    from inspect_app.extensions import db
    from inspect_app.jobs import queue, service
    from inspect_app.jobs.models import Job

    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.username == "bench-province")).scalar_one()
        queue.flush()
        job = service.create(user, "ledger", {"campaign": campaign_id} if campaign_id else {},
                             "全省整改台账（压测）")
        job_id = job.id
        db.session.expunge_all()
        before = _vm("VmRSS")
        started, cpu = time.perf_counter(), time.process_time()
        queue.run_pending()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        job = db.session.get(Job, job_id)
        size = service.results().path(job.result_key).stat().st_size if job.result_key else 0
        return {"seconds": seconds, "cpu": cpu, "peak_mb": _vm("VmHWM") - before, "rows": job.total,
                "state": job.state.value,
                "error": job.error, "bytes": size}


def _measure_floor(app, campaign_id: int | None = None) -> dict:
    import xlsxwriter

    from inspect_app.extensions import db
    from inspect_app.org.models import Region, ResponsibleUnit, Site
    from inspect_app.rectification.models import RectificationItem as Item

    with app.app_context():
        stmt = sa.select(Item.id, Item.number, Region.name, Site.name, Item.description, Item.category,
                         Item.severity, Item.rectification_type, Item.measures, ResponsibleUnit.name,
                         Item.responsible_person, sa.func.coalesce(Item.extended_deadline, Item.deadline),
                         Item.latest_progress, Item.status, Item.acceptance_opinion, Item.return_count,
                         Item.closed_at) \
            .join(Region, Region.id == Item.county_id).outerjoin(Site, Site.id == Item.site_id) \
            .outerjoin(ResponsibleUnit, ResponsibleUnit.id == Item.unit_id) \
            .where(Item.campaign_id == campaign_id if campaign_id else sa.true()) \
            .order_by(Item.county_id, Item.number, Item.id)
        before = _vm("VmRSS")
        started, cpu = time.perf_counter(), time.process_time()
        path = "/tmp/bench_jobs_floor.xlsx"
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False,
                                          "remove_timezone": True})
        sheet = book.add_worksheet("整改台账")
        rows = 0
        result = db.session.connection().execution_options(stream_results=True, yield_per=1000).execute(stmt)
        for rows, row in enumerate(result, 1):
            values = list(row)
            values[0] = rows
            for j, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(rows, j, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(rows, j, value)
                else:
                    sheet.write_string(rows, j, str(getattr(value, "label", value)))
        book.close()
        return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                "peak_mb": _vm("VmHWM") - before, "rows": rows,
                "bytes": os.path.getsize(path)}


def _counting(app):
    from inspect_app.extensions import db
    seen = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(1))
    return seen


def _measure_reminders(app, _campaign_id=None) -> dict:
    from inspect_app.rectification.notifications import send_reminders
    seen = _counting(app)
    out = {}
    with app.app_context():
        for name in ("first", "again"):
            seen.clear()
            started = time.perf_counter()
            made = send_reminders()
            out[name] = {"seconds": time.perf_counter() - started, "statements": len(seen), "made": made}
    return out


def _measure_issue(app, _campaign_id=None) -> dict:
    """Issue a 3-finding list first (statements compiled, caches warm, as in a running server), then
    time a 300-finding one."""
    seen = _counting(app)
    with app.app_context():
        _issue_list(3, seen)
        return _issue_list(ISSUE_FINDINGS, seen)


def _issue_list(findings: int, seen: list) -> dict:
    import uuid

    from inspect_app.auth.models import User
    from inspect_app.campaigns.models import Campaign, Team
    from inspect_app.extensions import db
    from inspect_app.org.models import Site
    from inspect_app.extensions import utcnow
    from inspect_app.problem_lists import service
    from inspect_app.rectification import date_rules
    from inspect_app.visits.models import Finding, FindingStatus, RectificationType, Severity

    leader = db.session.execute(sa.select(User).where(User.username == "bench-leader")).scalar_one()
    site = db.session.execute(sa.select(Site).order_by(Site.id).limit(1)).scalar_one()
    stamp = uuid.uuid4().hex[:6]
    camp = Campaign(name=f"压测下发{stamp}", year=2031, start_date=date(2031, 7, 1), end_date=date(2031, 7, 5))
    db.session.add(camp)
    db.session.flush()
    team = Team(campaign_id=camp.id, name=f"压测组{stamp}", leader_id=leader.id)
    team.members = [leader]
    team.counties = [site.county]
    db.session.add(team)
    db.session.flush()
    db.session.add_all([Finding(uuid=str(uuid.uuid4()), campaign_id=camp.id, county_id=site.county_id,
                                site_id=site.id, category="管理共同体", description=f"压测问题 {k}",
                                severity=Severity.GENERAL, rectification_type=RectificationType.DEADLINE,
                                status=FindingStatus.DRAFT, created_by_id=leader.id)
                        for k in range(findings)])
    db.session.commit()
    sheet = service.visible_list(leader, camp, site.county)
    today = date_rules.today(utcnow())
    seen.clear()
    started = time.perf_counter()
    service.issue(sheet, leader, today)     # a 下发 date may not lie in the future
    return {"seconds": time.perf_counter() - started, "statements": len(seen)}


MEASURES = {"job": _measure_job, "floor": _measure_floor, "reminders": _measure_reminders, "issue": _measure_issue}


def _in_child(url: str, what: str, campaign_id: int | None = None) -> dict:
    extra = ["--campaign", str(campaign_id)] if campaign_id else []
    out = subprocess.run([sys.executable, __file__, "--one", what, "--url", url, *extra], capture_output=True,
                         text=True, cwd=REPO_ROOT)
    if out.returncode != 0:
        return {"failed": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--scale", default="province")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--campaign", help="ledger of one campaign: its id, or `largest` (most items)")
    parser.add_argument("--only-ledger", action="store_true", help="skip send-reminders and issuing")
    parser.add_argument("--one", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        app = _app(args.url)
        print(json.dumps(MEASURES[args.one](app, _campaign_id(app, args.campaign))))
        return
    for label, url in DATABASES.items():
        if (label == "SQLite" and args.skip_sqlite) or (label == "PostgreSQL" and args.skip_pg):
            continue
        print(f"{label} ({args.scale}): {url}", flush=True)
        app = prepare(url, args.scale)
        if args.prepare_only:
            continue
        campaign_id = _campaign_id(app, args.campaign)
        if campaign_id:
            print(f"  one campaign: id {campaign_id}")
        load = os.getloadavg()
        print(f"  load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores", flush=True)
        job, floor = _in_child(url, "job", campaign_id), _in_child(url, "floor", campaign_id)
        if "failed" in job or "failed" in floor:
            print(f"  ledger: job {job} floor {floor}")
        else:
            ratio = job["seconds"] / floor["seconds"] if floor["seconds"] else float("nan")
            print(f"  ledger job    {job['rows']:>7} rows  {job['seconds']:7.1f} s  peak +{job['peak_mb']:6.0f} MB  "
                  f"{job['bytes'] / 1e6:5.1f} MB file  [{job['state']}]")
            print(f"  floor writer  {floor['rows']:>7} rows  {floor['seconds']:7.1f} s  peak +{floor['peak_mb']:6.0f} MB  "
                  f"{floor['bytes'] / 1e6:5.1f} MB file")
            print(f"  job ÷ floor   {ratio:.2f}×   (target ≤ 2×, peak ≤ 300 MB)")
            # CPU seconds of the process (SQLite: all the work; PostgreSQL: the app's side only) — the
            # fairer ratio on a shared machine, where wall time follows the other processes' load.
            print(f"  CPU seconds   job {job['cpu']:.1f} s, floor {floor['cpu']:.1f} s: "
                  f"{job['cpu'] / floor['cpu'] if floor['cpu'] else float('nan'):.2f}×")
        if args.only_ledger:
            continue
        reminders = _in_child(url, "reminders")
        if "failed" in reminders:
            print(f"  send-reminders: {reminders['failed']}")
        else:
            for name, r in reminders.items():
                print(f"  send-reminders ({'first run' if name == 'first' else 'nothing left'}): {r['seconds']:6.2f} s  "
                      f"{r['statements']} statements  {r['made']} notices   (target ≤ 10 s)")
        issue = _in_child(url, "issue")
        if "failed" in issue:
            print(f"  issue {ISSUE_FINDINGS}: {issue['failed']}")
        else:
            print(f"  issue {ISSUE_FINDINGS} findings: {issue['seconds'] * 1000:6.0f} ms  {issue['statements']} statements"
                  "   (target ≤ 300 ms, constant statements)")


if __name__ == "__main__":
    main()
