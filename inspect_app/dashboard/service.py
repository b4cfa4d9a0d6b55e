"""The dashboard figures, each computed by aggregate SQL over the user's scope.

The counts come from the closure rollups (dashboard/rollups.py): per county, campaign, issue day,
status and deadline, the items' counts already added up, kept exact in the same transaction as every
item change. A page adds up those rows in two GROUP BY queries — overdue and aging worked out from
each row's deadline and today as it adds — and reads the median from the items. Nothing loads item
rows into Python, a page runs a fixed number of queries whatever the data size (tests count them),
and reading never writes, locks or commits.

Rules that the figures follow (domain.md §5, §8):
- Scope: always `access.item_clause(user, RectificationItem)` — a city viewer's counties, a county
  coordinator's county, a team's counties, or the whole province.
- Period: the campaign (None = all campaigns) and an optional range of *issue* dates, in Beijing.
- Overdue and aging: rectification/date_rules.py (its SQL twins), against `Filters.today`, today in
  Beijing decided once in Python per request, so both databases and every query of a page agree.
- Closed: the item's *current* status is 已销号. An item reopened after closure counts as open
  again (its closed_at is cleared by the lifecycle), and its reopen count is kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from operator import add

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from inspect_app import access
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.dashboard import rollups
from inspect_app.dashboard.models import ALL_COUNTIES, FIGURES
from inspect_app.extensions import db, utcnow
from inspect_app.org.models import Region, ResponsibleUnit
from inspect_app.rectification import date_rules
from inspect_app.rectification.date_rules import end_of_day_utc, start_of_day_utc
from inspect_app.rectification.lifecycle import AGING_LABELS, Status
from inspect_app.rectification.models import ProblemList, RectificationItem as Item
from inspect_app.visits import scoring
from inspect_app.visits.models import RectificationType, Severity, SiteVisit, VisitStatus

# County ranking colours (红黄绿): red when more than RED_OVERDUE_RATE of the items are overdue or
# fewer than RED_CLOSURE_RATE are closed; green when at least GREEN_CLOSURE_RATE are closed and
# none is overdue; amber otherwise.
RED_OVERDUE_RATE = 0.10
RED_CLOSURE_RATE = 0.50
GREEN_CLOSURE_RATE = 0.80
RAG_LABELS = {"red": "红", "amber": "黄", "green": "绿"}

GROUPS = {"city": "市（州）", "county": "县（市、区）", "team": "核查组", "category": "问题类别",
          "severity": "严重程度", "type": "整改类型", "unit": "责任单位"}
AGING_BUCKETS = date_rules.AGING_BUCKETS


def now() -> datetime:
    """The current instant (a seam for tests that fix the clock)."""
    return utcnow()


def today() -> date:
    """Today in Beijing: what "overdue" and the aging buckets are measured against."""
    return date_rules.today(now())


@dataclass(frozen=True)
class Filters:
    """What the figures cover, on top of the user's scope."""

    campaign_id: int | None = None      # None: every campaign
    date_from: date | None = None       # items issued on or after this Beijing date
    date_to: date | None = None         # … and on or before this one
    city_id: int | None = None          # drill-down: one city's counties
    county_id: int | None = None        # drill-down: one county
    today: date = field(default_factory=lambda: today())   # Beijing "today" for overdue and aging

    def narrowed(self, **changes) -> "Filters":
        return replace(self, **changes)


