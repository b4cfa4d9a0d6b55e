"""The mixed load of issue 12: 20 signed-in users through nginx and two app instances, for 60 s.

Run:  python bench/mixed_load.py [--url DATABASE_URL] [--clients 20] [--seconds 60] [--warmup 5]
                                 [--workers 2] [--threads 4] [--think 0]

The layout is the several-instances one (tests/deploy/cluster.py, the README's production layout):
two gunicorn instances (gthread, `--workers` × `--threads` each, APP_ENV=production,
TRUSTED_PROXIES=1, one SECRET_KEY) behind Debian's nginx (round robin) on loopback ports
($BENCH_MIXED_PORTS, default 5107,5108 for the instances and 8107 for nginx), sharing one PostgreSQL
data set made by bench/gen_data.py ($BENCH_MIXED_URL, default $BENCH_PG_NATIONAL_URL or
…/bench_dashboard_national — the national set `bench/dashboard.py --national` builds; province scale
works too). Nothing is generated here: an empty database is refused with the command that fills it.

Accounts (created once, password set by the bench, never a demo account): 20 users of different
scopes over the busiest counties of the data set — province viewers, city viewers, county
coordinators and unit responders (bench-mix-*). Each client signs in through the real form (CSRF
token, scrypt check, session cookie) and then, for `--seconds`, one request at a time (a closed
loop: at most `--clients` requests in flight, each with a 30 s timeout), draws from the realistic mix:

- list      整改事项 with a filter (campaign, status, aging bucket, urgency, 待办理, a county, a unit)
            or a page: page=2..5, or 下一页 followed from the previous list (keyset cursor);
- search    typing a word: one htmx request per keystroke (HX-Target: item-rows), 1–4 characters
            of a real description, or a 问题编号 prefix;
- detail    an item page in the user's scope;
- dashboard the user's dashboard (province, city or county page; unit responders, who have none,
            their 工作台 home);
- progress  county coordinators and unit responders: open the 报送整改进展 form of an open item of
            their own (GET, reads version/uuid/CSRF) and post it (htmx POST with X-CSRFToken): a
            real state change (history row, progress post, audit event, notices, rollups). Each
            client posts only on its own items, so two clients never race on one item.

An error is any status ≥ 400, a redirect to the sign-in page, a timeout or a dropped connection.
Reported, never pass/fail: requests/s, p50/p95/p99/max per kind and overall, the error count, the
share each instance served, and the load average before and after (the machine may be shared: the
figures move with it; the load generator's own threads run on the same cores as the servers).
Target (issue 12): p95 ≤ 500 ms with 0 errors. The progress posts change the data set (a few
hundred items move to 整改中 and gain a progress post); re-running is safe.
"""
from __future__ import annotations

import argparse
import html
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402

from config import Config  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgresql://postgres@127.0.0.1:5432")
DEFAULT_URL = os.environ.get("BENCH_MIXED_URL",
                             os.environ.get("BENCH_PG_NATIONAL_URL", f"{PG_BASE}/bench_dashboard_national"))
DEFAULT_PORTS = os.environ.get("BENCH_MIXED_PORTS", "5107,5108,8107")
PASSWORD = "Bench-mixed-load-2026"
TARGET_P95_MS = 500.0
TIMEOUT_S = 30.0
KINDS = ("list", "search", "detail", "dashboard", "progress form", "progress post")
# Weights of the mix, per action (a search is ~3.6 keystroke requests, a progress post 2 requests):
# about 20 % list and paging, 25 % search keystrokes, 25 % item pages, 15 % dashboards, 15 % progress
# (county side) of the requests — lists, search and paging ~45 %, as the issue measured (42 %).
MIX = {"list": 20, "search": 7, "detail": 25, "dashboard": 15, "progress": 8}
ROLES_MIX = (("province", 4), ("city", 4), ("county", 6), ("unit", 6))
ROWS = {"HX-Request": "true", "HX-Target": "item-rows", "HX-Current-URL": "/items/"}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION_RE = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')
UUID_RE = re.compile(r'name="uuid"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="uuid"')
NEXT_RE = re.compile(r'id="items-next" href="([^"]+)"')


# ---------------------------------------------------------------- the data set and the accounts

