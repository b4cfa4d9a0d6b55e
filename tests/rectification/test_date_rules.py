"""Parity of the date rules: every rule of date_rules.py run through its Python function and through
its SQL twin evaluated by the real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), over a
table of cases — midnight in Beijing on both sides, naive and aware instants, extensions, reopened
and returned items, closed items, the aging and urgency boundaries, holidays and 调休 days — and the
two must agree on every case."""
import datetime as dt

import pytest
import sqlalchemy as sa

from inspect_app.extensions import UTCDateTime, db
from inspect_app.rectification import date_rules
from inspect_app.rectification.status import Status

D = dt.date
UTC = dt.timezone.utc
BEIJING = dt.timezone(dt.timedelta(hours=8))
TODAY = D(2026, 11, 30)

meta = sa.MetaData()
item_cases = sa.Table("date_rule_items", meta, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("status", sa.Enum(Status, native_enum=False, length=16)),
                      sa.Column("deadline", sa.Date), sa.Column("extended_deadline", sa.Date),
                      sa.Column("planned_date", sa.Date), prefixes=["TEMPORARY"])
instant_cases = sa.Table("date_rule_instants", meta, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("instant", UTCDateTime), prefixes=["TEMPORARY"])
day_cases = sa.Table("date_rule_days", meta, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("day", sa.Date), prefixes=["TEMPORARY"])


def _days(n: int) -> D:
    return TODAY + dt.timedelta(days=n)


# (what the case is, status, deadline, extended_deadline, planned_date, today)
ITEM_CASES = [
    ("due today, last second of the day", Status.PENDING, TODAY, None, None, TODAY),
    ("due yesterday: midnight passed", Status.PENDING, _days(-1), None, None, TODAY),
    ("due tomorrow", Status.IN_PROGRESS, _days(1), None, None, TODAY),
    ("long overdue", Status.IN_PROGRESS, _days(-40), None, None, TODAY),
    ("submitted and overdue", Status.SUBMITTED, _days(-3), None, None, TODAY),
    ("submitted, not due", Status.SUBMITTED, _days(15), None, None, TODAY),
    ("closed long after its deadline", Status.CLOSED, _days(-30), None, None, TODAY),
    ("closed with a planned date passed", Status.CLOSED, _days(5), None, _days(-5), TODAY),
    ("extension granted: no longer overdue", Status.IN_PROGRESS, _days(-10), _days(25), None, TODAY),
    ("extension granted, now overdue again", Status.IN_PROGRESS, _days(-20), _days(-2), None, TODAY),
    ("extension to today", Status.PENDING, _days(-5), TODAY, None, TODAY),
    ("reopened with a new date", Status.IN_PROGRESS, _days(-60), _days(14), None, TODAY),
    ("reopened without a new date: overdue at once", Status.IN_PROGRESS, _days(-60), None, None, TODAY),
    ("returned, behind its plan", Status.IN_PROGRESS, _days(30), None, _days(-1), TODAY),
    ("pending, plan is today: not behind yet", Status.PENDING, _days(30), None, TODAY, TODAY),
    ("submitted with a passed plan is not yellow", Status.SUBMITTED, _days(30), None, _days(-3), TODAY),
    ("behind plan and overdue: red wins", Status.IN_PROGRESS, _days(-1), None, _days(-9), TODAY),
    ("behind plan and near: yellow before blue", Status.PENDING, _days(3), None, _days(-1), TODAY),
    *[(f"{n} days left", Status.IN_PROGRESS, _days(n), None, None, TODAY) for n in (6, 7, 8, 10, 11, 20, 21, 90)],
    ("across a year end", Status.PENDING, D(2027, 1, 3), None, None, D(2026, 12, 31)),
    ("across a leap day", Status.PENDING, D(2024, 3, 1), None, None, D(2024, 2, 28)),
]

INSTANTS = [
    dt.datetime(2026, 11, 29, 15, 59, 59, tzinfo=UTC),          # 23:59:59 Beijing on the 29th
    dt.datetime(2026, 11, 29, 16, 0, 0, tzinfo=UTC),            # midnight: the 30th in Beijing
    dt.datetime(2026, 11, 29, 15, 59, 59, 999999),              # naive = UTC, the last microsecond
    dt.datetime(2026, 11, 29, 16, 0, 0),                        # naive = UTC, midnight
    dt.datetime(2026, 11, 30, 0, 0, 0, tzinfo=BEIJING),         # aware, Beijing's own midnight
    dt.datetime(2026, 11, 29, 23, 59, 59, tzinfo=BEIJING),
    dt.datetime(2026, 11, 30, 7, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5))),   # another zone
    dt.datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC),            # new year in Beijing, not yet in UTC
    dt.datetime(2024, 2, 28, 16, 30, tzinfo=UTC),               # 29 February in Beijing
    dt.datetime(2026, 11, 29, 16, 0, 0, tzinfo=UTC),            # Sunday 16:00 UTC: Monday in Beijing
    dt.datetime(2026, 11, 29, 15, 0, 0, tzinfo=UTC),            # still Sunday in Beijing
]

