"""Benchmark the lists, search and the other cliffs of issue 12, and the bytes each screen costs.

Run:  python bench/lists.py [--url URL] [--runs N] [--skip-bytes] [--skip-scale]

Part 1 — at scale (default PostgreSQL, $BENCH_LISTS_URL or …/bench_scale12; the dataset is made once
with bench/gen_data.py — province scale, ~10⁵ items; point --url at a national one for 10⁶ — and
`--audit-rows` audit rows, 10⁵ by default, are added when missing). For
each URL, in-process through the Flask test client as the named account: the median and p95 ms of
`runs` requests, the statements one request issues, and the floor — the same statements re-run on a
raw DB-API cursor (what the database alone costs). Never pass/fail; the targets are printed beside.

Part 2 — bytes over the wire (a small SQLite world; the visit screen has 200 checklist items): the
first load (the page plus every stylesheet and script it links, as sent with
`Accept-Encoding: br, gzip`) and the second load (the page only: static files are fingerprinted and
cached immutable for a year), beside the uncompressed page (what was sent before).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.dashboard import _percentile, _time_sql  # noqa: E402  (one raw-cursor timer for both benches)
from config import Config, TestConfig  # noqa: E402

DEFAULT_URL = os.environ.get("BENCH_LISTS_URL", "postgresql://postgres@127.0.0.1:5432/bench_scale12")
AUDIT_ROWS = 100_000
TARGETS = {"list": 200.0, "search": 300.0, "scoped": 100.0, "problem_lists": 300.0, "audit": 100.0,
           "docx": 2000.0}
SLOW_RUNS = {"docx": 5}          # a document of seconds: fewer rounds
ROWS = {"HX-Request": "true", "HX-Target": "item-rows"}


def _app(url: str, base=Config, **extra):
    from config import _normalise_url
    from inspect_app import create_app

    class BenchConfig(base):
        SQLALCHEMY_DATABASE_URI = _normalise_url(url)
        WTF_CSRF_ENABLED = False
        TESTING = False
    for key, value in extra.items():
        setattr(BenchConfig, key, value)
    return create_app(BenchConfig)


def _client(app, user_token: str):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_token
        sess["_fresh"] = True
        sess["seen"] = datetime.now(timezone.utc).timestamp()
    return client


# ---------------------------------------------------------------- part 1: at scale

def _account(username: str, role, region=None) -> str:
    from inspect_app.auth.models import User
    from inspect_app.extensions import db
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        user = User(username=username, display_name=username, role=role, region_id=region.id if region else None,
                    password_hash="!", active=True, session_version=1)
        db.session.add(user)
        db.session.commit()
    return user.get_id()


def _audit_rows(wanted: int = AUDIT_ROWS) -> int:
    """Add audit events (chain positions after the last) until the trail has `wanted` rows."""
    from inspect_app.audit.models import AuditEvent
    from inspect_app.extensions import db
    have = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    if have >= wanted:
        return have
    start = (db.session.scalar(sa.select(sa.func.max(AuditEvent.seq))) or 0) + 1
    at = datetime(2022, 7, 1, tzinfo=timezone.utc)
    for chunk in range(0, wanted - have, 5000):            # built chunk by chunk: 10⁶ rows fit in memory
        rows = [{"at": at + timedelta(minutes=n), "username": f"user{n % 300}", "action": "item.assign",
                 "object_type": "RectificationItem", "object_id": str(n), "summary": "指派（压测数据）",
                 "seq": start + n, "prev_hash": "0" * 64, "hash": "0" * 64}
                for n in range(chunk, min(chunk + 5000, wanted - have))]
        db.session.execute(sa.insert(AuditEvent), rows)
    # Move the chain's head past them, or the app's next audit row takes seq 1 again and fails.
    from inspect_app.audit.chain import HEAD_ID, AuditChainHead as ChainHead
    last = wanted - have + start - 1
    if db.session.get(ChainHead, HEAD_ID) is None:
        db.session.add(ChainHead(id=HEAD_ID, seq=last, hash="0" * 64))
    else:
        db.session.execute(sa.update(ChainHead).where(ChainHead.id == HEAD_ID).values(seq=last, hash="0" * 64))
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE audit_events"))
        db.session.commit()
    return wanted


def prepare(url: str, audit_rows: int = AUDIT_ROWS):
    """The app on the dataset (generated when empty) and the accounts and URLs to measure."""
    from inspect_app.campaigns.models import Campaign
    from bench.gen_data import generate
    from inspect_app.extensions import db
    from inspect_app.org.models import Region
    from inspect_app.rectification import listing
    from inspect_app.rectification.models import RectificationItem as Item
    from inspect_app.roles import Role

    app = _app(url)
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Item))
        if not count:
            print("  generating province data (bench/gen_data.py) …", flush=True)
            count = generate("province", echo=lambda *_: None)["items"]
        audit = _audit_rows(audit_rows)
        busiest = db.session.execute(sa.select(Item.county_id, sa.func.count()).group_by(Item.county_id)
                                     .order_by(sa.func.count().desc())).first()[0]
        county = db.session.get(Region, busiest)
        users = {"province": _account("bench-province", Role.PROVINCE_VIEWER),
                 "city": _account("bench-city", Role.CITY_VIEWER, county.parent),
                 "county": _account("bench-county", Role.COUNTY_COORDINATOR, county),
                 "admin": _account("bench-admin", Role.PROVINCE_ADMIN),
                 "auditor": _account("bench-auditor", Role.AUDIT_ADMIN)}
        latest = db.session.scalar(sa.select(Campaign.id).order_by(Campaign.start_date.desc()))
        key = listing.effective_deadline_key()
        deep = db.session.execute(sa.select(Item).order_by(key, Item.number).offset(count - 200).limit(1)).scalar_one()
        mid_seq = db.session.scalar(sa.select(sa.func.max(sa.text("seq"))).select_from(sa.text("audit_events"))) // 2
        words = [d for d in db.session.execute(sa.select(Item.description).order_by(Item.id)
                                               .limit(400)).scalars() if len(d) >= 8]
    random.seed(12)
    keystrokes = []
    for text in random.sample(words, 8):
        start = random.randrange(0, len(text) - 4)
        keystrokes += [text[start:start + n] for n in range(1, 5)]         # typing a 4-character word
    keystrokes += ["4113", "411329-2026"]                                   # 问题编号 prefixes
    cases = [
        ("list", "province", "/items/", "items list, province, page 1"),
        ("list", "province", f"/items/?campaign={latest}", "  filter: latest campaign"),
        ("list", "province", "/items/?status=IN_PROGRESS", "  filter: 整改中"),
        ("list", "province", "/items/?bucket=overdue", "  filter: 已超期"),
        ("list", "province", "/items/?urgency=red", "  filter: 红色督办"),
        ("list", "province", "/items/?waiting=act", "  filter: 待办理"),
        ("list", "province", f"/items/?county={busiest}", "  filter: one county"),
        ("list", "province", "/items/?page=500", "  page 500 by number (OFFSET)"),
        ("list", "province", f"/items/?page={count // 20 - 10}", f"  page {count // 20 - 10:,} by number (OFFSET)"),
        ("list", "province", f"/items/?after={listing.cursor_of(deep)}&page={count // 20 - 10}",
         "  the same deep page by keyset (下一页)"),
        ("scoped", "city", "/items/", "city list (one city's counties)"),
        ("scoped", "county", "/items/", "county list (the busiest county)"),
        ("problem_lists", "admin", "/problem-lists", "问题清单 index, province"),
        ("docx", "province", "/dashboard/reports/download.docx?kind=week", "weekly report DOCX, province"),
        ("audit", "auditor", "/admin/audit", f"audit page, newest ({audit:,} rows)"),
        ("audit", "auditor", f"/admin/audit?before={mid_seq}", "audit page, middle of the trail"),
    ]
    return app, users, count, cases, keystrokes


def measure(app, client, urls: list[str], runs: int, headers=None) -> dict:
    """Median/p95 ms over `runs` rounds of `urls` (each URL a request), the statements of one round,
    and the floor: those statements alone on a raw cursor (median of a round)."""
    from inspect_app.extensions import db
    with app.app_context():
        engine = db.engine
    for url in urls:                                        # warm up plans and caches
        assert client.get(url, headers=headers).status_code == 200, url
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))
    times, per_round = [], []
    for _ in range(runs):
        for url in urls:
            if not per_round:
                sa.event.listen(engine, "before_cursor_execute", capture)
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            if not per_round:
                sa.event.remove(engine, "before_cursor_execute", capture)
                per_round.append(len(statements))
            assert response.status_code == 200, (url, response.status_code)
    session_reads = [(s, p) for s, p in statements
                     if not s.lstrip().upper().startswith(("UPDATE", "INSERT", "SAVEPOINT", "RELEASE"))]
    floor = _time_sql(engine, session_reads, max(3, runs // 3))
    return {"median": statistics.median(times), "p95": _percentile(times, 0.95),
            "statements": per_round[0], "floor": statistics.median(floor)}


def scale_part(url: str, runs: int, audit_rows: int = AUDIT_ROWS) -> None:
    started = time.perf_counter()
    app, users, count, cases, keystrokes = prepare(url, audit_rows)
    dialect = url.split(":", 1)[0]
    load = os.getloadavg()
    print(f"\nLists and cliffs — {dialect}, {count:,} items (prepared in {time.perf_counter() - started:.0f}s); "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores")
    print(f"  {'request':<46} {'median':>8} {'p95':>8} {'target':>7} {'floor':>8} {'SQL':>4}")
    for kind, user, path, label in cases:
        result = measure(app, _client(app, users[user]), [path], min(runs, SLOW_RUNS.get(kind, runs)))
        print(f"  {label:<46} {result['median']:8.1f} {result['p95']:8.1f} {TARGETS[kind]:7.0f} "
              f"{result['floor']:8.1f} {result['statements']:4d}")
    client = _client(app, users["province"])
    urls = ["/items/?q=" + q for q in keystrokes]
    result = measure(app, client, urls, max(2, runs // 5), headers=ROWS)
    print(f"  {'search keystrokes (' + str(len(urls)) + ' queries, 1–4 chars)':<46} {result['median']:8.1f} "
          f"{result['p95']:8.1f} {TARGETS['search']:7.0f} {'':>8} {result['statements']:4d}")
    for q in ("心", "心电", "心电诊断"):
        one = measure(app, client, ["/items/?q=" + q], max(3, runs // 2), headers=ROWS)
        print(f"  {'  search ' + q:<46} {one['median']:8.1f} {one['p95']:8.1f} {TARGETS['search']:7.0f} "
              f"{one['floor']:8.1f} {one['statements']:4d}")
    print("  (ms; floor = the statements of one request re-run on a raw cursor; SQL = statements per request)")


# ---------------------------------------------------------------- part 2: bytes over the wire

def _static_urls(page: str) -> list[str]:
    return sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page)))


def _wire(client, url: str) -> dict:
    headers = {"Accept-Encoding": "br, gzip"}
    plain = client.get(url)
    assert plain.status_code == 200, (url, plain.status_code)
    page = client.get(url, headers=headers)
    statics = 0
    for asset in _static_urls(plain.get_data(as_text=True)):
        response = client.get(asset.replace("&amp;", "&"), headers=headers)
        statics += len(response.get_data())
        response.close()
    return {"plain": len(plain.get_data()), "page": len(page.get_data()), "first": len(page.get_data()) + statics,
            "encoding": page.headers.get("Content-Encoding", "none")}


def bytes_part() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-lists-")
    app = _app("sqlite:///" + os.path.join(tmp, "bytes.sqlite"), TestConfig, UPLOAD_FOLDER=os.path.join(tmp, "up"))
    from inspect_app.extensions import db
    from tests.factories import make_world
    from tests.rectification.factories import make_item
    from tests.visits import factories as f
    with app.app_context():
        db.create_all()
        world = make_world()
        version = f.make_version(n_items=200)
        visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
        items = f.items_of(version)
        f.answer_items(visit, items[:100])
        for item in items[:20]:
            f.make_finding(visit, item)
        for n in range(40):
            make_item(world, description=f"远程心电诊断中心未覆盖全部乡镇卫生院（第 {n} 项）", commit=False)
        db.session.commit()
        tokens = {name: world.users[name].get_id() for name in ("province", "inspector8")}
        visit_id = visit.id
    screens = [("login", None, "/login"), ("dashboard", "province", "/dashboard/"),
               ("items", "province", "/items/"), ("visit screen, 200 items", "inspector8", f"/visits/{visit_id}")]
    print("\nBytes over the wire (Accept-Encoding: br, gzip; KB = 1,000 bytes)")
    print(f"  {'screen':<26} {'uncompressed':>12} {'1st load':>9} {'2nd load':>9} {'encoding':>9}")
    for label, user, url in screens:
        client = app.test_client() if user is None else _client(app, tokens[user])
        result = _wire(client, url)
        print(f"  {label:<26} {result['plain'] / 1000:10.1f}KB {result['first'] / 1000:7.1f}KB "
              f"{result['page'] / 1000:7.1f}KB {result['encoding']:>9}")
    print("  (1st load = page + its stylesheets and scripts; 2nd load = the page only, static files being "
          "immutable; target: visit screen ≤ 60 KB compressed)")
    with app.app_context():
        db.drop_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-bytes", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--audit-rows", type=int, default=AUDIT_ROWS, help="audit trail length for the audit page")
    args = parser.parse_args()
    if not args.skip_bytes:
        bytes_part()
    if not args.skip_scale:
        scale_part(args.url, args.runs, args.audit_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
