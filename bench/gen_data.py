"""A realistic synthetic dataset for the dashboard and report benchmarks (bench/dashboard.py and
bench/monthly_report.py build it on their first run; `python bench/gen_data.py DATABASE_URL` builds
it by hand). A bench tool, not one of the app's commands.

Province scale (default): one province's real counties (Henan, 41: ~100+ county-level units after
leaving out statistical zones), five yearly campaigns, ~10⁵ rectification items. National scale
(--scale national): every province's counties (~2,800), ~10⁶ items.

Distributions, not uniform noise:
- each county has a "capacity" drawn from Beta(5, 2): most counties do well, a tail lags behind;
  it drives how many findings it gets, how fast and how surely it closes them, and its returns;
- items per county visit are log-normal (a few counties get many more problems);
- severity 一般/较重/严重 ≈ 60/30/10, rectification type 立行立改/限期整改/长期坚持 ≈ 25/55/20,
  deadlines per type as lifecycle.DEFAULT_DEADLINE_DAYS, ~8% extended;
- days to close are log-normal around a fraction of the allowed time, slower for weak counties and
  severe items; old campaigns are nearly all closed, the current one is in full swing (pending,
  in progress, waiting for acceptance, overdue), ~2% of closed items reopened after a re-check;
- category and description come from the default checklist's sections and items;
- every item's history is the lifecycle's, step by step (issue → measures → submit ⇄ return →
  accept → reopen, approved extensions with their new deadline), so the period reports, which read
  the history, have the shapes the current statuses have.

Rows are written with ids assigned up front, never ORM objects one by one: on PostgreSQL through
COPY, with the big tables' secondary indexes dropped for the load and built once at the end (same
transaction); on SQLite with multi-row INSERTs (executemany) in chunks.
"""
from __future__ import annotations

import csv
import math
import os
import random
import sys
import time
import uuid
from pathlib import Path
from datetime import date, datetime, time as dtime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from config import Config  # noqa: E402
from inspect_app.auth.models import User  # noqa: E402
from inspect_app.campaigns.models import Campaign, team_counties  # noqa: E402
from inspect_app.checklists.default_template import DEFAULT_TEMPLATE  # noqa: E402
from inspect_app.dashboard import rollups  # noqa: E402
from inspect_app.rectification import date_rules  # noqa: E402
from inspect_app.extensions import db  # noqa: E402
from inspect_app.org import service as org_service  # noqa: E402
from inspect_app.org.models import Region, RegionLevel, ResponsibleUnit, Site  # noqa: E402
from inspect_app.rectification.lifecycle import DEFAULT_DEADLINE_DAYS, Status  # noqa: E402
from inspect_app.rectification.models import ProblemListStatus  # noqa: E402
from inspect_app.roles import Role  # noqa: E402
from inspect_app.visits.models import FindingStatus, RectificationType, Severity  # noqa: E402

CHUNK = 5000
NAME_SUFFIX = "（模拟）"
SITE_KINDS = ("office", "dept_medical", "center_imaging", "center_ecg", "township_center")
SCALES = {"province": {"provinces": ("41",), "items": 100_000, "teams": 18},
          "national": {"provinces": None, "items": 1_000_000, "teams": 120}}


def _utc(day: date, hour: int = 10) -> datetime:
    return date_rules.beijing_wall_clock(datetime.combine(day, dtime(hour)))


def _next_id(table) -> int:
    return (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def _insert(table, rows: list[dict]) -> None:
    if rows and db.session.get_bind().dialect.name == "postgresql":
        _copy(table, rows)
        return
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(table), rows[start:start + CHUNK])


