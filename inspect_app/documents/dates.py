"""Date and time conventions for documents and deadlines (domain.md §8).

The database stores UTC.  Everything a person reads, and every deadline, is in
China Standard Time (Asia/Shanghai, UTC+8, no daylight saving).  Naive
``datetime`` values are treated as UTC, because that is what the DB hands back.

Dates read ``2022年7月25日`` in running text and documents and ``2022-07-25`` in
tables.  A deadline *date* means the end of that day in Beijing: an item due on
2022-07-25 is overdue from 2022-07-26 00:00 Beijing time, i.e.
``now_utc >= end_of_day_utc(deadline)``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "CHINA_TZ",
    "UTC",
    "to_china",
    "cn_date",
    "cn_date_range",
    "iso_date",
    "cn_datetime",
    "today_china",
    "end_of_day_utc",
    "is_working_day",
    "add_working_days",
    "calendar_covers",
    "working_days_estimated",
    "ESTIMATE_NOTE",
]

CHINA_TZ = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def _as_utc(dt: datetime) -> datetime:
    """Aware UTC datetime; a naive value is taken to be UTC already."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def to_china(dt_utc: datetime) -> datetime:
    """The same instant as an aware datetime in Beijing time (naive input = UTC)."""
    return _as_utc(dt_utc).astimezone(CHINA_TZ)


def _china_date(d: date | datetime) -> date:
    # datetime is a subclass of date, so test for it first.
    if isinstance(d, datetime):
        return to_china(d).date()
    if isinstance(d, date):
        return d
    raise TypeError(f"expected date or datetime, got {type(d).__name__}")


def cn_date(d: date | datetime | None) -> str:
    """``2022年7月25日`` (no zero padding).  Datetimes are first converted to Beijing
    time, so 2022-07-24 16:00 UTC reads 2022年7月25日.  ``None`` gives ``''``."""
    if d is None:
        return ""
    d = _china_date(d)
    return f"{d.year}年{d.month}月{d.day}日"


def cn_date_range(start: date | datetime, end: date | datetime | None = None) -> str:
    """A span of days as officials write it: ``2022年7月9日至13日``,
    ``2022年7月29日至8月2日``, ``2022年12月30日至2023年1月3日``; one day alone
    is just ``cn_date(start)``."""
    s = _china_date(start)
    e = _china_date(end) if end is not None else s
    if e < s:
        s, e = e, s
    if s == e:
        return cn_date(s)
    if s.year != e.year:
        tail = cn_date(e)
    elif s.month != e.month:
        tail = f"{e.month}月{e.day}日"
    else:
        tail = f"{e.day}日"
    return f"{cn_date(s)}至{tail}"


def iso_date(d: date | datetime | None) -> str:
    """``2022-07-25`` for tables (datetimes converted to Beijing first); ``None`` → ``''``."""
    if d is None:
        return ""
    return _china_date(d).isoformat()


def cn_datetime(dt: datetime | None) -> str:
    """``2022-07-25 14:03`` in Beijing time (naive input = UTC); ``None`` → ``''``."""
    if dt is None:
        return ""
    return to_china(dt).strftime("%Y-%m-%d %H:%M")


def today_china(now_utc: datetime | None = None) -> date:
    """Today's date in Beijing at the instant ``now_utc`` (default: the real now)."""
    if now_utc is None:
        now_utc = datetime.now(UTC)
    return to_china(now_utc).date()


def end_of_day_utc(d: date | datetime) -> datetime:
    """The aware UTC instant at which the Beijing day ``d`` ends (the next Beijing
    midnight).  An item is on time while ``now_utc < end_of_day_utc(deadline)``.

    e.g. ``end_of_day_utc(date(2022, 7, 25))`` → 2022-07-25 16:00 UTC.
    A datetime argument is first reduced to its Beijing date.
    """
    day = _china_date(d)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHINA_TZ)
    return next_midnight.astimezone(UTC)


# ---------------------------------------------------------------------------
# Working days (工作日) on China's official calendar
# ---------------------------------------------------------------------------
#
# Rectification deadlines are counted in working days from the day a problem
# list is issued (下发).  Which days are working days is fixed each year by the
# State Council's holiday notice, which also moves weekend days into working
# days (调休), e.g.
#   - 国务院办公厅关于2025年部分节假日安排的通知:
#     国庆节、中秋节 10月1日至8日放假调休，9月28日（周日）、10月11日（周六）上班;
#   - 国务院办公厅关于2026年部分节假日安排的通知:
#     春节 2月15日至23日放假调休，2月14日（周六）、2月28日（周六）上班;
#     国庆节 10月1日至7日放假调休，9月20日（周日）、10月10日（周六）上班.
# The `chinese-calendar` package (pinned in pyproject.toml) carries these
# notices from 2004 on; its data stop at the last year the State Council has
# announced.  For a later year we fall back to Monday-Friday, and every screen
# that shows such a deadline says so (ESTIMATE_NOTE).

ESTIMATE_NOTE = "按周一至周五估算，未含法定节假日调整"


# The years whose official schedule chinese-calendar carries (2004-2026 in version 1.11.0).
_COVERED_YEARS = frozenset(d.year for d in chinese_calendar.constants.holidays)


def calendar_covers(year: int) -> bool:
    """Whether the official holiday schedule of `year` is known (bundled in chinese-calendar)."""
    return year in _COVERED_YEARS


def is_working_day(d: date) -> bool:
    """Whether `d` is a working day in mainland China: Monday-Friday unless an official holiday,
    plus the weekend days the State Council moved into working days (调休).  For a year the
    official calendar does not cover yet, Monday-Friday (see `working_days_estimated`)."""
    if calendar_covers(d.year):
        return chinese_calendar.is_workday(d)
    return d.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The date `n` working days after `start` (`start` itself not counted, whatever it is).

    5 working days from 2025-09-30 is 2025-10-14 (国庆 1-8 Oct off, 11 Oct worked);
    from 2026-02-13 it is 2026-02-27 (14 Feb worked, 春节 15-23 Feb off).
    `n` must be at least 1 (ValueError otherwise)."""
    if n < 1:
        raise ValueError(f"working days must be at least 1, got {n}")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_estimated(start: date, end: date) -> bool:
    """Whether a working-day count from `start` to `end` touched a year without an official
    schedule, so it was estimated on Monday-Friday (show ESTIMATE_NOTE with it)."""
    return any(not calendar_covers(year) for year in range(start.year, end.year + 1))
