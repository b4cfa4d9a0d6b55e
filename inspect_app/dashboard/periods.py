"""Figures of a week or a month as they stood at its end, computed from the items' status history.

A 周报 or 月报 must say the same thing whenever it is downloaded: the October report read in December
gives the figures of 1 November 00:00 Beijing. So the figures are not read from an item's *current*
status but from `item_history`, where every issue (action "issue", to_status 待整改) and every
lifecycle step (from_status → to_status, at) is recorded (rectification/service.py,
problem_lists/service.py). Of the item row only its county, unit and original deadline are read —
and its status and closed_at to leave out, before counting overdue, items closed for good before
the previous period began (exact while the lifecycle is the only writer of statuses).

Two queries per report, whatever the data size:
- `_flows`: one pass over the history rows of the items in scope, counting the steps per (county,
  unit, action, from, to, slice of time). From those counts: the number of items in a status X at
  an instant T is the steps into X before T minus the steps out of X before T (a step that stays in
  X changes nothing); issued is the count of "issue" rows before T; within each period, what
  happened: issued, closed (steps into 已销号), returned, extended (approved extensions), reopened.
- `_overdue`: for the items whose original deadline is already past at the period's end (the only
  ones that can be overdue then, since extensions only move a deadline later), whether each was
  issued and closed and its effective deadline at each instant, from one aggregate of its history
  rows; counted per (county, unit) as overdue at the end, at the start, and newly overdue within
  each period.

Rules (domain.md §5, §8; the date rules are rectification/date_rules.py's: `Period`, `period_of`,
`period_as_of`, `beijing_date`, `past_deadline`):
- Periods are Beijing days: a week is ISO Monday–Sunday, a month the calendar month; the period's
  end is the next Beijing midnight. A running period ends now.
- Overdue at an instant T: issued and not 已销号 at T, and the effective deadline (the last approved
  extension or reopen date recorded before T, else the deadline given at issue) is before the
  Beijing date of T — a deadline date means the end of that day, as on the dashboard.
- The responsible unit of an item is its current one (unit changes are not replayed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from inspect_app import access
from inspect_app.extensions import db
from inspect_app.org.models import Region, ResponsibleUnit
from inspect_app.rectification import date_rules
from inspect_app.rectification.lifecycle import Action, Status
from inspect_app.rectification.models import ItemHistory as History, RectificationItem as Item

STATUSES = (Status.PENDING, Status.IN_PROGRESS, Status.SUBMITTED, Status.CLOSED)
DEADLINE_ACTIONS = (Action.APPROVE_EXTENSION.value, Action.REOPEN.value)   # rows that may set new_deadline


# ---------------------------------------------------------------- the date rules of a period
# They live with every other date rule in rectification/date_rules.py; the report's names for them:

Period = date_rules.Period
period_of = date_rules.period_of
as_of = date_rules.period_as_of


# ---------------------------------------------------------------- figures

@dataclass
class Snapshot:
    """Items as they stood at one instant."""

    issued: int = 0
    closed: int = 0
    pending: int = 0
    in_progress: int = 0
    submitted: int = 0
    overdue: int = 0

    @property
    def closure_rate(self) -> float:
        return self.closed / self.issued if self.issued else 0.0

    @property
    def overdue_rate(self) -> float:
        return self.overdue / self.issued if self.issued else 0.0


@dataclass
class Flow:
    """What happened within one period (counts of steps; newly_overdue counts items)."""

    issued: int = 0
    closed: int = 0
    newly_overdue: int = 0
    returned: int = 0
    extended: int = 0
    reopened: int = 0


@dataclass
class PeriodRow:
    """One place (the scope, a city, a county or a unit): the end of this period and of the previous
    one, and the flows of both."""

    key: str
    name: str
    end: Snapshot = field(default_factory=Snapshot)
    previous_end: Snapshot = field(default_factory=Snapshot)
    flow: Flow = field(default_factory=Flow)
    previous_flow: Flow = field(default_factory=Flow)

    def add(self, other: "PeriodRow") -> None:
        for mine, theirs in ((self.end, other.end), (self.previous_end, other.previous_end),
                             (self.flow, other.flow), (self.previous_flow, other.previous_flow)):
            for name in mine.__dataclass_fields__:
                setattr(mine, name, getattr(mine, name) + getattr(theirs, name))

    @property
    def closure_rate_change(self) -> float:
        """环比 of the closure rate, in percentage points (fraction: 0.05 = +5.0 个百分点)."""
        return self.end.closure_rate - self.previous_end.closure_rate


@dataclass
class PeriodFigures:
    """The report's figures: the total and the (county, unit) rows it adds up, named."""

    total: PeriodRow
    cells: list[tuple[int, int | None, PeriodRow]]     # (county id, unit id or None, figures)

    def by(self, level: str) -> list[PeriodRow]:
        """Rows per "city", "county" or "unit" (by code / name; "" = 未指派 unit last)."""
        regions = _regions({county for county, _unit, _row in self.cells})
        units = _units({unit for _county, unit, _row in self.cells if unit is not None}) if level == "unit" else {}
        rows: dict[str, PeriodRow] = {}
        for county_id, unit_id, cell in self.cells:
            county = regions[county_id]
            if level == "county":
                key, name = county.code, county.name
            elif level == "city":
                parent = county.parent
                key, name = (parent.code, parent.name) if parent is not None else ("", "未知")
            else:
                key, name = (str(unit_id), units.get(unit_id, "")) if unit_id is not None else ("", "未指派")
            rows.setdefault(key, PeriodRow(key, name)).add(cell)
        ordered = sorted(rows.values(), key=lambda r: (r.key == "", r.name if level == "unit" else r.key))
        return ordered


