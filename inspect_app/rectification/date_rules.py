"""Every date rule of the rectification work, each written once in Python and once as SQL, side by side.

A rule's Python function decides one value (an item on a detail page, an export row, a guard of the
lifecycle); its `_sql` twin is a SQLAlchemy expression over columns for WHERE clauses and aggregates
(the ledger's filters, the dashboard's summary rows, reminders). Both take the same arguments in the
same order, and tests/rectification/test_date_rules.py runs a table of cases through both — the SQL
evaluated by the real database, SQLite and PostgreSQL — and compares them.

The rules (domain.md §5, §8):
- The database stores UTC. A naive datetime is UTC (what the database hands back), an aware one is
  converted. Every date a person reads, and every deadline, is a Beijing date (UTC+8, no DST).
- Today is the Beijing date at the request's instant, decided once in Python (`today(now)`) and handed
  to SQL as a literal, so a frozen clock governs both and a page never straddles midnight.
- A deadline date means the end of that Beijing day. The deadline in force is the extended one once an
  extension is approved (or a reopen set a new date), else the original: `effective_deadline`.
- Days left: deadline in force minus today, in days: 0 on the day itself, negative when late.
- Overdue: not 已销号, and fewer than 0 days left. A reopened item counts again from its reopening.
- Aging bucket of an open item: overdue, ≤ 10 days left, 11–20, > 20 (AGING_BUCKETS); "closed" else.
- Urgency (三色督办) of an open item: red overdue; yellow when the unit's own planned date has passed
  while the item is still with the county (待整改/整改中); blue with ≤ BLUE_ALERT_DAYS days left.
- Report periods (周报, 月报): a week is ISO Monday–Sunday, a month the calendar month, both in Beijing
  days; a period ends at the next Beijing midnight, a running one now (`period_of`, `period_as_of`).
  Overdue at a past instant T is the deadline in force at T against the Beijing date of T.
- Working days (工作日): Monday–Friday unless an official holiday, plus the weekend days moved into
  working days (调休), from the State Council's notices as carried by the `chinese-calendar` package;
  beyond the years it covers, Monday–Friday (an estimate, ESTIMATE_NOTE).

No Flask here, and no query: the SQL functions return expressions that the caller places in its own
statement, with its own columns (the items', the summary rows', or a test table's).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from inspect_app.rectification.status import Status

try:
    CHINA_TZ: tzinfo = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # a host without a tz database; China has had no DST since 1991
    CHINA_TZ = timezone(timedelta(hours=8), "CST")
UTC = timezone.utc
AGING_BUCKETS = ("overdue", "le10", "le20", "gt20")
# The last day of each aging bucket but the last, as days left: ≤ 10 days, ≤ 20 days.
AGING_LIMITS = (("le10", 10), ("le20", 20))
BLUE_ALERT_DAYS = 7                       # 三色督办: blue once this many days or fewer are left
URGENCY_COLOURS = ("red", "yellow", "blue")
BEHIND_PLAN_STATUSES = (Status.PENDING, Status.IN_PROGRESS)   # yellow: still with the county
ESTIMATE_NOTE = "按周一至周五估算，未含法定节假日调整"


# ================================================================ SQL building blocks (per dialect)

def dialect_function(name: str, type_: sa.types.TypeEngine, sqlite: str, postgresql: str) -> type:
    """A SQL function written per dialect: the templates receive the compiled arguments as {0}, {1}, …
    (SQLite is the default for any other dialect). Returns the FunctionElement class to call with
    the argument expressions; SQLAlchemy caches statements that use it."""
    element = type(name, (FunctionElement,), {"type": type_, "name": name, "inherit_cache": True})

    def compile_with(template):
        def compile_(element, compiler, **kw):
            return template.format(*(compiler.process(clause, **kw) for clause in element.clauses))
        return compile_

    compiles(element)(compile_with(sqlite))
    compiles(element, "postgresql")(compile_with(postgresql))
    return element


# SQLite's date functions round microseconds to milliseconds, so 23:59:59.9999995 would become the
# next day (the parity test found it): its timestamps are cut to whole seconds first (substr … 19).
_BeijingDate = dialect_function("beijing_date", sa.Date(), "date(substr({0}, 1, 19), '+8 hours')",
                                "CAST(({0}) + INTERVAL '8 hours' AS DATE)")
_BeijingMonday = dialect_function("beijing_monday", sa.Date(),
                                  "date(substr({0}, 1, 19), '+8 hours', 'weekday 0', '-6 days')",
                                  "CAST(date_trunc('week', ({0}) + INTERVAL '8 hours') AS DATE)")
# Whole days from the first date to the second (second − first).
_DaysBetween = dialect_function("days_between", sa.Integer(), "CAST(julianday({1}) - julianday({0}) AS INTEGER)",
                                "(CAST({1} AS DATE) - CAST({0} AS DATE))")
# The ISO weekday of a date: 1 Monday … 7 Sunday.
_IsoWeekday = dialect_function("iso_weekday", sa.Integer(), "((CAST(strftime('%w', {0}) AS INTEGER) + 6) % 7 + 1)",
                               "CAST(EXTRACT(ISODOW FROM {0}) AS INTEGER)")


def _day(value: date | Any) -> Any:
    """A Python date as a typed SQL literal (so both databases compare it as a date); SQL as is."""
    return sa.literal(value, sa.Date) if isinstance(value, date) else value


# ================================================================ today in Beijing

def beijing_date(instant: datetime) -> date:
    """The Beijing calendar date at `instant` (naive = UTC): 2026-11-29 16:00 UTC is 2026-11-30."""
    return as_utc(instant).astimezone(CHINA_TZ).date()


def beijing_date_sql(column) -> sa.ColumnElement[date]:
    """SQL twin of beijing_date, for a timestamp column stored as naive UTC (extensions.UTCDateTime)."""
    return _BeijingDate(column)


def today(now: datetime | None = None) -> date:
    """Today in Beijing at `now` (default: the real now). Decided once per request and passed to the
    SQL rules as a literal; there is deliberately no SQL twin reading the database's clock."""
    return beijing_date(now if now is not None else datetime.now(UTC))


