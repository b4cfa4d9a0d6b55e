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