def _regions(ids: set[int]) -> dict[int, Region]:
    if not ids:
        return {}
    return {r.id: r for r in db.session.execute(sa.select(Region).where(Region.id.in_(ids))).scalars()}


def _units(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(ResponsibleUnit.id, ResponsibleUnit.name)
                                   .where(ResponsibleUnit.id.in_(ids))).all())


# ---------------------------------------------------------------- the queries

def _sum(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


FLOW_ACTIONS = {"issue": "issued", Action.RETURN.value: "returned", Action.APPROVE_EXTENSION.value: "extended",
                Action.REOPEN.value: "reopened"}
SNAPSHOT_FIELDS = {Status.PENDING: "pending", Status.IN_PROGRESS: "in_progress", Status.SUBMITTED: "submitted",
                   Status.CLOSED: "closed"}


def _places(by_unit: bool) -> list:
    """The columns the figures are counted per: the county, and the responsible unit when asked."""
    return [Item.county_id, Item.unit_id if by_unit else sa.null().label("unit_id")]


def _flows(where, instants: tuple[datetime, datetime, datetime],
           by_unit: bool = True) -> dict[tuple[int, int | None], PeriodRow]:
    """One pass over the history: per (county, unit) the snapshots at the previous and this period's
    end (status counts only) and both periods' flows. `instants`: (previous start, start, as_of).

    The database only counts the steps per (county, unit, action, from, to, slice) — the slice being
    before the previous period (0), within it (1), or within this one (2) — and the snapshots and
    flows are folded from those few counts here: a status count at an instant is the steps into it
    minus the steps out of it before then; issued counts the "issue" rows."""
    first, start, end = instants
    part = sa.case((History.at < first, 0), (History.at < start, 1), else_=2).label("part")
    places = _places(by_unit)
    stmt = sa.select(*places, History.action, History.from_status, History.to_status, part,
                     sa.func.count()).select_from(History) \
        .join(Item, Item.id == History.item_id).where(where, History.at < end) \
        .group_by(*places[:1 + by_unit], History.action, History.from_status, History.to_status, part)
    cells: dict[tuple[int, int | None], PeriodRow] = {}
    for county_id, unit_id, action, before, after, part_no, n in db.session.execute(stmt).tuples():
        row = cells.get((county_id, unit_id))
        if row is None:
            row = cells[county_id, unit_id] = PeriodRow("", "")
        for snap in ((row.previous_end, row.end) if part_no < 2 else (row.end,)):   # the ends: all before
            _step(snap, action, before, after, n)
        if part_no == 0:
            continue
        _count_flow(row.previous_flow if part_no == 1 else row.flow, action, before, after, n)
    return cells


def _step(snap: Snapshot, action: str, before: Status | None, after: Status | None, n: int) -> None:
    """Add `n` steps from `before` to `after` into a snapshot's status counts."""
    if action == "issue":
        snap.issued += n
    if after is not None and after != before:
        setattr(snap, SNAPSHOT_FIELDS[after], getattr(snap, SNAPSHOT_FIELDS[after]) + n)
        if before is not None:
            setattr(snap, SNAPSHOT_FIELDS[before], getattr(snap, SNAPSHOT_FIELDS[before]) - n)


def _count_flow(flow: Flow, action: str, before: Status | None, after: Status | None, n: int) -> None:
    """Add `n` steps into a period's flows (issued, closed, returned, extended, reopened)."""
    if action in FLOW_ACTIONS:
        name = FLOW_ACTIONS[action]
        setattr(flow, name, getattr(flow, name) + n)
    if after is Status.CLOSED and before is not Status.CLOSED:
        flow.closed += n


def _overdue(where, instants: tuple[datetime, datetime, datetime],
             by_unit: bool = True) -> dict[tuple[int, int | None], tuple]:
    """Per (county, unit): overdue at the previous period's end and at this one's, and the items
    newly overdue within each period (overdue at its end, not at its start).

    One aggregate per item over its history rows before the end: issued at each instant (its issue
    row), closed at each instant (steps into 已销号 minus steps out), and the effective deadline at
    each instant — the latest new_deadline recorded before it (deadlines only ever move later, so the
    latest is the largest; ISO text compares as dates), else the deadline given at issue. Only items
    that can be overdue at some instant take part: their original deadline is past at the end, and
    they were not closed for good before the first instant."""
    first, _start, end = instants
    into_closed = sa.and_(History.to_status == Status.CLOSED,
                          sa.or_(History.from_status.is_(None), History.from_status != Status.CLOSED))
    out_of_closed = sa.and_(History.from_status == Status.CLOSED, History.to_status.is_not(None),
                            History.to_status != Status.CLOSED)
    new_deadline = History.data["new_deadline"].as_string()
    columns = []
    for i, t in enumerate(instants):
        columns += [
            _sum(sa.and_(History.action == "issue", History.at < t)).label(f"i{i}"),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(History.at < t, into_closed), 1),
                                                 (sa.and_(History.at < t, out_of_closed), -1), else_=0)), 0)
            .label(f"c{i}"),
            sa.func.max(sa.case((sa.and_(History.at < t, History.action.in_(DEADLINE_ACTIONS)), new_deadline)))
            .label(f"d{i}"),
        ]
    closed_for_good = sa.and_(Item.status == Status.CLOSED, Item.closed_at < first)
    per_item = sa.select(*_places(by_unit), sa.cast(Item.deadline, sa.String).label("deadline"), *columns) \
        .select_from(History).join(Item, Item.id == History.item_id) \
        .where(where, date_rules.past_deadline_sql(Item.deadline, date_rules.beijing_date(end)),
               sa.not_(closed_for_good), History.at < end) \
        .group_by(Item.id, Item.county_id, Item.unit_id, Item.deadline).subquery("per_item")
    c = per_item.c
    flags = [sa.and_(c[f"i{i}"] > 0, c[f"c{i}"] <= 0,
                     date_rules.past_deadline_sql(sa.func.coalesce(c[f"d{i}"], c.deadline),
                                                  date_rules.beijing_date(t), as_text=True))
             for i, t in enumerate(instants)]
    stmt = sa.select(c.county_id, c.unit_id, _sum(flags[1]), _sum(flags[2]),
                     _sum(sa.and_(flags[1], sa.not_(flags[0]))), _sum(sa.and_(flags[2], sa.not_(flags[1])))) \
        .group_by(c.county_id, c.unit_id)
    return {(county, unit): tuple(int(x or 0) for x in v) for county, unit, *v in db.session.execute(stmt).tuples()}