def beijing_monday(instant: datetime) -> date:
    """The Monday (Beijing) of the ISO week `instant` falls in (naive = UTC): the burn-up's weeks."""
    day = beijing_date(instant)
    return day - timedelta(days=day.weekday())


def beijing_monday_sql(column) -> sa.ColumnElement[date]:
    """SQL twin of beijing_monday, for a naive-UTC timestamp column."""
    return _BeijingMonday(column)


def end_of_day_utc(day: date | datetime) -> datetime:
    """The aware UTC instant at which the Beijing day `day` ends (the next Beijing midnight): an item
    is on time while now < end_of_day_utc(deadline). A datetime is first reduced to its Beijing date.
    e.g. end_of_day_utc(date(2022, 7, 25)) → 2022-07-25 16:00 UTC."""
    if isinstance(day, datetime):
        day = beijing_date(day)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHINA_TZ).astimezone(UTC)


def start_of_day_utc(day: date) -> datetime:
    """The aware UTC instant at which the Beijing day `day` begins."""
    return end_of_day_utc(day - timedelta(days=1))


def as_utc(instant: datetime) -> datetime:
    """`instant` as an aware UTC datetime (naive = UTC, as the database hands it back)."""
    if instant.tzinfo is None or instant.tzinfo.utcoffset(instant) is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def beijing_wall_clock(local: datetime) -> datetime:
    """A naive Beijing wall-clock time (a camera's EXIF time, a demo's 10:00 on a visit day) as the
    aware UTC instant: 2022-07-25 08:00 in Beijing is 2022-07-25 00:00 UTC."""
    return local.replace(tzinfo=CHINA_TZ).astimezone(UTC)


# ================================================================ report periods (周报, 月报)
#
# A period is a run of Beijing days; its instants are the Beijing midnights that bound it. History
# rows fall in it when start_utc <= at < end_utc, which is the same as their Beijing date lying in
# start..end (the parity test checks it on stored instants, around both midnights).