def _copy(table, rows: list[dict]) -> None:
    """PostgreSQL: the rows through COPY … FROM STDIN in the session's transaction (several times
    faster than multi-row INSERTs at 10⁶ rows), each value through its column type's bind processor
    (enums, JSON, UTC datetimes) as an INSERT would."""
    dialect = db.session.get_bind().dialect
    columns = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    # None in a JSON column is JSON null for an INSERT (none_as_null is off), as the ORM writes it.
    json_null = [isinstance(table.c[name].type, sa.JSON) for name in columns]
    raw = db.session.connection().connection.driver_connection
    names = ", ".join(f'"{name}"' for name in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([value if process is None or (value is None and not null) else process(value)
                            for value, process, null in zip(row.values(), processors, json_null)])


def _deferred_indexes(tables) -> list:
    """PostgreSQL: drop the secondary indexes of the big tables for the bulk load (in the same
    transaction) and return them, to be built once at the end — cheaper than keeping ~20 indexes,
    a trigram GIN among them, up to date row by row. Unique constraints and primary keys stay."""
    if db.session.get_bind().dialect.name != "postgresql":
        return []
    connection = db.session.connection()
    dropped = []
    for table in tables:
        for index in table.indexes:
            if not index.unique and connection.execute(sa.text("SELECT to_regclass(:n)"),
                                                       {"n": index.name}).scalar() is not None:
                index.drop(connection)
                dropped.append(index)
    return dropped


def _build_indexes(indexes) -> None:
    connection = db.session.connection()
    if indexes:
        connection.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
    for index in indexes:
        index.create(connection)


def _fix_sequences(tables) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        for table in tables:
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 1))"))


