"""Date and time conventions for documents and deadlines (domain.md §8).

The database stores UTC.  Everything a person reads, and every deadline, is in
China Standard Time (Asia/Shanghai, UTC+8, no daylight saving).  Naive
``datetime`` values are treated as UTC, because that is what the DB hands back.

Dates read ``2022年7月25日`` in running text and documents and ``2022-07-25`` in
tables.  This module only *writes* dates; what a date decides (today in Beijing,
deadlines, overdue, working days) is in inspect_app/rectification/date_rules.py.
"""

from __future__ import annotations

from datetime import date, datetime

from inspect_app.rectification.date_rules import CHINA_TZ, UTC, as_utc, beijing_date

__all__ = [
    "CHINA_TZ",
    "UTC",
    "to_china",
    "cn_date",
    "cn_date_range",
    "iso_date",
    "cn_datetime",
]

def to_china(dt_utc: datetime) -> datetime:
    """The same instant as an aware datetime in Beijing time (naive input = UTC)."""
    return as_utc(dt_utc).astimezone(CHINA_TZ)


def _china_date(d: date | datetime) -> date:
    # datetime is a subclass of date, so test for it first.
    if isinstance(d, datetime):
        return beijing_date(d)
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