@dataclass(frozen=True)
class Period:
    """A report period: Beijing days `start` to `end` inclusive; `kind` "week" (ISO Monday–Sunday)
    or "month" (the calendar month)."""

    kind: str
    start: date
    end: date

    @property
    def start_utc(self) -> datetime:
        """The instant the period begins: 00:00 Beijing on `start` (aware UTC)."""
        return start_of_day_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """The instant the period ends: 00:00 Beijing on the day after `end` (aware UTC)."""
        return end_of_day_utc(self.end)

    def previous(self) -> "Period":
        """The period before this one, of the same kind (for 环比)."""
        return period_of(self.kind, self.start - timedelta(days=1))


def period_of(kind: str, day: date) -> Period:
    """The ISO week (Monday–Sunday) or calendar month ("week" | "month") containing the Beijing day `day`."""
    if kind == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return Period(kind, start, end)
    start = day - timedelta(days=day.weekday())
    return Period("week", start, start + timedelta(days=6))


def period_as_of(period: Period, now: datetime) -> datetime:
    """The instant a report's end figures describe (aware UTC): the period's end, or `now` while it
    runs (naive `now` = UTC)."""
    return min(period.end_utc, as_utc(now))


# ================================================================ the deadline in force

def effective_deadline(item: Any) -> date:
    """The deadline in force of an item (anything with `deadline` and `extended_deadline`): the
    approved extension, or the new date a reopen set, else the original."""
    return item.extended_deadline or item.deadline


def effective_deadline_sql(columns: Any) -> sa.ColumnElement[date]:
    """SQL twin of effective_deadline: `columns` has `deadline` and `extended_deadline` (the
    RectificationItem class, or a table's `.c`)."""
    return sa.func.coalesce(columns.extended_deadline, columns.deadline, type_=sa.Date)


def effective_deadline_between_sql(columns: Any, first: date, last: date) -> sa.ColumnElement[bool]:
    """effective_deadline_sql(columns) BETWEEN first AND last, written so the indexes on deadline and
    extended_deadline can answer it (a COALESCE hides both from the planner)."""
    return sa.or_(sa.and_(columns.extended_deadline.is_not(None), columns.extended_deadline.between(first, last)),
                  sa.and_(columns.extended_deadline.is_(None), columns.deadline.between(first, last)))


# ================================================================ days left, overdue, aging, urgency
#
# Each takes the item's status and its deadline in force (effective_deadline), and `today`.

def is_open(status: Status) -> bool:
    """Not 已销号 (a reopened item is open again)."""
    return status is not Status.CLOSED


def is_open_sql(status) -> sa.ColumnElement[bool]:
    """SQL twin of is_open."""
    return status != Status.CLOSED


def days_left(deadline: date, today: date) -> int:
    """Whole days from today to the end of the deadline day: 0 on the day itself, negative when late."""
    return (deadline - today).days


def days_left_sql(deadline, today) -> sa.ColumnElement[int]:
    """SQL twin of days_left (`today` a date or a date expression)."""
    return _DaysBetween(_day(today), deadline)


def past_deadline(deadline: date, today: date) -> bool:
    """The deadline day has ended in Beijing by `today` (a deadline date means the end of that day)."""
    return deadline < today


def past_deadline_sql(deadline, today: date, as_text: bool = False) -> sa.ColumnElement[bool]:
    """SQL twin of past_deadline (a plain comparison, so an index on the deadline can serve it).
    `as_text`: `deadline` is ISO 'YYYY-MM-DD' text (a date read from a history row's JSON), which
    compares as the date it names."""
    return deadline < (sa.literal(today.isoformat(), sa.String) if as_text else _day(today))


def is_overdue(status: Status, deadline: date, today: date) -> bool:
    """Not 已销号 and the deadline day has ended in Beijing."""
    return is_open(status) and past_deadline(deadline, today)