def _read(data_dir: str, name: str) -> list[dict]:
    with open(os.path.join(data_dir, name), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ensure_regions(data_dir: str, provinces: tuple[str, ...] | None) -> list[Region]:
    """The county-level regions of the chosen provinces (inserted in bulk when missing)."""
    keep = (lambda code: code[:2] in provinces) if provinces else (lambda code: True)
    regions = db.metadata.tables["regions"]
    existing = dict(db.session.execute(sa.select(Region.code, Region.id)).all())
    next_id = _next_id(regions)
    for filename, level, parent_of, width in (
            ("provinces.csv", RegionLevel.PROVINCE, None, 2),
            ("cities.csv", RegionLevel.CITY, "provinceCode", 4),
            ("areas.csv", RegionLevel.COUNTY, "cityCode", 6)):
        rows = []
        for r in _read(data_dir, filename):
            if not keep(r["code"]) or (level == RegionLevel.COUNTY and r["code"][4] == "7"):
                continue
            code = r["code"].ljust(6, "0")
            if code in existing:
                continue
            parent = existing.get(r[parent_of].ljust(6, "0")) if parent_of else None
            if parent_of and parent is None:
                continue
            rows.append({"id": next_id, "code": code, "name": r["name"], "level": level, "parent_id": parent})
            existing[code] = next_id
            next_id += 1
        _insert(regions, rows)
    _fix_sequences([regions])
    counties = db.session.execute(sa.select(Region).where(Region.level == RegionLevel.COUNTY)
                                  .order_by(Region.code)).scalars()
    return [c for c in counties if keep(c.code) and c.name != "市辖区"]


def ensure_org(counties: list[Region]) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Default responsible units and a few sites for every county that has none; returns the ids."""
    kinds = org_service.ensure_site_kinds()
    units_t, sites_t = db.metadata.tables["responsible_units"], db.metadata.tables["sites"]
    have_units = {c for (c,) in db.session.execute(sa.select(ResponsibleUnit.county_id).distinct())}
    have_sites = {c for (c,) in db.session.execute(sa.select(Site.county_id).distinct())}
    unit_rows, site_rows = [], []
    unit_id, site_id = _next_id(units_t), _next_id(sites_t)
    for county in counties:
        if county.id not in have_units:
            for order, (pattern, category) in enumerate(org_service.DEFAULT_UNITS):
                unit_rows.append({"id": unit_id, "county_id": county.id, "name": pattern.format(county=county.name),
                                  "category": category, "sort_order": order, "active": True})
                unit_id += 1
        if county.id not in have_sites:
            for code in SITE_KINDS:
                site_rows.append({"id": site_id, "county_id": county.id, "kind_id": kinds[code].id,
                                  "name": f"{county.name}{kinds[code].name}", "address": "", "active": True})
                site_id += 1
    _insert(units_t, unit_rows)
    _insert(sites_t, site_rows)
    _fix_sequences([units_t, sites_t])
    ids = [c.id for c in counties]
    units, sites = {}, {}
    for county_id, uid in db.session.execute(sa.select(ResponsibleUnit.county_id, ResponsibleUnit.id)
                                             .where(ResponsibleUnit.county_id.in_(ids))):
        units.setdefault(county_id, []).append(uid)
    for county_id, sid in db.session.execute(sa.select(Site.county_id, Site.id).where(Site.county_id.in_(ids))):
        sites.setdefault(county_id, []).append(sid)
    return units, sites


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _problems() -> list[tuple[str, str]]:
    return [(s["title"], i["content"]) for s in DEFAULT_TEMPLATE["sections"] for i in s["items"]]


def generate(scale: str = "province", items: int | None = None, seed: int = 20220709, years: int = 5,
             now: datetime | None = None, echo=print) -> dict:
    """Build the dataset; returns counts. Refuses to run twice on the same database."""
    spec = SCALES[scale]
    target = items or spec["items"]
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    today = date_rules.today(now)
    if db.session.scalar(sa.select(sa.func.count()).select_from(Campaign).where(Campaign.name.like(f"%{NAME_SUFFIX}"))):
        raise SystemExit("模拟数据已存在（核查任务名以“（模拟）”结尾），请使用空数据库")
    started = time.perf_counter()
    counties = ensure_regions(current_app.config["DIVISIONS_DIR"], spec["provinces"])
    units, sites = ensure_org(counties)
    echo(f"{len(counties)} 个县（市、区），{time.perf_counter() - started:.1f}s")

    user = db.session.execute(sa.select(User).where(User.username == "gen-data")).scalar_one_or_none()
    if user is None:
        user = User(username="gen-data", display_name="模拟数据", role=Role.INSPECTOR, password_hash="!",
                    active=False, session_version=1)
        db.session.add(user)
        db.session.flush()

    last_year = today.year if today.month >= 8 else today.year - 1
    campaigns = []
    for year in range(last_year - years + 1, last_year + 1):
        campaign = Campaign(name=f"{year}年紧密型县域医共体建设核查{NAME_SUFFIX}", year=year,
                            start_date=date(year, 7, 4), end_date=date(year, 7, 29))
        db.session.add(campaign)
        campaigns.append(campaign)
    db.session.flush()

    capacity = {c.id: rng.betavariate(5, 2) for c in counties}
    problems = _problems()
    tables = {name: db.metadata.tables[name] for name in ("teams", "problem_lists", "findings",
                                                           "rectification_items", "item_history")}
    ids = {name: _next_id(t) for name, t in tables.items()}
    per_visit = target / (len(counties) * len(campaigns)) * 1.08   # int() truncation and the capacity shift
    sigma = 0.5
    mu = math.log(per_visit) - sigma * sigma / 2
    severities = [Severity.GENERAL] * 6 + [Severity.SERIOUS] * 3 + [Severity.CRITICAL]
    types = [RectificationType.IMMEDIATE] * 5 + [RectificationType.DEADLINE] * 11 + [RectificationType.LONG_TERM] * 4
    total = {"items": 0, "history": 0}
    deferred = _deferred_indexes([tables["findings"], tables["rectification_items"], tables["item_history"]])

    for campaign in campaigns:
        team_rows, link_rows, list_rows, finding_rows, item_rows, history_rows = [], [], [], [], [], []
        n_teams = min(spec["teams"], len(counties))
        team_ids = list(range(ids["teams"], ids["teams"] + n_teams))
        ids["teams"] += n_teams
        for k, tid in enumerate(team_ids):
            team_rows.append({"id": tid, "campaign_id": campaign.id, "name": f"第{k + 1}核查组", "leader_id": None})
        for index, county in enumerate(counties):
            team_id = team_ids[index * n_teams // len(counties)]
            link_rows.append({"team_id": team_id, "county_id": county.id})
            visit_day = campaign.start_date + timedelta(days=(index % 5) + 5 * (index * n_teams // len(counties) % 4))
            issued_at = _utc(visit_day, 16)
            list_id = ids["problem_lists"]
            ids["problem_lists"] += 1
            list_rows.append({"id": list_id, "campaign_id": campaign.id, "county_id": county.id, "team_id": team_id,
                              "title": f"{county.name}反馈问题清单", "status": ProblemListStatus.ISSUED,
                              "issued_at": issued_at, "issued_on": visit_day, "issued_by_id": None, "version": 1})
            cap = capacity[county.id]
            count = max(1, int(rng.lognormvariate(mu + (1 - cap) * 0.6 - 0.2, sigma)))
            county_units, county_sites = units[county.id], sites[county.id]
            for seq in range(1, count + 1):
                category, content = problems[rng.randrange(len(problems))]
                severity = rng.choice(severities)
                rtype = rng.choice(types)
                deadline = visit_day + timedelta(days=DEFAULT_DEADLINE_DAYS[rtype.value] + rng.choice((0, 0, 0, 7, 14)))
                extended = deadline + timedelta(days=rng.choice((15, 30, 60))) if rng.random() < 0.08 else None
                allowed = ((extended or deadline) - visit_day).days
                slow = (1.6 - cap) * (1.3 if severity is Severity.CRITICAL else 1.0)
                days = rng.lognormvariate(math.log(max(allowed * 0.55 * slow, 2)), 0.55)
                age = last_year - campaign.year               # older campaigns are almost all closed
                closes = rng.random() < min(0.995, 0.55 + 0.45 * cap + 0.15 * age)
                closed_at = issued_at + timedelta(days=days)
                returns = _poisson(rng, 0.15 + (1 - cap) * 0.9)
                reopened = False
                history = []
                if closes and closed_at < now:
                    status = Status.CLOSED
                    if rng.random() < 0.02 and closed_at + timedelta(days=60) < now:
                        reopened = True
                        reopen_at = closed_at + timedelta(days=rng.randint(30, 120))
                        if reopen_at < now:
                            status, extended = Status.IN_PROGRESS, max(date_rules.beijing_date(reopen_at), deadline) + \
                                timedelta(days=30)
                            history.append(("accept", Status.SUBMITTED, Status.CLOSED, closed_at))
                            history.append(("reopen", Status.CLOSED, Status.IN_PROGRESS, reopen_at))
                            closed_at = None
                        else:
                            reopened = False
                    if status is Status.CLOSED:
                        history.append(("accept", Status.SUBMITTED, Status.CLOSED, closed_at))
                else:
                    closed_at = None
                    elapsed = (now - issued_at).days
                    roll = rng.random()
                    status = Status.PENDING if (elapsed < 10 and roll < 0.5) or roll < 0.08 else \
                        Status.SUBMITTED if roll > 0.85 else Status.IN_PROGRESS
                if status is Status.PENDING:
                    returns = 0
                history = _lifecycle_history(issued_at, status, closed_at if status is Status.CLOSED else None,
                                             history, returns, now, deadline, extended)
                finding_id, item_id = ids["findings"], ids["rectification_items"]
                ids["findings"] += 1
                ids["rectification_items"] += 1
                site_id = county_sites[rng.randrange(len(county_sites))]
                description = f"{content.rstrip('。')}，核查发现落实不到位。"
                finding_rows.append({
                    "id": finding_id, "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "campaign_id": campaign.id, "county_id": county.id, "site_id": site_id, "visit_id": None,
                    "category": category, "description": description, "severity": severity,
                    "rectification_type": rtype, "deadline": deadline, "suggested_measures": "",
                    "status": FindingStatus.ISSUED, "position": seq, "created_by_id": user.id,
                    "created_at": issued_at, "updated_at": issued_at})
                assigned = status is not Status.PENDING or rng.random() < 0.5
                item_rows.append({
                    "id": item_id, "problem_list_id": list_id, "finding_id": finding_id, "campaign_id": campaign.id,
                    "county_id": county.id, "site_id": site_id, "seq": seq,
                    "number": f"{county.code}-{campaign.year}-M{seq:03d}", "category": category,
                    "description": description, "severity": severity, "rectification_type": rtype,
                    "suggested_measures": "", "deadline": deadline, "extended_deadline": extended, "status": status,
                    "unit_id": county_units[min(int(rng.expovariate(0.35)), len(county_units) - 1)] if assigned else None,
                    "responsible_person": "", "measures": "" if status is Status.PENDING else "制定整改方案，明确责任人和完成时限。",
                    "planned_date": None, "latest_progress": "", "acceptance_opinion": "同意销号。" if status is Status.CLOSED else "",
                    "return_count": returns, "reopen_count": 1 if reopened else 0, "pending_extension": None,
                    "version": 1 + len(history), "issued_at": issued_at, "closed_at": closed_at,
                    "close_seconds": (closed_at - issued_at).total_seconds() if status is Status.CLOSED else None,
                    "updated_at": closed_at or issued_at})
                for action, before, after, at, data in history:
                    history_rows.append({"id": ids["item_history"], "item_id": item_id, "action": action,
                                         "from_status": before, "to_status": after, "actor_id": None,
                                         "actor_role": Role.TEAM_LEADER, "at": at, "note": "", "data": data})
                    ids["item_history"] += 1
        _insert(tables["teams"], team_rows)
        _insert(team_counties, link_rows)
        _insert(tables["problem_lists"], list_rows)
        _insert(tables["findings"], finding_rows)
        _insert(tables["rectification_items"], item_rows)
        _insert(tables["item_history"], history_rows)
        total["items"] += len(item_rows)
        total["history"] += len(history_rows)
        echo(f"{campaign.name}：{len(item_rows)} 项，累计 {total['items']}，{time.perf_counter() - started:.1f}s")
    _fix_sequences(tables.values())
    started_indexes = time.perf_counter()
    _build_indexes(deferred)
    if deferred:
        echo(f"{len(deferred)} 个索引，{time.perf_counter() - started_indexes:.1f}s")
    db.session.commit()
    rollups.rebuild()          # the bulk inserts above bypass the ORM flush that keeps them in step
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.commit()
        _vacuum_analyze(["rectification_items", "item_history", "findings", "closure_rollups", "problem_lists"])
    return {"counties": len(counties), "campaigns": len(campaigns), **total}


def _vacuum_analyze(tables: list[str]) -> None:
    """PostgreSQL: VACUUM (ANALYZE) the bulk-loaded tables, as autovacuum would soon do on a live
    server — without it the visibility map is empty and the planner refuses index-only scans (the
    dashboard's median read 168,834 heap rows and sorted them at 10⁶ items, 366 ms, instead of
    walking ix_rectification_items_campaign_close_seconds), and a server with autovacuum off never
    catches up. VACUUM runs outside a transaction: its own autocommit connection."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM (ANALYZE) " + ", ".join(f'"{name}"' for name in tables)))
        connection.execute(sa.text("ANALYZE"))