# Named holiday and 调休 days (the sweep below covers every day of 2024–2027 as well).
NAMED_DAYS = {
    D(2025, 10, 1): False,      # 国庆节, a Wednesday
    D(2025, 9, 28): True,       # Sunday worked (调休)
    D(2025, 10, 11): True,      # Saturday worked
    D(2026, 2, 14): True,       # Saturday worked before 春节
    D(2026, 2, 16): False,      # 春节, a Monday
    D(2026, 2, 28): True,       # Saturday worked after 春节
    D(2026, 10, 10): True,      # Saturday worked after 国庆
    D(2026, 11, 30): True,      # an ordinary Monday
    D(2026, 11, 29): False,     # an ordinary Sunday
}


@pytest.fixture
def connection(app):
    """The test's connection with the case tables (temporary: gone with the connection or below)."""
    conn = db.session.connection()
    meta.create_all(conn)
    yield conn
    meta.drop_all(conn)
    db.session.rollback()


def _flag(value) -> bool:
    return bool(value)          # SQLite answers booleans as 0/1


def test_item_rules_agree(connection):
    connection.execute(item_cases.insert(), [
        {"id": n, "status": status, "deadline": deadline, "extended_deadline": extended, "planned_date": planned}
        for n, (_, status, deadline, extended, planned, _today) in enumerate(ITEM_CASES)])
    c = item_cases.c
    deadline = date_rules.effective_deadline_sql(c)
    for n, (name, status, _deadline, _extended, planned, today) in enumerate(ITEM_CASES):
        row = connection.execute(sa.select(
            deadline.label("deadline"),
            date_rules.days_left_sql(deadline, today).label("days_left"),
            date_rules.is_open_sql(c.status).label("open"),
            date_rules.is_overdue_sql(c.status, deadline, today).label("overdue"),
            date_rules.aging_bucket_sql(c.status, deadline, today).label("bucket"),
            date_rules.urgency_sql(c.status, deadline, c.planned_date, today).label("urgency"),
            *(date_rules.aging_clause_sql(b, c.status, deadline, today).label(f"in_{b}")
              for b in (*date_rules.AGING_BUCKETS, "closed", "open")),
            *(date_rules.urgency_clause_sql(u, c.status, deadline, c.planned_date, today).label(f"is_{u}")
              for u in date_rules.URGENCY_COLOURS),
        ).where(c.id == n)).one()._mapping
        item = connection.execute(sa.select(item_cases).where(c.id == n)).one()
        expected = date_rules.effective_deadline(item)
        left = date_rules.days_left(expected, today)
        bucket = date_rules.aging_bucket(status, expected, today)
        colour = date_rules.urgency(status, expected, planned, today)
        assert row["deadline"] == expected, name
        assert row["days_left"] == left, name
        assert _flag(row["open"]) == date_rules.is_open(status), name
        assert _flag(row["overdue"]) == date_rules.is_overdue(status, expected, today), name
        assert row["bucket"] == bucket, name
        assert row["urgency"] == colour, name
        for b in (*date_rules.AGING_BUCKETS, "closed"):
            assert _flag(row[f"in_{b}"]) == (bucket == b), (name, b)
        assert _flag(row["in_open"]) == (bucket != "closed"), name
        for u in date_rules.URGENCY_COLOURS:
            assert _flag(row[f"is_{u}"]) == (colour == u), (name, u)
        # and the screens' bundle is made of the same rules
        shown = date_rules.item_dates(item, today)
        assert (shown.deadline, shown.overdue, shown.bucket, shown.urgency) == (expected, row["overdue"] in (1, True),
                                                                                bucket, colour), name