@dataclass
class Figures:
    """The closure figures of one set of items (the scope, or one group of a breakdown)."""

    issued: int = 0
    closed: int = 0
    pending: int = 0
    in_progress: int = 0
    submitted: int = 0
    overdue: int = 0
    returns: int = 0
    reopens: int = 0
    aging: dict[str, int] = field(default_factory=dict)
    median_days: float | None = None

    @property
    def open(self) -> int:
        return self.issued - self.closed

    @property
    def closure_rate(self) -> float:
        return self.closed / self.issued if self.issued else 0.0

    @property
    def overdue_rate(self) -> float:
        return self.overdue / self.issued if self.issued else 0.0

    @property
    def rag(self) -> str:
        if self.overdue_rate > RED_OVERDUE_RATE or self.closure_rate < RED_CLOSURE_RATE:
            return "red"
        if self.closure_rate >= GREEN_CLOSURE_RATE and self.overdue == 0:
            return "green"
        return "amber"

    def as_dict(self) -> dict:
        return {"issued": self.issued, "closed": self.closed, "closure_rate": round(self.closure_rate, 4),
                "pending": self.pending, "in_progress": self.in_progress, "submitted": self.submitted,
                "overdue": self.overdue, "overdue_rate": round(self.overdue_rate, 4),
                "returns": self.returns, "reopens": self.reopens}


@dataclass
class GroupRow:
    """One row of a breakdown: a city, county, team, category, severity, type or unit."""

    key: str
    name: str
    figures: Figures


# ---------------------------------------------------------------- building blocks

def where(user, filters: Filters) -> sa.ColumnElement[bool]:
    """The WHERE clause of the figures read from the items themselves (median, lists, periods): the
    user's scope, then the campaign, period and drill-down."""
    conditions = [access.item_clause(user, Item)]
    if filters.campaign_id:
        conditions.append(Item.campaign_id == filters.campaign_id)
    if filters.date_from:
        conditions.append(Item.issued_at >= start_of_day_utc(filters.date_from))
    if filters.date_to:
        conditions.append(Item.issued_at < end_of_day_utc(filters.date_to))
    return sa.and_(*conditions, _drill(Item.county_id, filters))


def _drill(county_column, filters: Filters) -> sa.ColumnElement[bool]:
    if filters.county_id:
        return county_column == filters.county_id
    if filters.city_id:
        return county_column.in_(sa.select(Region.id).where(Region.parent_id == filters.city_id))
    return sa.true()


