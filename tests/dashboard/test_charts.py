"""The server-side SVG charts: what a reader of the dashboard sees, without a browser."""
from datetime import date

from inspect_app.dashboard import charts
from inspect_app.dashboard.service import Figures, GroupRow, WeekPoint


def test_burnup_single_week_shows_its_two_points():
    svg = str(charts.burnup_chart([WeekPoint(date(2026, 11, 23), 5, 1, 5, 1)], title="累计"))
    assert svg.count("<circle") == 2
    assert "11/23 累计下发 5" in svg and "11/23 累计销号 1" in svg


def test_burnup_without_data_says_so():
    assert "暂无数据" in str(charts.burnup_chart([], title="累计"))


def test_closure_chart_draws_at_most_the_limit_and_links_each_bar():
    rows = [GroupRow(f"41{i:04d}", f"县{i}", Figures(issued=10, closed=i % 10)) for i in range(40)]
    svg = str(charts.closure_chart(rows, title="销号率", link=lambda code: f"/dashboard/county/{code}"))
    assert svg.count('href="/dashboard/county/41') == 30 and "县29" in svg and "县30" not in svg
    assert "县3：销号率 30.0%（3/10）" in svg


def test_aging_chart_counts_items():
    svg = str(charts.aging_chart({"overdue": 3, "le10": 1, "le20": 0, "gt20": 2},
                                 {"overdue": "已超期", "le10": "剩余≤10天", "le20": "剩余≤20天", "gt20": "剩余>20天"},
                                 title="时限"))
    assert "已超期：3 项" in svg and "剩余&gt;20天：2 项" in svg