def is_overdue_sql(status, deadline, today) -> sa.ColumnElement[bool]:
    """SQL twin of is_overdue (a plain date comparison, so an index on the deadline can serve it)."""
    return sa.and_(is_open_sql(status), past_deadline_sql(deadline, today))


def aging_bucket(status: Status, deadline: date, today: date) -> str:
    """"closed", or the open item's bucket: "overdue", "le10" (≤ 10 days left), "le20", "gt20"."""
    if not is_open(status):
        return "closed"
    left = days_left(deadline, today)
    if left < 0:
        return "overdue"
    for name, limit in AGING_LIMITS:
        if left <= limit:
            return name
    return "gt20"


def aging_bucket_sql(status, deadline, today: date) -> sa.ColumnElement[str]:
    """SQL twin of aging_bucket: a CASE giving the bucket's name."""
    return sa.case((sa.not_(is_open_sql(status)), "closed"), (deadline < today, "overdue"),
                   *((deadline <= today + timedelta(days=limit), name) for name, limit in AGING_LIMITS),
                   else_="gt20")


def aging_clause_sql(name: str, status, deadline, today: date) -> sa.ColumnElement[bool]:
    """Whether aging_bucket(...) == name, as a WHERE condition on the deadline's range (so an index
    can serve it); also "open" (any bucket but closed). KeyError for another name."""
    first = {"overdue": None, "le10": today, "le20": today + timedelta(days=AGING_LIMITS[0][1] + 1),
             "gt20": today + timedelta(days=AGING_LIMITS[1][1] + 1)}
    last = {"overdue": today - timedelta(days=1), "le10": today + timedelta(days=AGING_LIMITS[0][1]),
            "le20": today + timedelta(days=AGING_LIMITS[1][1]), "gt20": None}
    if name == "closed":
        return sa.not_(is_open_sql(status))
    if name == "open":
        return is_open_sql(status)
    conditions = [is_open_sql(status)]
    if first[name] is not None:
        conditions.append(deadline >= first[name])
    if last[name] is not None:
        conditions.append(deadline <= last[name])
    return sa.and_(*conditions)


def urgency(status: Status, deadline: date, planned: date | None, today: date) -> str | None:
    """三色督办 colour: "red" overdue, "yellow" behind the unit's own planned date while 待整改 or
    整改中, "blue" ≤ BLUE_ALERT_DAYS days left, else None (and None for a closed item)."""
    if not is_open(status):
        return None
    if is_overdue(status, deadline, today):
        return "red"
    if planned is not None and status in BEHIND_PLAN_STATUSES and planned < today:
        return "yellow"
    if days_left(deadline, today) <= BLUE_ALERT_DAYS:
        return "blue"
    return None


def urgency_sql(status, deadline, planned, today: date) -> sa.ColumnElement[str | None]:
    """SQL twin of urgency: a CASE giving the colour, NULL for none."""
    return sa.case(*((urgency_clause_sql(colour, status, deadline, planned, today), colour)
                     for colour in URGENCY_COLOURS), else_=sa.null())


def urgency_clause_sql(colour: str, status, deadline, planned, today: date) -> sa.ColumnElement[bool]:
    """Whether urgency(...) == colour, as a WHERE condition (each colour excludes the ones before it).
    `planned` may be None for rows without a planned date (never yellow). KeyError for another colour."""
    red = is_overdue_sql(status, deadline, today)
    yellow = sa.false() if planned is None else sa.and_(status.in_(BEHIND_PLAN_STATUSES), planned.is_not(None),
                                                        planned < _day(today))
    blue = sa.and_(is_open_sql(status), deadline <= today + timedelta(days=BLUE_ALERT_DAYS))
    return {"red": red,
            "yellow": sa.and_(yellow, sa.not_(red)),
            "blue": sa.and_(blue, sa.not_(red), sa.not_(yellow))}[colour]