def _count_if(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


# ---------------------------------------------------------------- reading the rollups

def _source(user, filters: Filters):
    """The rollup rows to add up (columns: rollups.KEY and MEASURES).

    Normally the stored closure_rollups. For a user whose item scope is not a set of counties (a unit
    responder sees only their unit's items) it is the same rows computed on the fly from the items
    the user may see — exact, only slower."""
    if access.item_scope_is_counties(user):
        return rollups.rollup_table.alias("r")
    return rollups.contributions(access.item_clause(user, Item)).subquery("r")


def _rollup_where(user, filters: Filters, src, every_county: bool = False) -> sa.ColumnElement[bool]:
    """The scope, campaign, issue period and drill-down, on rollup rows (issue days are Beijing days,
    exactly the items' issued_at ranges that `where` uses). `every_county`: read the rows summed over
    all counties instead (only when the user sees every county and no drill-down narrows it)."""
    if every_county:
        conditions = [src.c.county_id == ALL_COUNTIES]
    else:
        conditions = [src.c.county_id != ALL_COUNTIES,
                      access.campaign_county_clause(user, src.c.campaign_id, src.c.county_id),
                      _drill(src.c.county_id, filters)]
    if filters.campaign_id:
        conditions.append(src.c.campaign_id == filters.campaign_id)
    if filters.date_from:
        conditions.append(src.c.issued_day >= filters.date_from)
    if filters.date_to:
        conditions.append(src.c.issued_day <= filters.date_to)
    return sa.and_(*conditions)


def _every_county(user, filters: Filters) -> bool:
    return access.sees_every_county(user) and not filters.county_id and not filters.city_id


def _vector(row) -> list[int]:
    """A row's figures in FIGURES order, as a list to add into."""
    m = row._mapping
    return [int(m[name] or 0) for name in FIGURES]


def _add(totals: dict, key, vector: list[int]) -> None:
    """Add `vector` into `totals[key]` (figures in FIGURES order)."""
    found = totals.get(key)
    totals[key] = list(vector) if found is None else list(map(add, found, vector))


def _figures(vector) -> Figures:
    """Figures from a vector in FIGURES order (the unpacking below is that order)."""
    issued, pending, in_progress, submitted, closed, overdue, le10, le20, gt20, returns, reopens, _timed = \
        map(int, vector)
    return Figures(issued=issued, closed=closed, pending=pending, in_progress=in_progress, submitted=submitted,
                   overdue=overdue, returns=returns, reopens=reopens,
                   aging={"overdue": overdue, "le10": le10, "le20": le20, "gt20": gt20})


@dataclass
class Places:
    """Figures summed by place: the whole scope, each county, city and team."""

    total: Figures
    counties: list[GroupRow]
    cities: list[GroupRow]
    teams: list[GroupRow]
    timed: int          # items with a close_seconds in the scope: the median's count

    def group(self, name: str) -> list[GroupRow]:
        """The rows of one place breakdown (one of PLACE_GROUPS)."""
        return {"city": self.cities, "county": self.counties, "team": self.teams}[name]


def _places(user, filters: Filters, src) -> Places:
    """One query: the per-county "all" rollup rows summed per county and team (the county's problem
    list of that campaign), the county, city and team names joined onto the sums; added up in
    Python into the scope's total, the cities and the teams (sums of disjoint groups are exact).
    Core tables, not ORM entities: nothing here needs objects, and column adaptation is costly."""
    lists, teams = ProblemList.__table__, Team.__table__
    county, city = Region.__table__.alias("county"), Region.__table__.alias("city")
    joined = src.outerjoin(lists, sa.and_(lists.c.campaign_id == src.c.campaign_id,
                                          lists.c.county_id == src.c.county_id,
                                          lists.c.sequence == 1))   # the team: one row per county
    sums = sa.select(src.c.county_id, lists.c.team_id, *rollups.figures(src, filters.today)) \
        .select_from(joined).where(src.c.dim == "all", _rollup_where(user, filters, src)) \
        .group_by(src.c.county_id, lists.c.team_id).subquery("sums")
    stmt = sa.select(county.c.code, county.c.name, city.c.code, city.c.name, sums.c.team_id, teams.c.name,
                     *(sums.c[name] for name in FIGURES)) \
        .select_from(sums.join(county, county.c.id == sums.c.county_id)
                     .outerjoin(city, city.c.id == county.c.parent_id)
                     .outerjoin(teams, teams.c.id == sums.c.team_id))
    total, counties, cities, by_team, names = [0] * len(FIGURES), {}, {}, {}, {}
    for county_code, county_name, city_code, city_name, team_id, team_name, *vector in \
            db.session.execute(stmt).tuples():
        total = list(map(add, total, vector))
        _add(counties, county_code, vector)
        names[county_code] = county_name
        if city_code is not None:
            _add(cities, city_code, vector)
            names[city_code] = city_name
        team = "" if team_id is None else str(team_id)
        _add(by_team, team, vector)
        names["team", team] = team_name or "未分配核查组"
    return Places(_figures(total),
                  [GroupRow(k, names[k], _figures(v)) for k, v in sorted(counties.items())],
                  [GroupRow(k, names[k], _figures(v)) for k, v in sorted(cities.items())],
                  sorted((GroupRow(k, names["team", k], _figures(v)) for k, v in by_team.items()),
                         key=lambda r: (r.key == "", r.name)), timed=total[FIGURES.index("timed")])


def _dimensions(user, filters: Filters, dims: tuple[str, ...], src) -> dict[str, list[GroupRow]]:
    """One query: the rollup rows of the breakdowns `dims` (category, severity, type, unit,
    closed_week) summed per value, named and ordered for display. A province-wide view reads the rows
    already summed over every county."""
    every = _every_county(user, filters) and set(dims) <= set(rollups.TOTAL_DIMENSIONS)
    stmt = sa.select(src.c.dim, src.c.value, *rollups.figures(src, filters.today)) \
        .where(src.c.dim.in_(dims), _rollup_where(user, filters, src, every)) \
        .group_by(src.c.dim, src.c.value)
    found: dict[str, dict[str, list[int]]] = {dim: {} for dim in dims}
    for row in db.session.execute(stmt):
        _add(found[row.dim], row.value, _vector(row))
    return {dim: _named(dim, {value: _figures(v) for value, v in values.items()}) for dim, values in found.items()}


def _issued_weeks(user, filters: Filters, src) -> dict[date, int]:
    """Items issued per ISO week (Beijing Mondays): one query summing the "all" rows per issue day."""
    every = _every_county(user, filters)
    stmt = sa.select(src.c.issued_day, sa.func.sum(src.c.issued).label("n")) \
        .where(src.c.dim == "all", _rollup_where(user, filters, src, every)) \
        .group_by(src.c.issued_day)
    weeks: dict[date, int] = {}
    for row in db.session.execute(stmt):
        day = _as_date(row.issued_day)
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + int(row.n or 0)
    return weeks


def _named(dim: str, values: dict[str, Figures]) -> list[GroupRow]:
    if dim in ("severity", "type"):
        enum = Severity if dim == "severity" else RectificationType
        members = [m for m in enum if m.name in values]
        return [GroupRow(m.value, m.label, values[m.name]) for m in members]
    if dim == "unit":
        names = _unit_names(values)
        rows = sorted((GroupRow(v, names.get(int(v), ""), f) for v, f in values.items() if v), key=lambda r: r.name)
        return rows + ([GroupRow("", "未指派", values[""])] if "" in values else [])
    return [GroupRow(v, v, values[v]) for v in sorted(values)]


def _unit_names(values) -> dict[int, str]:
    """Responsible unit names by id, for unit rollup values (unit ids as text; "" = unassigned): one query."""
    ids = [int(v) for v in values if v]
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(ResponsibleUnit.id, ResponsibleUnit.name)
                                   .where(ResponsibleUnit.id.in_(ids))).all())