@dataclass
class Persona:
    """One client: its account, what it may look at, and (county side) the items it posts on."""

    username: str
    role: str                    # province, city, county, unit
    dashboard: str
    campaigns: list[int]
    counties: list[int]
    units: list[int]
    items: list[int]             # item ids in scope, for the detail pages
    words: list[str]             # descriptions and numbers to type into the search
    post_items: list[int] = field(default_factory=list)


def _app(url: str):
    from config import _normalise_url
    from inspect_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = _normalise_url(url)
        TESTING = False

    return create_app(BenchConfig)


def _account(username: str, role, region_id=None, unit_id=None) -> None:
    """Create or re-scope one bench account, with the bench's password (not one to change)."""
    from inspect_app.auth.models import User
    from inspect_app.extensions import db
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        user = User(username=username, display_name=username, role=role, session_version=1, active=True)
        db.session.add(user)
        user.set_password(PASSWORD, chosen_by_user=True)
    elif not user.check_password(PASSWORD):
        user.set_password(PASSWORD, chosen_by_user=True)
    user.role, user.region_id, user.unit_id, user.active = role, region_id, unit_id, True
    user.must_change_password = False


def prepare(url: str, seed: int = 12) -> tuple[list[Persona], int]:
    """Pick the busiest counties, make the 20 accounts and each client's URLs; returns (personas, items)."""
    from inspect_app.campaigns.models import Campaign
    from inspect_app.extensions import db
    from inspect_app.org.models import Region
    from inspect_app.rectification.lifecycle import Status
    from inspect_app.rectification.models import RectificationItem as Item
    from inspect_app.roles import Role

    rng = random.Random(seed)
    app = _app(url)
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Item))
        if not total:
            raise SystemExit(f"no rectification items in {url}: fill it first with "
                             f"`python bench/gen_data.py {url} --scale national` (or province)")
        # The generated campaigns (other benches add small ones of their own), newest first.
        generated = Campaign.name.like("%（模拟）")
        if not db.session.scalar(sa.select(sa.func.count()).select_from(Campaign).where(generated)):
            generated = sa.true()
        campaigns = list(db.session.execute(sa.select(Campaign.id).where(generated)
                                            .order_by(Campaign.start_date.desc())).scalars())
        latest = campaigns[0]
        open_assigned = sa.and_(Item.status.in_([Status.PENDING, Status.IN_PROGRESS]), Item.unit_id.is_not(None))
        # The counties with most open, assigned items in the current campaign: where the work is.
        busy = db.session.execute(
            sa.select(Item.county_id, sa.func.count()).where(open_assigned, Item.campaign_id == latest)
            .group_by(Item.county_id).order_by(sa.func.count().desc(), Item.county_id).limit(40)).all()
        county_ids = [c for c, _n in busy]
        regions = {r.id: r for r in db.session.execute(
            sa.select(Region).where(Region.id.in_(county_ids))).scalars()}
        cities: list[int] = []
        for cid in county_ids:
            if regions[cid].parent_id not in cities:
                cities.append(regions[cid].parent_id)
        city_regions = {r.id: r for r in db.session.execute(sa.select(Region).where(Region.id.in_(cities))).scalars()}

        def sample_items(*where, k=60):
            ids = list(db.session.execute(sa.select(Item.id).where(*where).order_by(Item.id)).scalars())
            return rng.sample(ids, min(k, len(ids)))

        def words_of(item_ids):
            rows = db.session.execute(sa.select(Item.description, Item.number)
                                      .where(Item.id.in_(item_ids[:30]))).all()
            words = []
            for description, number in rows:
                start = rng.randrange(0, max(1, len(description) - 4))
                words.append(description[start:start + 4])
                words.append(number[:11])     # e.g. 411329-2026
            return words

        def units_of(county_id):
            return [u for (u,) in db.session.execute(
                sa.select(Item.unit_id).where(Item.county_id == county_id, Item.unit_id.is_not(None))
                .group_by(Item.unit_id).order_by(sa.func.count().desc()))]

        personas: list[Persona] = []
        counts = dict(ROLES_MIX)
        # Province viewers: the whole tree; detail pages of items anywhere (a random id range).
        lo, hi = db.session.execute(sa.select(sa.func.min(Item.id), sa.func.max(Item.id))).one()
        for n in range(counts["province"]):
            picks = [rng.randint(lo, hi) for _ in range(200)]
            items = list(db.session.execute(sa.select(Item.id).where(Item.id.in_(picks))).scalars())[:60]
            username = f"bench-mix-province-{n + 1}"
            _account(username, Role.PROVINCE_VIEWER)
            personas.append(Persona(username, "province", "/dashboard/", campaigns, county_ids[:20], [], items,
                                    words_of(items)))
        for n in range(counts["city"]):
            city = city_regions[cities[n % len(cities)]]
            counties = list(db.session.execute(sa.select(Region.id).where(Region.parent_id == city.id)).scalars())
            items = sample_items(Item.county_id.in_(counties))
            username = f"bench-mix-city-{n + 1}"
            _account(username, Role.CITY_VIEWER, city.id)
            personas.append(Persona(username, "city", f"/dashboard/city/{city.code}", campaigns, counties, [], items,
                                    words_of(items)))
        # Unit responders in the busiest counties (their own unit's open items), then coordinators
        # in other busy counties, posting on items of units no responder holds: no two clients
        # ever post on the same item.
        responder_units = set()
        for n in range(counts["unit"]):
            county = regions[county_ids[n]]
            unit = units_of(county.id)[0]
            responder_units.add(unit)
            items = sample_items(Item.county_id == county.id, Item.unit_id == unit)
            post = sample_items(open_assigned, Item.county_id == county.id, Item.unit_id == unit, k=40)
            username = f"bench-mix-unit-{n + 1}"
            _account(username, Role.UNIT_RESPONDER, county.id, unit)
            personas.append(Persona(username, "unit", "/", campaigns, [county.id], [unit], items, words_of(items),
                                    post))
        for n in range(counts["county"]):
            county = regions[county_ids[counts["unit"] + n]]
            items = sample_items(Item.county_id == county.id)
            post = sample_items(open_assigned, Item.county_id == county.id, Item.unit_id.not_in(responder_units),
                                k=40)
            username = f"bench-mix-county-{n + 1}"
            _account(username, Role.COUNTY_COORDINATOR, county.id)
            personas.append(Persona(username, "county", f"/dashboard/county/{county.code}", campaigns, [county.id],
                                    units_of(county.id), items, words_of(items), post))
        db.session.commit()
        db.engine.dispose()
    return personas, total