# ================================================================ working days (工作日)
#
# Rectification deadlines are counted in working days from the day a problem list is issued (下发).
# Which days are working days is fixed each year by the State Council's holiday notice, which also
# moves weekend days into working days (调休), e.g.
#   - 国务院办公厅关于2025年部分节假日安排的通知: 国庆节、中秋节 10月1日至8日放假调休，9月28日（周日）、
#     10月11日（周六）上班;
#   - 国务院办公厅关于2026年部分节假日安排的通知: 春节 2月15日至23日放假调休，2月14日（周六）、
#     2月28日（周六）上班; 国庆节 10月1日至7日放假调休，9月20日（周日）、10月10日（周六）上班.
# The `chinese-calendar` package (pinned in pyproject.toml) carries these notices from 2004 on; its
# data stop at the last year announced. For a later year the rule falls back to Monday–Friday.

_COVERED_YEARS = frozenset(d.year for d in chinese_calendar.constants.holidays)
# The calendar's exceptions to Monday–Friday: holidays that fall on a weekday, weekend days worked.
_WEEKDAY_HOLIDAYS = tuple(sorted(d for d in chinese_calendar.constants.holidays if d.weekday() < 5))
_WEEKEND_WORKDAYS = tuple(sorted(d for d in chinese_calendar.constants.workdays if d.weekday() >= 5))
_WEEKDAY_HOLIDAY_SET, _WEEKEND_WORKDAY_SET = frozenset(_WEEKDAY_HOLIDAYS), frozenset(_WEEKEND_WORKDAYS)


def calendar_covers(year: int) -> bool:
    """Whether the official holiday schedule of `year` is known (bundled in chinese-calendar)."""
    return year in _COVERED_YEARS


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day in mainland China: Monday–Friday unless an official holiday,
    plus the weekend days moved into working days (调休); Monday–Friday for an uncovered year."""
    # The two exception sets, not chinese_calendar.is_workday: that validates each date against the
    # min and max of its whole table (≈ 0.3 ms a call), which made issuing 300 findings cost seconds.
    if day in _WEEKEND_WORKDAY_SET:
        return True
    return day.weekday() < 5 and day not in _WEEKDAY_HOLIDAY_SET


def is_working_day_sql(day) -> sa.ColumnElement[bool]:
    """SQL twin of is_working_day for a date expression: the calendar's exceptions as IN lists."""
    weekday = _IsoWeekday(_day(day)) <= 5
    return sa.or_(_day(day).in_(_WEEKEND_WORKDAYS), sa.and_(weekday, _day(day).not_in(_WEEKDAY_HOLIDAYS)))


def add_working_days(start: date, n: int) -> date:
    """The date `n` working days after `start` (`start` itself not counted, whatever it is).

    5 working days from 2025-09-30 is 2025-10-14 (国庆 1–8 Oct off, 11 Oct worked); from 2026-02-13
    it is 2026-02-27 (14 Feb worked, 春节 15–23 Feb off). ValueError when `n` < 1."""
    if n < 1:
        raise ValueError(f"working days must be at least 1, got {n}")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_estimated(start: date, end: date) -> bool:
    """Whether a working-day count from `start` to `end` touched a year without an official schedule,
    so it was estimated on Monday–Friday (show ESTIMATE_NOTE with it)."""
    return any(not calendar_covers(year) for year in range(start.year, end.year + 1))


# ================================================================ one item's computed dates, for screens

@dataclass(frozen=True)
class ItemDates:
    """What a screen shows about an item's deadline, computed by the rules above (templates read
    these values and apply no rule of their own)."""

    deadline: date                  # the deadline in force
    days_left: int | None           # None when closed
    overdue: bool
    bucket: str                     # a key of lifecycle.AGING_LABELS
    urgency: str | None             # a key of lifecycle.URGENCY_LABELS, or None


def item_dates(item: Any, today: date) -> ItemDates:
    """The computed deadline values of one item (status, deadline, extended_deadline, planned_date)."""
    deadline = effective_deadline(item)
    return ItemDates(deadline=deadline,
                     days_left=days_left(deadline, today) if is_open(item.status) else None,
                     overdue=is_overdue(item.status, deadline, today),
                     bucket=aging_bucket(item.status, deadline, today),
                     urgency=urgency(item.status, deadline, item.planned_date, today))