# ---------------------------------------------------------------- the figures

def headline(user, filters: Filters) -> Figures:
    """Items issued, closed, in progress, waiting for acceptance, overdue, returns, aging buckets and
    the median days to close."""
    places = _places(user, filters, _source(user, filters))
    places.total.median_days = median_days_to_close(user, filters, places.timed)
    return places.total


def median_days_to_close(user, filters: Filters, count: int | None = None) -> float | None:
    """The median days from issue to closure of the closed items (the mean of the two middle values
    for an even count), read from the items, since a median does not add up: the one or two middle
    close_seconds in order — on a province-wide page the (campaign, close_seconds) index hands them
    over without sorting. `count`: how many items in the scope have a close_seconds, when the
    caller already has it from the rollups (their `timed` measure); else it is counted here."""
    closed = sa.and_(where(user, filters), Item.close_seconds.is_not(None))
    if count is None:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Item).where(closed))
    if not count:
        return None
    middle = db.session.scalars(sa.select(Item.close_seconds).where(closed).order_by(Item.close_seconds)
                                .offset((count - 1) // 2).limit(2 - count % 2)).all()
    return round(sum(middle) / len(middle) / 86400, 1)


PLACE_GROUPS = ("city", "county", "team")


def breakdown(user, filters: Filters, group: str) -> list[GroupRow]:
    """Figures per city, county, team, category, severity, rectification type or unit, in a stable
    order (by code, name, or the enum's order)."""
    if group in PLACE_GROUPS:
        return _places(user, filters, _source(user, filters)).group(group)
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    return _dimensions(user, filters, (group,), _source(user, filters))[group]


def closure(user, filters: Filters, group: str) -> tuple[Figures, list[GroupRow]]:
    """The headline figures and one breakdown from one read of the rollups (the API, the reports)."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")

    def read(src):
        places = _places(user, filters, src)
        if group in PLACE_GROUPS:
            return places, places.group(group)
        return places, _dimensions(user, filters, (group,), src)[group]

    places, rows = read(_source(user, filters))
    places.total.median_days = median_days_to_close(user, filters, places.timed)
    return places.total, rows


def ranking(rows: list[GroupRow]) -> list[GroupRow]:
    """Counties from best to worst: closure rate, then fewer overdue, then code."""
    return sorted(rows, key=lambda r: (-r.figures.closure_rate, r.figures.overdue_rate, r.key))


@dataclass
class WeekPoint:
    week: date
    issued: int
    closed: int
    issued_total: int
    closed_total: int


def _weeks(issued: dict[date, int], closed: dict[date, int]) -> list[WeekPoint]:
    """Issued and closed per ISO week (Beijing Mondays), with running totals, every week in between."""
    if not issued and not closed:
        return []
    first, last = min(issued | closed), max(issued | closed)
    points, issued_total, closed_total, week = [], 0, 0, first
    while week <= last:
        issued_total += issued.get(week, 0)
        closed_total += closed.get(week, 0)
        points.append(WeekPoint(week, issued.get(week, 0), closed.get(week, 0), issued_total, closed_total))
        week += timedelta(days=7)
    return points


def _closed_weeks(rows: list[GroupRow]) -> dict[date, int]:
    return {date.fromisoformat(r.key): r.figures.closed for r in rows if r.figures.closed}


def burnup(user, filters: Filters) -> list[WeekPoint]:
    """Issued and closed (and still closed) per ISO week, Beijing time, with running totals."""
    def read(src):
        return _issued_weeks(user, filters, src), _dimensions(user, filters, ("closed_week",), src)
    issued, dims = read(_source(user, filters))
    return _weeks(issued, _closed_weeks(dims["closed_week"]))


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ---------------------------------------------------------------- lists and choices

def items_page(user, filters: Filters, bucket: str = "", page: int = 1, per_page: int = 20):
    """One page of the items behind the figures (the last drill-down step), most urgent first.

    `bucket` narrows to an aging bucket (overdue, le10, le20, gt20) or a status (closed, submitted…).
    """
    deadline = date_rules.effective_deadline_sql(Item)
    conditions = {
        **{key: date_rules.aging_clause_sql(key, Item.status, deadline, filters.today)
           for key in (*AGING_BUCKETS, "closed", "open")},
        "submitted": Item.status == Status.SUBMITTED,
        "returned": Item.return_count > 0,
        "reopened": Item.reopen_count > 0,
    }
    # The page shows each item's responsible unit: load them in one query, not one per row.
    stmt = sa.select(Item).options(selectinload(Item.unit)).where(where(user, filters))
    if bucket in conditions:
        stmt = stmt.where(conditions[bucket])
    stmt = stmt.order_by(sa.case((Item.status == Status.CLOSED, 1), else_=0), deadline,
                         Item.number)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def campaigns(user) -> list[Campaign]:
    """The campaigns the user may pick (access.figures_campaign_clause), newest first, for the filter."""
    return list(db.session.execute(sa.select(Campaign).where(access.figures_campaign_clause(user, Campaign.id))
                                   .order_by(Campaign.start_date.desc(), Campaign.id.desc())).scalars())


def aging_labels() -> dict[str, str]:
    return {key: AGING_LABELS[key] for key in AGING_BUCKETS}


def unit_overdue(user, filters: Filters, limit: int = 100) -> list[dict]:
    """Overdue items by county and responsible unit, most first (the report's 超期 table): the unit
    rollup rows, one query."""
    src = _source(user, filters)
    overdue = sa.func.sum(sa.case((date_rules.is_overdue_sql(src.c.status, src.c.deadline, filters.today),
                                   src.c.issued), else_=0))
    stmt = sa.select(Region.code, Region.name, src.c.value, overdue.label("n")) \
        .join(Region, Region.id == src.c.county_id) \
        .where(src.c.dim == "unit", _rollup_where(user, filters, src)) \
        .group_by(Region.code, Region.name, src.c.value).having(overdue > 0) \
        .order_by(sa.desc("n"), Region.code, src.c.value).limit(limit)
    rows = db.session.execute(stmt).all()
    names = _unit_names(r.value for r in rows)
    return [{"county_code": r.code, "county": r.name, "unit": names.get(int(r.value), "") if r.value else "未指派",
             "overdue": int(r.n)} for r in rows]


def period_counts(user, filters: Filters, start: date, end: date) -> dict:
    """Items issued and items closed (and still closed) within the Beijing days start..end,
    whatever their issue date when closed: one query over the items."""
    w = where(user, filters.narrowed(date_from=None, date_to=None))
    lo, hi = start_of_day_utc(start), end_of_day_utc(end)
    row = db.session.execute(sa.select(
        _count_if(sa.and_(Item.issued_at >= lo, Item.issued_at < hi)).label("issued"),
        _count_if(sa.and_(Item.status == Status.CLOSED, Item.closed_at >= lo, Item.closed_at < hi)).label("closed"),
    ).where(w)).one()
    return {"issued": int(row.issued or 0), "closed": int(row.closed or 0)}


# ---------------------------------------------------------------- one page's figures

@dataclass
class Overview:
    """Everything a dashboard page shows, from a fixed handful of queries."""

    headline: Figures
    groups: dict[str, list[GroupRow]]
    burnup: list[WeekPoint]


def overview(user, filters: Filters, level: str) -> Overview:
    """A dashboard page's figures: the rollups summed by place (headline, counties, cities, teams and
    issues per week) and by breakdown value (category, severity, type, the week closed, and at
    county level the responsible unit) — two queries on the summary rows — plus the median."""
    dims = ("category", "severity", "type", "closed_week") + (("unit",) if level == "county" else ())

    def read(src):
        return _places(user, filters, src), _dimensions(user, filters, dims, src), _issued_weeks(user, filters, src)

    places, found, issued = read(_source(user, filters))
    groups: dict[str, list[GroupRow]] = {name: found[name] for name in ("category", "severity", "type")}
    if level == "county":
        groups["unit"] = found["unit"]
    else:
        groups["county"] = ranking(places.counties)
        groups["team"] = places.teams
        if level == "province":
            groups["city"] = places.cities
    headline_figures = places.total
    headline_figures.median_days = median_days_to_close(user, filters, places.timed)
    return Overview(headline_figures, groups, _weeks(issued, _closed_weeks(found["closed_week"])))


@dataclass
class ScoreRow:
    """One county's checklist score in a campaign (inspect_app.visits.scoring): points of its
    submitted visits added up; `vetoed_sites` counts visits with a veto item answered 不符合."""

    code: str
    name: str
    score: scoring.Score
    sites: int
    vetoed_sites: int


def score_ranking(user, filters: Filters) -> list[ScoreRow]:
    """Counties in the user's scope (and the drill-down) ranked by their campaign score, best first.
    Scores belong to one campaign: without a campaign filter there is nothing to rank ([])."""
    if filters.campaign_id is None:
        return []
    stmt = sa.select(Region.code, Region.name, sa.func.sum(SiteVisit.score_points),
                     sa.func.sum(SiteVisit.score_possible), sa.func.count(),
                     sa.func.sum(sa.case((SiteVisit.veto_codes != "", 1), else_=0))) \
        .join(Region, Region.id == SiteVisit.county_id) \
        .where(SiteVisit.campaign_id == filters.campaign_id, SiteVisit.status == VisitStatus.SUBMITTED,
               SiteVisit.score_possible.is_not(None), access.county_clause(user, SiteVisit.county_id)) \
        .group_by(Region.code, Region.name)
    if filters.city_id is not None:
        stmt = stmt.where(Region.parent_id == filters.city_id)
    if filters.county_id is not None:
        stmt = stmt.where(Region.id == filters.county_id)
    rows = [ScoreRow(code, name, scoring.Score(points or 0.0, possible or 0.0), sites, vetoed or 0)
            for code, name, points, possible, sites, vetoed in db.session.execute(stmt)]
    return sorted(rows, key=lambda r: (-(r.score.percent or 0.0), r.code))
