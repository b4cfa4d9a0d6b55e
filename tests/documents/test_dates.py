from datetime import date, datetime, timedelta, timezone

import pytest

from inspect_app.documents.dates import CHINA_TZ, cn_date, cn_date_range, cn_datetime, iso_date, to_china
from inspect_app.rectification import date_rules
from inspect_app.rectification.date_rules import (ESTIMATE_NOTE, add_working_days, calendar_covers, end_of_day_utc,
                                                  is_working_day, working_days_estimated)

UTC = timezone.utc


def test_zone_is_shanghai_utc_plus_8():
    assert str(CHINA_TZ) == "Asia/Shanghai"
    assert to_china(datetime(2022, 7, 25, 0, 0, tzinfo=UTC)).utcoffset() == timedelta(hours=8)


def test_cn_date_has_no_zero_padding():
    assert cn_date(date(2022, 7, 25)) == "2022年7月25日"
    assert cn_date(date(2022, 1, 5)) == "2022年1月5日"
    assert cn_date(date(2022, 12, 31)) == "2022年12月31日"
    assert cn_date(None) == ""


def test_iso_date():
    assert iso_date(date(2022, 7, 5)) == "2022-07-05"
    assert iso_date(None) == ""


def test_datetime_dates_are_read_in_beijing():
    # 16:00 UTC is midnight in Beijing: already the next day there.
    assert cn_date(datetime(2022, 7, 24, 16, 0, tzinfo=UTC)) == "2022年7月25日"
    assert cn_date(datetime(2022, 7, 24, 15, 59, 59, tzinfo=UTC)) == "2022年7月24日"
    assert iso_date(datetime(2022, 7, 24, 16, 0, tzinfo=UTC)) == "2022-07-25"
    # An aware datetime in another zone is converted too.
    assert cn_date(datetime(2022, 7, 25, 0, 30, tzinfo=CHINA_TZ)) == "2022年7月25日"


def test_naive_datetimes_are_utc():
    assert cn_date(datetime(2022, 7, 24, 16, 0)) == "2022年7月25日"
    assert cn_datetime(datetime(2022, 7, 25, 6, 3)) == "2022-07-25 14:03"
    assert to_china(datetime(2022, 7, 25, 6, 3)).hour == 14


def test_cn_datetime_in_beijing():
    assert cn_datetime(datetime(2022, 7, 25, 6, 3, tzinfo=UTC)) == "2022-07-25 14:03"
    assert cn_datetime(datetime(2022, 12, 31, 16, 0, tzinfo=UTC)) == "2023-01-01 00:00"
    assert cn_datetime(None) == ""


@pytest.mark.parametrize(
    "now_utc, expected",
    [
        (datetime(2022, 7, 24, 15, 59, 59, tzinfo=UTC), date(2022, 7, 24)),
        (datetime(2022, 7, 24, 16, 0, 0, tzinfo=UTC), date(2022, 7, 25)),
        (datetime(2022, 12, 31, 16, 0, 0, tzinfo=UTC), date(2023, 1, 1)),
        (datetime(2022, 7, 24, 16, 0, 0), date(2022, 7, 25)),  # naive = UTC
    ],
)
def test_today_china_midnight_edges(now_utc, expected):
    assert date_rules.today(now_utc) == expected


def test_today_china_defaults_to_now():
    assert date_rules.today() == datetime.now(CHINA_TZ).date()


def test_end_of_day_is_next_beijing_midnight_in_utc():
    end = end_of_day_utc(date(2022, 7, 25))
    assert end == datetime(2022, 7, 25, 16, 0, tzinfo=UTC)
    assert end.utcoffset() == timedelta(0)