def scope_clause(user, campaign_id: int | None, county_id: int | None = None,
                 city_id: int | None = None) -> sa.ColumnElement[bool]:
    """The items a report covers: the user's scope (access.item_clause), a campaign, a county or city."""
    conditions = [access.item_clause(user, Item)]
    if campaign_id:
        conditions.append(Item.campaign_id == campaign_id)
    if county_id:
        conditions.append(Item.county_id == county_id)
    elif city_id:
        conditions.append(Item.county_id.in_(sa.select(Region.id).where(Region.parent_id == city_id)))
    return sa.and_(*conditions)


def figures(where, period: Period, now: datetime, by_unit: bool = True) -> PeriodFigures:
    """The period's figures for the items matching `where`, as of `as_of(period, now)`: two queries.
    Counted per county and responsible unit, or per county alone (`by_unit` False: no "unit" rows)."""
    instants = (period.previous().start_utc, period.start_utc, as_of(period, now))
    cells = _flows(where, instants, by_unit)
    for key, (prev_overdue, overdue, prev_new, new) in _overdue(where, instants, by_unit).items():
        row = cells.setdefault(key, PeriodRow("", ""))
        row.previous_end.overdue, row.end.overdue = prev_overdue, overdue
        row.previous_flow.newly_overdue, row.flow.newly_overdue = prev_new, new
    total = PeriodRow("", "合计")
    for row in cells.values():
        total.add(row)
    return PeriodFigures(total, [(county, unit, row) for (county, unit), row in cells.items()])
