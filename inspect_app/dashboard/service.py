"""The dashboard figures, each computed by one aggregate SQL query over the user's scope.

Nothing here loads item rows into Python: every figure is a COUNT/SUM/percentile in the database,
grouped when a breakdown is asked for. A page runs a fixed number of these queries whatever the
data size (tests count them).

Rules that the figures follow (domain.md §5, §8):
- Scope: always `access.item_clause(user, RectificationItem)` — a city viewer's counties, a county
  coordinator's county, a team's counties, or the whole province.
- Period: the campaign (None = all campaigns) and an optional range of *issue* dates, in Beijing.
- Overdue: not 已销号 and the effective deadline (extended_deadline, else deadline) is before today
  in Beijing — a deadline date means the end of that day. "Today" is computed in Python
  (`today_china(now)`), the comparison is a plain date comparison in SQL, so both databases agree.
- Closed: the item's *current* status is 已销号. An item reopened after closure counts as open
  again (its closed_at is cleared by the lifecycle), and its reopen count is kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from inspect_app import access
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.documents.dates import end_of_day_utc, today_china
from inspect_app.extensions import db, utcnow
from inspect_app.org.models import Region, ResponsibleUnit
from inspect_app.rectification import deadlines
from inspect_app.rectification.lifecycle import AGING_LABELS, Status
from inspect_app.rectification.models import ProblemList, RectificationItem as Item
from inspect_app.visits.models import RectificationType, Severity

# County ranking colours (红黄绿): red when more than RED_OVERDUE_RATE of the items are overdue or
# fewer than RED_CLOSURE_RATE are closed; green when at least GREEN_CLOSURE_RATE are closed and
# none is overdue; amber otherwise.
RED_OVERDUE_RATE = 0.10
RED_CLOSURE_RATE = 0.50
GREEN_CLOSURE_RATE = 0.80
RAG_LABELS = {"red": "红", "amber": "黄", "green": "绿"}

GROUPS = {"city": "市（州）", "county": "县（市、区）", "team": "核查组", "category": "问题类别",
          "severity": "严重程度", "type": "整改类型", "unit": "责任单位"}
AGING_BUCKETS = deadlines.AGING_BUCKETS


def now() -> datetime:
    """The current instant (a seam for tests that fix the clock)."""
    return utcnow()


def today() -> date:
    """Today in Beijing: what "overdue" and the aging buckets are measured against."""
    return today_china(now())


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

    def __add__(self, other: "Figures") -> "Figures":
        """Sum two disjoint sets' figures (counts add up exactly; a median does not, so it is dropped)."""
        names = ("issued", "closed", "pending", "in_progress", "submitted", "overdue", "returns", "reopens")
        total = Figures(**{n: getattr(self, n) + getattr(other, n) for n in names})
        if self.aging or other.aging:
            total.aging = {k: self.aging.get(k, 0) + other.aging.get(k, 0) for k in AGING_BUCKETS}
        return total

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

def start_of_day_utc(day: date) -> datetime:
    """The UTC instant at which the Beijing day `day` begins."""
    return end_of_day_utc(day - timedelta(days=1))


def where(user, filters: Filters) -> sa.ColumnElement[bool]:
    """The WHERE clause of every figure: the user's scope, then the campaign, period and drill-down."""
    conditions = [access.item_clause(user, Item)]
    if filters.campaign_id:
        conditions.append(Item.campaign_id == filters.campaign_id)
    if filters.date_from:
        conditions.append(Item.issued_at >= start_of_day_utc(filters.date_from))
    if filters.date_to:
        conditions.append(Item.issued_at < end_of_day_utc(filters.date_to))
    if filters.county_id:
        conditions.append(Item.county_id == filters.county_id)
    elif filters.city_id:
        conditions.append(Item.county_id.in_(sa.select(Region.id).where(Region.parent_id == filters.city_id)))
    return sa.and_(*conditions)


effective_deadline = deadlines.effective_deadline
overdue_condition = deadlines.overdue