def test_deadline_comparison_at_the_edges():
    deadline = date(2022, 7, 25)
    end = end_of_day_utc(deadline)
    last_second = datetime(2022, 7, 25, 15, 59, 59, tzinfo=UTC)  # 23:59:59 Beijing
    midnight = datetime(2022, 7, 25, 16, 0, 0, tzinfo=UTC)  # 00:00 on the 26th Beijing
    assert last_second < end  # still on time
    assert not (midnight < end)  # overdue from Beijing midnight
    # Early on the deadline day in Beijing is the previous UTC day: still on time.
    assert datetime(2022, 7, 24, 16, 30, tzinfo=UTC) < end


def test_end_of_day_across_year_end():
    assert end_of_day_utc(date(2022, 12, 31)) == datetime(2022, 12, 31, 16, 0, tzinfo=UTC)


def test_cn_date_range():
    assert cn_date_range(date(2022, 7, 9), date(2022, 7, 13)) == "2022年7月9日至13日"
    assert cn_date_range(date(2022, 7, 29), date(2022, 8, 2)) == "2022年7月29日至8月2日"
    assert cn_date_range(date(2022, 12, 30), date(2023, 1, 3)) == "2022年12月30日至2023年1月3日"
    assert cn_date_range(date(2022, 7, 9)) == "2022年7月9日"
    assert cn_date_range(date(2022, 7, 9), date(2022, 7, 9)) == "2022年7月9日"


def test_rejects_non_dates():
    with pytest.raises(TypeError):
        cn_date("2022-07-25")


# ---------------------------------------------------------------- working days (official calendar)

def test_known_working_day_counts():
    """国务院办公厅关于2025年/2026年部分节假日安排的通知: 国庆 2025-10-01..08 off, 10-11 worked;
    春节 2026-02-15..23 off, 02-14 worked."""
    assert add_working_days(date(2025, 9, 30), 5) == date(2025, 10, 14)
    assert add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


@pytest.mark.parametrize("day,working", [
    (date(2025, 9, 28), True),    # Sunday moved into a working day (调休)
    (date(2025, 10, 8), False),   # the last day of the 2025 National Day holiday
    (date(2025, 10, 11), True),   # Saturday worked
    (date(2026, 2, 14), True),    # Saturday worked before the 2026 Spring Festival
    (date(2026, 2, 16), False),   # 除夕 eve, Monday, a holiday
    (date(2026, 2, 23), False),   # the last day of the Spring Festival holiday (a Monday)
    (date(2026, 2, 28), True),    # Saturday worked after it
    (date(2026, 9, 20), True),    # Sunday worked before the 2026 National Day
    (date(2026, 10, 7), False),   # the last day of the 2026 National Day holiday
    (date(2026, 10, 10), True),   # Saturday worked after it
    (date(2026, 10, 12), True),   # an ordinary Monday
    (date(2026, 10, 11), False),  # an ordinary Sunday
])
def test_the_official_2025_and_2026_schedules(day, working):
    assert is_working_day(day) is working


def test_spring_festival_and_national_day_2026():
    # From the Friday before the Spring Festival: 14 Feb (Sat, worked), then 24-27 Feb.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    # From the eve of National Day: 8, 9, 10 (Sat, worked), 12, 13 October.
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert add_working_days(date(2026, 9, 19), 1) == date(2026, 9, 20)


def test_2027_falls_back_to_monday_to_friday_and_says_so():
    assert calendar_covers(2026) and not calendar_covers(2027)
    # 2027-01-01 (New Year's Day) is a Friday: without the 2027 notice it counts as a working day.
    assert is_working_day(date(2027, 1, 1)) and not is_working_day(date(2027, 1, 2))
    assert add_working_days(date(2026, 12, 30), 5) == date(2027, 1, 6)
    assert working_days_estimated(date(2026, 12, 30), date(2027, 1, 6))
    assert not working_days_estimated(date(2026, 2, 13), date(2026, 2, 27))
    assert ESTIMATE_NOTE == "按周一至周五估算，未含法定节假日调整"


def test_working_days_must_be_positive():
    with pytest.raises(ValueError):
        add_working_days(date(2025, 9, 30), 0)