def test_the_cases_cover_every_outcome():
    """A table that never reached a bucket or a colour would prove nothing about it."""
    buckets, colours = set(), set()
    for _, status, deadline, extended, planned, today in ITEM_CASES:
        in_force = extended or deadline
        buckets.add(date_rules.aging_bucket(status, in_force, today))
        colours.add(date_rules.urgency(status, in_force, planned, today))
    assert buckets == {"closed", *date_rules.AGING_BUCKETS}
    assert colours == {None, *date_rules.URGENCY_COLOURS}


def test_beijing_day_and_week_agree(connection):
    # The column stores naive UTC (it refuses naive input), so a naive case is stored as the UTC it means.
    stored = [i if i.tzinfo else i.replace(tzinfo=UTC) for i in INSTANTS]
    connection.execute(instant_cases.insert(), [{"id": n, "instant": i} for n, i in enumerate(stored)])
    rows = dict((r.id, r) for r in connection.execute(sa.select(
        instant_cases.c.id, date_rules.beijing_date_sql(instant_cases.c.instant).label("day"),
        date_rules.beijing_monday_sql(instant_cases.c.instant).label("monday"))))
    for n, instant in enumerate(INSTANTS):
        assert rows[n].day == date_rules.beijing_date(instant), instant
        assert rows[n].monday == date_rules.beijing_monday(instant), instant
    assert date_rules.beijing_date(INSTANTS[0]) == D(2026, 11, 29)
    assert date_rules.beijing_date(INSTANTS[1]) == date_rules.beijing_date(INSTANTS[3]) == D(2026, 11, 30)
    assert date_rules.beijing_date(INSTANTS[2]) == D(2026, 11, 29)
    assert date_rules.today(INSTANTS[1]) == D(2026, 11, 30)


def test_working_days_agree_on_every_day_from_2024_to_2027(connection):
    first, last = D(2024, 1, 1), D(2027, 12, 31)          # 2027: beyond the official calendar, Mon–Fri
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    connection.execute(day_cases.insert(), [{"id": n, "day": d} for n, d in enumerate(days)])
    found = {r.id: _flag(r.working) for r in connection.execute(sa.select(
        day_cases.c.id, date_rules.is_working_day_sql(day_cases.c.day).label("working")))}
    differing = [d for n, d in enumerate(days) if found[n] != date_rules.is_working_day(d)]
    assert differing == []
    for day, working in NAMED_DAYS.items():
        assert date_rules.is_working_day(day) is working, day
    assert not date_rules.calendar_covers(2027) and date_rules.is_working_day(D(2027, 10, 1))   # estimated


# ---------------------------------------------------------------- deadline passed, report periods


def test_past_deadline_agrees_on_dates_and_iso_text(connection):
    """The periods' overdue test at a past instant compares a deadline read from history JSON (ISO
    text) as well as the item's date column: both SQL forms agree with the Python rule."""
    connection.execute(item_cases.insert(), [
        {"id": n, "status": status, "deadline": deadline, "extended_deadline": extended, "planned_date": planned}
        for n, (_, status, deadline, extended, planned, _today) in enumerate(ITEM_CASES)])
    c = item_cases.c
    as_text = sa.func.coalesce(sa.cast(c.extended_deadline, sa.String), sa.cast(c.deadline, sa.String))
    seen = set()
    for n, (name, _status, deadline, extended, _planned, today) in enumerate(ITEM_CASES):
        for day in (today, deadline, deadline + dt.timedelta(days=1)):      # the day itself, the next
            row = connection.execute(sa.select(
                date_rules.past_deadline_sql(c.deadline, day).label("by_date"),
                date_rules.past_deadline_sql(as_text, day, as_text=True).label("by_text"),
            ).where(c.id == n)).one()
            assert _flag(row.by_date) == date_rules.past_deadline(deadline, day), (name, day)
            assert _flag(row.by_text) == date_rules.past_deadline(extended or deadline, day), (name, day)
            seen.add(date_rules.past_deadline(deadline, day))
    assert seen == {True, False}


# Instants around the Beijing midnights that bound periods: the last second of a month, its first.
PERIOD_INSTANTS = INSTANTS + [
    dt.datetime(2022, 10, 31, 15, 59, 59, tzinfo=UTC),          # 31 October 23:59:59 Beijing
    dt.datetime(2022, 10, 31, 16, 0, 0, tzinfo=UTC),            # 1 November 00:00 Beijing
    dt.datetime(2022, 9, 30, 16, 0, 0, tzinfo=UTC),             # 1 October 00:00 Beijing
    dt.datetime(2022, 9, 30, 15, 59, 59, 999999, tzinfo=UTC),   # still September in Beijing
    dt.datetime(2022, 10, 2, 15, 59, 59, tzinfo=UTC),           # Sunday 23:59:59 Beijing: week's end
    dt.datetime(2022, 10, 2, 16, 0, 0, tzinfo=UTC),             # Monday 00:00 Beijing: next week
]