# ---------------------------------------------------------------- the clients

@dataclass
class Sample:
    kind: str
    started: float               # perf_counter at send
    ms: float
    ok: bool
    instance: str
    note: str = ""


class Client(threading.Thread):
    """One signed-in user doing the mix until `stop_at`; samples go to `out`."""

    def __init__(self, base: str, persona: Persona, seed: int, stop_at: float, think: float, out: list):
        super().__init__(daemon=True)
        import requests
        self.base, self.p, self.rng = base, persona, random.Random(seed)
        self.stop_at, self.think, self.out = stop_at, think, out
        self.http = requests.Session()
        self.csrf = ""
        self.next_page: str | None = None
        self.failure: str | None = None

    # -- one request, timed
    def _call(self, kind: str, method: str, path: str, **kw):
        import requests
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, timeout=TIMEOUT_S, **kw)
        except requests.RequestException as error:
            self.out.append(Sample(kind, started, (time.perf_counter() - started) * 1000, False, "-",
                                   f"{error.__class__.__name__} {path}"))
            return None
        ms = (time.perf_counter() - started) * 1000
        signed_out = "/login" in response.url and "/login" not in path
        ok = response.status_code < 400 and not signed_out
        self.out.append(Sample(kind, started, ms, ok, response.headers.get("X-Instance", "?"),
                               "" if ok else f"{response.status_code} {method} {path}"))
        return response if ok else None

    def sign_in(self) -> None:
        page = self.http.get(self.base + "/login", timeout=TIMEOUT_S)
        token = CSRF_RE.search(page.text).group(1)
        answer = self.http.post(self.base + "/login", timeout=TIMEOUT_S,
                                data={"username": self.p.username, "password": PASSWORD, "csrf_token": token})
        if answer.status_code != 200 or "/login" in answer.url:
            raise RuntimeError(f"{self.p.username}: sign-in answered {answer.status_code} at {answer.url}")
        self.csrf = CSRF_RE.search(answer.text).group(1) if CSRF_RE.search(answer.text) else token

    # -- the mix
    def do_list(self) -> None:
        p, rng = self.p, self.rng
        if self.next_page and rng.random() < 0.35:
            path, self.next_page = self.next_page, None
            response = self._call("list", "GET", path, headers=ROWS)      # 下一页 swaps #item-rows
        else:
            choice = rng.choice(("", f"campaign={p.campaigns[0]}", f"campaign={rng.choice(p.campaigns)}",
                                 "status=IN_PROGRESS", "status=SUBMITTED", "bucket=overdue", "urgency=red",
                                 "waiting=act", f"county={rng.choice(p.counties)}",
                                 f"unit={rng.choice(p.units)}" if p.units and p.role == "county" else "waiting=act",
                                 f"page={rng.randint(2, 5)}"))
            response = self._call("list", "GET", "/items/" + (f"?{choice}" if choice else ""))
        if response is not None:
            found = NEXT_RE.search(response.text)
            self.next_page = html.unescape(found.group(1)) if found else None

    def do_search(self) -> None:
        word = self.rng.choice(self.p.words)
        for n in range(1, min(4, len(word)) + 1) if not word[0].isdigit() else (4, 6, len(word)):
            if time.perf_counter() >= self.stop_at:
                return
            self._call("search", "GET", "/items/", params={"q": word[:n]}, headers=ROWS)

    def do_detail(self) -> None:
        self._call("detail", "GET", f"/items/{self.rng.choice(self.p.items)}")

    def do_dashboard(self) -> None:
        self._call("dashboard", "GET", self.p.dashboard)

    def do_progress(self) -> None:
        item = self.rng.choice(self.p.post_items)
        fragment = {"HX-Request": "true", "HX-Target": "action-form"}
        form = self._call("progress form", "GET", f"/items/{item}/actions/post_progress", headers=fragment)
        if form is None:
            return
        version = VERSION_RE.search(form.text)
        uuid = UUID_RE.search(form.text)
        csrf = CSRF_RE.search(form.text)
        if not (version and uuid and csrf):
            raise RuntimeError(f"no progress form for item {item}: {form.text[:300]}")
        data = {"csrf_token": csrf.group(1), "version": version.group(1) or version.group(2),
                "uuid": uuid.group(1) or uuid.group(2) or "",
                "text": f"第{self.rng.randint(1, 99)}周：已完成整改方案中的{self.rng.choice(('制度修订', '人员培训', '设备配置', '台账整理'))}，正在推进下一步。"}
        self._call("progress post", "POST", f"/items/{item}/actions/post_progress", data=data,
                   headers={"HX-Request": "true", "HX-Target": "item-detail", "X-CSRFToken": csrf.group(1)})

    def run(self) -> None:
        kinds = [k for k in MIX if k != "progress" or self.p.post_items]
        weights = [MIX[k] for k in kinds]
        try:
            while time.perf_counter() < self.stop_at:
                getattr(self, f"do_{self.rng.choices(kinds, weights)[0]}")()
                if self.think:
                    time.sleep(self.rng.expovariate(1 / self.think))
        except Exception as error:      # a bug in the client, not the server: reported, not hidden
            self.failure = f"{self.p.username}: {error.__class__.__name__}: {error}"