def _count_if(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _measures(today: date, aging: bool = False) -> list:
    """The aggregate columns every figure set is made of."""
    columns = [
        sa.func.count(Item.id).label("issued"),
        _count_if(Item.status == Status.CLOSED).label("closed"),
        _count_if(Item.status == Status.PENDING).label("pending"),
        _count_if(Item.status == Status.IN_PROGRESS).label("in_progress"),
        _count_if(Item.status == Status.SUBMITTED).label("submitted"),
        _count_if(overdue_condition(today)).label("overdue"),
        sa.func.coalesce(sa.func.sum(Item.return_count), 0).label("returns"),
        sa.func.coalesce(sa.func.sum(Item.reopen_count), 0).label("reopens"),
    ]
    if aging:
        columns += [_count_if(deadlines.bucket(key, today)).label(key) for key in ("le10", "le20", "gt20")]
    return columns


def _figures(row) -> Figures:
    m = row._mapping
    figures = Figures(**{k: int(m[k] or 0) for k in ("issued", "closed", "pending", "in_progress", "submitted",
                                                     "overdue", "returns", "reopens")})
    if "le10" in m:
        figures.aging = {"overdue": figures.overdue, "le10": int(m["le10"] or 0), "le20": int(m["le20"] or 0),
                         "gt20": int(m["gt20"] or 0)}
    return figures


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def days_to_close():
    """Fractional days from issue to closure, in SQL."""
    if _dialect() == "postgresql":
        return sa.extract("epoch", Item.closed_at - Item.issued_at) / 86400.0
    return sa.func.julianday(Item.closed_at) - sa.func.julianday(Item.issued_at)


def week_start(column):
    """The Monday (Beijing) of the ISO week an instant falls in, in SQL."""
    if _dialect() == "postgresql":
        return sa.cast(sa.func.date_trunc("week", column + sa.text("interval '8 hours'")), sa.Date)
    return sa.func.date(column, "+8 hours", "weekday 0", "-6 days")


# ---------------------------------------------------------------- the figures

def headline(user, filters: Filters) -> Figures:
    """Items issued, closed, in progress, waiting for acceptance, overdue, returns, aging buckets and
    the median days to close: two queries."""
    row = db.session.execute(sa.select(*_measures(filters.today, aging=True)).where(where(user, filters))).one()
    figures = _figures(row)
    figures.median_days = median_days_to_close(user, filters)
    return figures


def median_days_to_close(user, filters: Filters) -> float | None:
    """The median days from issue to closure of the closed items: percentile_cont on PostgreSQL, a
    ROW_NUMBER/COUNT window on SQLite (which has no percentile); both give the mean of the two
    middle values for an even count."""
    days = days_to_close()
    closed = sa.and_(where(user, filters), Item.status == Status.CLOSED, Item.closed_at.is_not(None))
    if _dialect() == "postgresql":
        value = db.session.scalar(sa.select(sa.func.percentile_cont(0.5).within_group(days)).where(closed))
    else:
        ranked = sa.select(days.label("v"),
                           sa.func.row_number().over(order_by=days).label("rn"),
                           sa.func.count().over().label("n")).where(closed).subquery()
        value = db.session.scalar(sa.select(sa.func.avg(ranked.c.v)).where(
            ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])))
    return None if value is None else round(float(value), 1)


def breakdown(user, filters: Filters, group: str) -> list[GroupRow]:
    """Figures per city, county, team, category, severity, rectification type or unit: one GROUP BY
    query, rows in a stable order (by code or name)."""
    measures = _measures(filters.today)
    w = where(user, filters)
    if group == "county":
        stmt = sa.select(Region.code, Region.name, *measures).join(Region, Region.id == Item.county_id) \
            .where(w).group_by(Region.id, Region.code, Region.name).order_by(Region.code)
    elif group == "city":
        county, city = aliased(Region), aliased(Region)
        stmt = sa.select(city.code, city.name, *measures).join(county, county.id == Item.county_id) \
            .join(city, city.id == county.parent_id).where(w) \
            .group_by(city.id, city.code, city.name).order_by(city.code)
    elif group == "team":
        stmt = sa.select(sa.cast(Team.id, sa.String), sa.func.coalesce(Team.name, "未分配核查组"), *measures) \
            .join(ProblemList, ProblemList.id == Item.problem_list_id) \
            .outerjoin(Team, Team.id == ProblemList.team_id).where(w) \
            .group_by(Team.id, Team.name).order_by(Team.name)
    elif group == "unit":
        stmt = sa.select(sa.cast(ResponsibleUnit.id, sa.String),
                         sa.func.coalesce(ResponsibleUnit.name, "未指派"), *measures) \
            .outerjoin(ResponsibleUnit, ResponsibleUnit.id == Item.unit_id).where(w) \
            .group_by(ResponsibleUnit.id, ResponsibleUnit.name).order_by(ResponsibleUnit.name)
    elif group in ("category", "severity", "type"):
        column = {"category": Item.category, "severity": Item.severity, "type": Item.rectification_type}[group]
        stmt = sa.select(column.label("key"), column.label("name"), *measures).where(w) \
            .group_by(column).order_by(column)
    else:
        raise ValueError(f"unknown group {group!r}")
    rows = []
    for row in db.session.execute(stmt):
        key, name = row[0], row[1]
        if isinstance(key, (Severity, RectificationType)):
            key, name = key.value, key.label
        rows.append(GroupRow(key="" if key is None else str(key), name=name, figures=_figures(row)))
    if group == "severity":
        order = [s.value for s in Severity]
        rows.sort(key=lambda r: order.index(r.key) if r.key in order else 99)
    if group == "type":
        order = [t.value for t in RectificationType]
        rows.sort(key=lambda r: order.index(r.key) if r.key in order else 99)
    return rows


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