def test_period_bounds_agree_with_the_beijing_date(connection):
    """A history row belongs to a period when start_utc <= at < end_utc in SQL; that is the same as
    its Beijing date lying in the period's days, for weeks and months and their previous periods."""
    stored = [i if i.tzinfo else i.replace(tzinfo=UTC) for i in PERIOD_INSTANTS]
    connection.execute(instant_cases.insert(), [{"id": n, "instant": i} for n, i in enumerate(stored)])
    at = instant_cases.c.instant
    periods = {p for i in PERIOD_INSTANTS for kind in ("week", "month")
               for p in (date_rules.period_of(kind, date_rules.beijing_date(i)),
                         date_rules.period_of(kind, date_rules.beijing_date(i)).previous())}
    inside = 0
    for period in periods:
        rows = {n: inside_ for n, inside_ in connection.execute(sa.select(
            instant_cases.c.id, sa.and_(at >= period.start_utc, at < period.end_utc)))}
        for n, instant in enumerate(PERIOD_INSTANTS):
            expected = period.start <= date_rules.beijing_date(instant) <= period.end
            assert _flag(rows[n]) == expected, (period, instant)
            inside += expected
    assert inside >= len(PERIOD_INSTANTS) * 2          # each instant lies in its own week and month


@pytest.mark.parametrize("kind, day, start, end, previous", [
    ("month", D(2022, 10, 13), D(2022, 10, 1), D(2022, 10, 31), (D(2022, 9, 1), D(2022, 9, 30))),
    ("month", D(2023, 1, 5), D(2023, 1, 1), D(2023, 1, 31), (D(2022, 12, 1), D(2022, 12, 31))),
    ("month", D(2024, 2, 29), D(2024, 2, 1), D(2024, 2, 29), (D(2024, 1, 1), D(2024, 1, 31))),
    ("month", D(2024, 3, 1), D(2024, 3, 1), D(2024, 3, 31), (D(2024, 2, 1), D(2024, 2, 29))),
    ("week", D(2022, 10, 2), D(2022, 9, 26), D(2022, 10, 2), (D(2022, 9, 19), D(2022, 9, 25))),     # a Sunday
    ("week", D(2022, 10, 3), D(2022, 10, 3), D(2022, 10, 9), (D(2022, 9, 26), D(2022, 10, 2))),     # a Monday
    ("week", D(2026, 12, 31), D(2026, 12, 28), D(2027, 1, 3), (D(2026, 12, 21), D(2026, 12, 27))),  # across a year
])
def test_period_of(kind, day, start, end, previous):
    period = date_rules.period_of(kind, day)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert (period.previous().start, period.previous().end) == previous
    assert period.start_utc == dt.datetime.combine(start, dt.time(0), tzinfo=BEIJING)    # Beijing midnights
    assert period.end_utc == dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=BEIJING)


def test_a_period_describes_its_end_or_now_while_it_runs():
    october = date_rules.period_of("month", D(2022, 10, 1))
    in_december = dt.datetime(2022, 12, 15, 2, 0, tzinfo=UTC)
    assert date_rules.period_as_of(october, in_december) == dt.datetime(2022, 10, 31, 16, 0, tzinfo=UTC)
    running = dt.datetime(2022, 10, 20, 3, 0)                                   # naive = UTC
    assert date_rules.period_as_of(october, running) == running.replace(tzinfo=UTC)
    assert date_rules.period_as_of(october, dt.datetime(2022, 10, 20, 11, 0, tzinfo=BEIJING)) == \
        dt.datetime(2022, 10, 20, 3, 0, tzinfo=UTC)


def test_a_beijing_wall_clock_time_is_the_utc_instant_eight_hours_earlier():
    assert date_rules.beijing_wall_clock(dt.datetime(2022, 7, 25, 8, 0)) == dt.datetime(2022, 7, 25, 0, 0, tzinfo=UTC)
    assert date_rules.beijing_wall_clock(dt.datetime(2022, 7, 25, 0, 30)) == \
        dt.datetime(2022, 7, 24, 16, 30, tzinfo=UTC)
    assert date_rules.beijing_date(date_rules.beijing_wall_clock(dt.datetime(2022, 7, 25, 0, 0))) == D(2022, 7, 25)