# ---------------------------------------------------------------- the run and the report

def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def report(samples: list[Sample], seconds: float) -> dict:
    """Print the table; return the overall figures."""
    by_kind = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    print(f"  {'kind':<15} {'requests':>8} {'share':>6} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7} "
          f"{'max':>7} {'errors':>6}")
    rows = [(k, by_kind[k]) for k in KINDS if by_kind.get(k)] + [("overall", samples)]
    for kind, group in rows:
        ms = [s.ms for s in group]
        errors = sum(not s.ok for s in group)
        print(f"  {kind:<15} {len(group):8d} {len(group) / max(1, len(samples)):6.0%} {len(group) / seconds:6.1f} "
              f"{_pct(ms, .5):7.0f} {_pct(ms, .95):7.0f} {_pct(ms, .99):7.0f} {max(ms):7.0f} {errors:6d}")
    ms = [s.ms for s in samples]
    overall = {"rps": len(samples) / seconds, "p50": _pct(ms, .5), "p95": _pct(ms, .95), "p99": _pct(ms, .99),
               "errors": sum(not s.ok for s in samples), "requests": len(samples)}
    verdict = "ok" if overall["p95"] <= TARGET_P95_MS and overall["errors"] == 0 else "MISSED"
    print(f"  (ms) overall {overall['rps']:.1f} requests/s, p50 {overall['p50']:.0f} ms, p95 {overall['p95']:.0f} ms, "
          f"p99 {overall['p99']:.0f} ms, {overall['errors']} errors — target p95 ≤ {TARGET_P95_MS:.0f} ms with 0 "
          f"errors: {verdict}")
    served = Counter(s.instance for s in samples)
    print("  served by instance: " + ", ".join(f"{name} {n} ({n / len(samples):.0%})"
                                               for name, n in sorted(served.items())))
    failures = Counter(s.note for s in samples if not s.ok)
    for note, n in failures.most_common(8):
        print(f"  error ×{n}: {note}")
    return overall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="the PostgreSQL data set (bench/gen_data.py)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before the measured window")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes per instance")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--think", type=float, default=0, help="mean seconds between a client's requests")
    parser.add_argument("--ports", default=DEFAULT_PORTS, help="instance a, instance b, nginx (loopback)")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    from tests.deploy import cluster as layout
    missing = [name for name, found in (("nginx", layout.find_nginx()), ("gunicorn", layout.find_gunicorn()))
               if not found]
    if missing:
        print(f"mixed load: skipped — needs {', '.join(missing)} (Debian: apt-get install nginx)")
        return 0
    if not args.url.startswith("postgresql"):
        print("mixed load: skipped — the instances share a PostgreSQL data set (--url postgresql://…)")
        return 0
    try:
        import requests  # noqa: F401
    except ImportError:
        print("mixed load: skipped — needs requests (pip install -e '.[dev]')")
        return 0
    started = time.perf_counter()
    try:
        personas, total = prepare(args.url, args.seed)
    except sa.exc.OperationalError as error:
        print(f"mixed load: skipped — {args.url}: {error.orig}")
        return 0
    personas = (personas * (args.clients // len(personas) + 1))[:args.clients]
    roles = Counter(p.role for p in personas)
    print(f"mixed load — {total:,} items in {args.url.rsplit('/', 1)[-1]}; {args.clients} clients "
          f"({', '.join(f'{n} {r}' for r, n in roles.items())}); 2 instances × {args.workers} workers × "
          f"{args.threads} threads behind nginx; {args.seconds:.0f} s after {args.warmup:.0f} s warm-up "
          f"(prepared in {time.perf_counter() - started:.0f} s)")
    a_port, b_port, nginx_port = (int(p) for p in args.ports.split(","))
    env = {"APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "SESSION_COOKIE_SECURE": "0",
           "HSTS_SECONDS": "0", "DATABASE_URL": args.url, "STORAGE_BACKEND": "file"}
    tmp = Path(tempfile.mkdtemp(prefix="bench-mixed-"))
    cluster = layout.start(tmp, env, workers=args.workers, threads=args.threads,
                           ports={"a": a_port, "b": b_port}, nginx_port=nginx_port, wait_seconds=300)
    try:
        load_before, cpu_before = os.getloadavg(), time.process_time()
        samples: list[Sample] = []
        begin = time.perf_counter() + 3600            # set once everyone is signed in
        clients = [Client(cluster.url, p, args.seed + n, begin, args.think, samples) for n, p in enumerate(personas)]
        for client in clients:
            client.sign_in()
        begin = time.perf_counter()
        measure_from, stop_at = begin + args.warmup, begin + args.warmup + args.seconds
        for client in clients:
            client.stop_at = stop_at
            client.start()
        for client in clients:
            client.join(args.warmup + args.seconds + TIMEOUT_S + 5)
        load_after, client_cpu = os.getloadavg(), time.process_time() - cpu_before
        measured = [s for s in samples if s.started >= measure_from]
        print(f"  load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (1-min; {os.cpu_count()} "
              f"cores, shared); the load generator itself used {client_cpu:.0f} s of CPU in "
              f"{args.warmup + args.seconds:.0f} s")
        report(measured, args.seconds)
        for client in clients:
            if client.failure:
                print(f"  client failed: {client.failure}")
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