def burnup(user, filters: Filters) -> list[WeekPoint]:
    """Issued and closed per ISO week (Beijing), with running totals: one UNION ALL of two GROUP BYs."""
    w = where(user, filters)
    issued_week, closed_week = week_start(Item.issued_at), week_start(Item.closed_at)
    stmt = sa.union_all(
        sa.select(sa.literal("i").label("kind"), issued_week.label("week"), sa.func.count().label("n"))
        .where(w).group_by(issued_week),
        sa.select(sa.literal("c").label("kind"), closed_week.label("week"), sa.func.count().label("n"))
        .where(w, Item.status == Status.CLOSED, Item.closed_at.is_not(None)).group_by(closed_week))
    issued, closed = {}, {}
    for kind, week, n in db.session.execute(stmt):
        if week is not None:
            (issued if kind == "i" else closed)[_as_date(week)] = n
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
    today = filters.today
    eff = effective_deadline()
    conditions = {
        **{key: deadlines.bucket(key, today) for key in (*AGING_BUCKETS, "closed", "open")},
        "submitted": Item.status == Status.SUBMITTED,
        "returned": Item.return_count > 0,
        "reopened": Item.reopen_count > 0,
    }
    stmt = sa.select(Item).where(where(user, filters))
    if bucket in conditions:
        stmt = stmt.where(conditions[bucket])
    stmt = stmt.order_by(sa.case((Item.status == Status.CLOSED, 1), else_=0), eff, Item.number)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def campaigns() -> list[Campaign]:
    """Every campaign, newest first, for the filter."""
    return list(db.session.execute(sa.select(Campaign).order_by(Campaign.start_date.desc(), Campaign.id.desc()))
                .scalars())


def aging_labels() -> dict[str, str]:
    return {key: AGING_LABELS[key] for key in AGING_BUCKETS}


def unit_overdue(user, filters: Filters, limit: int = 100) -> list[dict]:
    """Overdue items by county and responsible unit, most first (the report's 超期 table)."""
    stmt = sa.select(Region.code, Region.name, sa.func.coalesce(ResponsibleUnit.name, "未指派"),
                     sa.func.count(Item.id).label("n")) \
        .join(Region, Region.id == Item.county_id) \
        .outerjoin(ResponsibleUnit, ResponsibleUnit.id == Item.unit_id) \
        .where(where(user, filters), overdue_condition(filters.today)) \
        .group_by(Region.code, Region.name, ResponsibleUnit.name) \
        .order_by(sa.desc("n"), Region.code).limit(limit)
    return [{"county_code": c, "county": n, "unit": u, "overdue": k} for c, n, u, k in db.session.execute(stmt)]


def period_counts(user, filters: Filters, start: date, end: date) -> dict:
    """Items issued and items closed (and still closed) within the Beijing days start..end,
    whatever their issue date when closed: one query."""
    w = where(user, filters.narrowed(date_from=None, date_to=None))
    lo, hi = start_of_day_utc(start), end_of_day_utc(end)
    row = db.session.execute(sa.select(
        _count_if(sa.and_(Item.issued_at >= lo, Item.issued_at < hi)).label("issued"),
        _count_if(sa.and_(Item.status == Status.CLOSED, Item.closed_at >= lo, Item.closed_at < hi)).label("closed"),
    ).where(w)).one()
    return {"issued": int(row.issued or 0), "closed": int(row.closed or 0)}


# ---------------------------------------------------------------- one page's figures in few scans

@dataclass
class Overview:
    """Everything a dashboard page shows, from a fixed handful of queries."""

    headline: Figures
    groups: dict[str, list[GroupRow]]
    burnup: list[WeekPoint]