def _lifecycle_history(issued_at, status, closed_at, closure, returns, now, deadline, extended) -> list[tuple]:
    """The steps an item went through to reach `status`, in time order, as the lifecycle records
    them: (action, from, to, at, data). `closure`: the accept/reopen steps already drawn."""
    P, W, S, C = Status.PENDING, Status.IN_PROGRESS, Status.SUBMITTED, Status.CLOSED
    steps = [("issue", None, P, issued_at, {"deadline": deadline.isoformat()})]
    end = closed_at or next((at for action, _f, _t, at in closure if action == "accept"), None) or now
    span = max((end - issued_at).total_seconds(), 7200)
    at = lambda fraction: issued_at + timedelta(seconds=span * fraction)   # noqa: E731
    reopened = any(action == "reopen" for action, *_rest in closure)
    if extended is not None and not reopened:
        current = P if status is P else W
        steps.append(("approve_extension", current, current, at(0.08),
                      {"new_deadline": extended.isoformat(), "previous_deadline": deadline.isoformat()}))
    if status is P:
        return steps
    steps.append(("write_measures", P, W, at(0.05), None))
    for r in range(returns):
        steps.append(("submit", W, S, at(0.1 + 0.8 * (r + 0.5) / (returns + 1)), None))
        steps.append(("return", S, W, at(0.1 + 0.8 * (r + 1) / (returns + 1)), None))
    if closure or status is S:
        steps.append(("submit", W, S, at(0.95), None))
    steps += [(action, before, after, when,
               {"new_deadline": extended.isoformat()} if action == "reopen" and extended is not None else None)
              for action, before, after, when in closure]
    return sorted(steps, key=lambda step: step[3])



def main(argv=None) -> None:
    """python bench/gen_data.py DATABASE_URL [--scale province|national] [--items N] [--years N]"""
    import argparse

    from inspect_app import create_app

    parser = argparse.ArgumentParser(description="Build a synthetic dataset of campaigns and rectification items.")
    parser.add_argument("url", help="the database to fill (its tables are created if missing)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="province")
    parser.add_argument("--items", type=int, default=None, help="about how many items (default by scale)")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20220709)
    args = parser.parse_args(argv)

    from config import _normalise_url

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = _normalise_url(args.url)

    app = create_app(BenchConfig)
    with app.app_context():
        db.create_all()
        counts = generate(args.scale, args.items, args.seed, args.years, echo=print)
    print(f"完成：{counts['counties']} 个县，{counts['campaigns']} 个核查任务，"
          f"{counts['items']} 个整改事项，{counts['history']} 条事项记录")


if __name__ == "__main__":
    main()