def overview(user, filters: Filters, level: str) -> Overview:
    """A dashboard page's figures with as few passes over the items as possible:

    1. one GROUP BY (county, team) with the aging buckets — summed, it gives the headline, the
       counties, the cities and the teams (sums of disjoint groups are exact);
    2. one GROUP BY (category, severity, type) — rolled up into the three breakdowns;
    3. the median days to close; 4. the weekly burn-up; plus the city names (a tiny lookup).
    At county level the responsible units replace cities, counties and teams.
    """
    today = filters.today
    w = where(user, filters)
    groups: dict[str, list[GroupRow]] = {}
    if level == "county":
        stmt = sa.select(sa.cast(ResponsibleUnit.id, sa.String), sa.func.coalesce(ResponsibleUnit.name, "未指派"),
                         *_measures(today, aging=True)) \
            .outerjoin(ResponsibleUnit, ResponsibleUnit.id == Item.unit_id).where(w) \
            .group_by(ResponsibleUnit.id, ResponsibleUnit.name).order_by(ResponsibleUnit.name)
        units = [GroupRow("" if row[0] is None else row[0], row[1], _figures(row)) for row in db.session.execute(stmt)]
        groups["unit"] = units
        headline_figures = sum((u.figures for u in units), Figures(aging=dict.fromkeys(AGING_BUCKETS, 0)))
    else:
        stmt = sa.select(Region.code, Region.name, Region.parent_id, Team.id.label("team_id"),
                         sa.func.coalesce(Team.name, "未分配核查组").label("team_name"),
                         *_measures(today, aging=True)) \
            .join(Region, Region.id == Item.county_id) \
            .join(ProblemList, ProblemList.id == Item.problem_list_id) \
            .outerjoin(Team, Team.id == ProblemList.team_id).where(w) \
            .group_by(Region.code, Region.name, Region.parent_id, Team.id, Team.name)
        counties: dict[str, GroupRow] = {}
        cities: dict[int, Figures] = {}
        teams: dict[str, GroupRow] = {}
        headline_figures = Figures(aging=dict.fromkeys(AGING_BUCKETS, 0))
        for row in db.session.execute(stmt):
            f = _figures(row)
            headline_figures = headline_figures + f
            code, name, parent_id, team_id, team_name = row[:5]
            county = counties.setdefault(code, GroupRow(code, name, Figures()))
            county.figures = county.figures + f
            cities[parent_id] = cities.get(parent_id, Figures()) + f
            team_key = "" if team_id is None else str(team_id)
            team = teams.setdefault(team_key, GroupRow(team_key, team_name, Figures()))
            team.figures = team.figures + f
        groups["county"] = ranking(list(counties.values()))
        groups["team"] = sorted(teams.values(), key=lambda r: (r.key == "", r.name))
        if level == "province":
            names = {rid: (code, name) for rid, code, name in db.session.execute(
                sa.select(Region.id, Region.code, Region.name).where(Region.id.in_(list(cities))))} if cities else {}
            groups["city"] = sorted((GroupRow(names[cid][0], names[cid][1], f) for cid, f in cities.items()
                                     if cid in names), key=lambda r: r.key)
    groups.update(_dimension_rollups(user, filters, w))
    headline_figures.median_days = median_days_to_close(user, filters)
    return Overview(headline_figures, groups, burnup(user, filters))


def _dimension_rollups(user, filters: Filters, w) -> dict[str, list[GroupRow]]:
    """Category, severity and rectification type from one GROUP BY over the three columns."""
    stmt = sa.select(Item.category, Item.severity, Item.rectification_type, *_measures(filters.today)) \
        .where(w).group_by(Item.category, Item.severity, Item.rectification_type)
    rolled: dict[str, dict] = {"category": {}, "severity": {}, "type": {}}
    for row in db.session.execute(stmt):
        f = _figures(row)
        for group, value in (("category", row[0]), ("severity", row[1]), ("type", row[2])):
            key = value.value if hasattr(value, "value") else str(value)
            name = value.label if hasattr(value, "label") else str(value)
            entry = rolled[group].get(key)
            rolled[group][key] = GroupRow(key, name, f if entry is None else entry.figures + f)
    orders = {"severity": [s.value for s in Severity], "type": [t.value for t in RectificationType]}
    out = {}
    for group, entries in rolled.items():
        order = orders.get(group)
        out[group] = sorted(entries.values(), key=(lambda r: order.index(r.key)) if order else (lambda r: r.key))
    return out
