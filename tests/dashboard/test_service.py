"""The figures against hand-computed expectations on a small known dataset, on SQLite and PostgreSQL.

The dataset (factories.known_items): 新野 1–6, 桐柏 7–8 (both 南阳, team 第八核查组), 郸城 9–10 (周口).
Closed: 1 (6.67 days), 2 (20 days), 7 (4 days), 9 (30 days). Item 3 is due 2022-08-10: on time at
23:59:59 Beijing that day, overdue from midnight. Item 6 was reopened after closure (in progress).
"""
from datetime import date

import pytest

from inspect_app.dashboard import service
from inspect_app.dashboard.service import Filters
from inspect_app.extensions import db
from inspect_app.rectification import date_rules
from tests.dashboard.factories import LAST_SECOND, MIDNIGHT, known_items, make_item

ON_DAY = date_rules.today(LAST_SECOND)       # 2022-08-10
NEXT_DAY = date_rules.today(MIDNIGHT)        # 2022-08-11


@pytest.fixture
def items(world):
    return known_items(world)


def test_beijing_days_of_the_edge_instants():
    assert ON_DAY == date(2022, 8, 10) and NEXT_DAY == date(2022, 8, 11)


def test_headline_for_the_province(world, items):
    f = service.headline(world.users["viewer"], Filters(today=ON_DAY))
    assert (f.issued, f.closed, f.pending, f.in_progress, f.submitted) == (10, 4, 2, 3, 1)
    assert f.closure_rate == pytest.approx(0.4)
    assert f.overdue == 2                       # items 4 (due 08-09) and 8 (due 08-05); 3 is due today
    assert f.overdue_rate == pytest.approx(0.2)
    assert f.returns == 3 and f.reopens == 1
    assert f.aging == {"overdue": 2, "le10": 2, "le20": 1, "gt20": 1}
    assert f.median_days == 13.3                # (6.67 + 20) / 2


def test_deadline_day_ends_at_midnight_beijing(world, items):
    f = service.headline(world.users["viewer"], Filters(today=NEXT_DAY))
    assert f.overdue == 3                       # item 3 joins at 00:00 on 2022-08-11 Beijing
    assert f.aging == {"overdue": 3, "le10": 1, "le20": 1, "gt20": 1}


def test_extended_deadline_counts_not_the_original(world, items):
    # Item 5's original deadline (08-09) has passed; its extension to 08-20 keeps it on time.
    page = service.items_page(world.users["viewer"], Filters(today=ON_DAY), "overdue")
    assert sorted(i.id for i in page.items) == [items[4].id, items[8].id]


def test_reopened_item_counts_as_open_again(world, items):
    f = service.headline(world.users["xinye"], Filters(today=ON_DAY))
    assert (f.issued, f.closed, f.in_progress, f.reopens) == (6, 2, 2, 1)
    # Reopened with a new deadline of 09-30: more than 20 days left, not overdue.
    page = service.items_page(world.users["xinye"], Filters(today=ON_DAY), "gt20")
    assert [i.id for i in page.items] == [items[6].id]


def test_median_with_odd_and_even_counts(world, items):
    assert service.headline(world.users["nanyang"], Filters(today=ON_DAY)).median_days == 6.7   # 4, 6.67, 20
    assert service.headline(world.users["tongbai"], Filters(today=ON_DAY)).median_days == 4.0
    assert service.headline(world.users["xinye"], Filters(today=ON_DAY)).median_days == 13.3


def test_median_is_none_without_closed_items(world):
    make_item(world, world.xinye)
    db.session.commit()
    assert service.headline(world.users["viewer"], Filters()).median_days is None


def _by(rows):
    return {r.key: r.figures for r in rows}


def test_breakdown_by_city_and_county(world, items):
    viewer = world.users["viewer"]
    cities = _by(service.breakdown(viewer, Filters(today=ON_DAY), "city"))
    assert set(cities) == {"411300", "411600"}
    assert (cities["411300"].issued, cities["411300"].closed, cities["411300"].overdue) == (8, 3, 2)
    assert (cities["411600"].issued, cities["411600"].closed, cities["411600"].overdue) == (2, 1, 0)
    counties = _by(service.breakdown(viewer, Filters(today=ON_DAY), "county"))
    assert {k: (v.issued, v.closed, v.overdue) for k, v in counties.items()} == {
        "411329": (6, 2, 1), "411330": (2, 1, 1), "411625": (2, 1, 0)}


def test_breakdown_by_category_severity_type_team_unit(world, items):
    viewer = world.users["viewer"]
    f = Filters(today=ON_DAY)
    categories = _by(service.breakdown(viewer, f, "category"))
    assert (categories["管理共同体"].issued, categories["管理共同体"].closed) == (2, 2)
    assert (categories["责任共同体"].issued, categories["责任共同体"].closed) == (8, 2)
    severities = service.breakdown(viewer, f, "severity")
    assert [r.key for r in severities] == ["general", "critical"]
    assert severities[1].name == "严重" and severities[1].figures.issued == 2 and severities[1].figures.closed == 1
    types = _by(service.breakdown(viewer, f, "type"))
    assert (types["immediate"].issued, types["deadline"].issued, types["long_term"].issued) == (1, 8, 1)
    teams = {r.name: r.figures.issued for r in service.breakdown(viewer, f, "team")}
    assert teams == {"第八核查组": 8, "未分配核查组": 2}
    units = {r.name: (r.figures.issued, r.figures.closed) for r in service.breakdown(world.users["xinye"], f, "unit")}
    assert units == {"新野县卫健委": (4, 2), "新野县医保局": (1, 0), "未指派": (1, 0)}


def test_ranking_and_colours(world, items):
    ranked = service.ranking(service.breakdown(world.users["viewer"], Filters(today=ON_DAY), "county"))
    # 郸城 50% no overdue; 桐柏 50% with 50% overdue; 新野 33% closed.
    assert [r.key for r in ranked] == ["411625", "411330", "411329"]
    assert [r.figures.rag for r in ranked] == ["amber", "red", "red"]


def test_colour_thresholds():
    assert service.Figures(issued=10, closed=8).rag == "green"
    assert service.Figures(issued=10, closed=8, overdue=1).rag == "amber"
    assert service.Figures(issued=10, closed=9, overdue=2).rag == "red"
    assert service.Figures(issued=10, closed=4).rag == "red"
    assert service.Figures().rag == "red" and service.Figures().closure_rate == 0


def test_issue_date_range_is_in_beijing_time(world, items):
    viewer = world.users["viewer"]
    # Items 7 and 8 were issued at 2022-07-11 16:30 UTC, i.e. on the 12th in Beijing.
    assert service.headline(viewer, Filters(today=ON_DAY, date_to=date(2022, 7, 11))).issued == 8
    assert service.headline(viewer, Filters(today=ON_DAY, date_from=date(2022, 7, 12))).issued == 2


def test_campaign_filter(world, items):
    from inspect_app.campaigns.models import Campaign
    other = Campaign(name="2023年核查", year=2023, start_date=date(2023, 7, 1), end_date=date(2023, 7, 5))
    db.session.add(other)
    db.session.flush()
    make_item(world, world.xinye, camp=other)
    db.session.commit()
    viewer = world.users["viewer"]
    assert service.headline(viewer, Filters(today=ON_DAY)).issued == 11
    assert service.headline(viewer, Filters(today=ON_DAY, campaign_id=other.id)).issued == 1
    assert service.headline(viewer, Filters(today=ON_DAY, campaign_id=items[1].campaign_id)).issued == 10
    # the filter offers a campaign only to those who may see its figures
    first = items[1].campaign_id
    picks = {name: {c.id for c in service.campaigns(world.users[name])}
             for name in ("viewer", "nanyang", "xinye", "tongbai", "leader8")}
    assert picks["viewer"] == picks["nanyang"] == picks["xinye"] == {first, other.id}
    # A team sees only its own campaigns (issue 10): leader8's team has no part in 2023's campaign,
    # even though that campaign issued a list to one of its counties.
    assert picks["tongbai"] == {first} and picks["leader8"] == {first}
    assert service.headline(world.users["leader8"], Filters(today=ON_DAY, campaign_id=other.id)).issued == 0


def test_burnup_per_beijing_week(world, items):
    points = service.burnup(world.users["viewer"], Filters(today=ON_DAY))
    assert [(p.week, p.issued, p.closed, p.issued_total, p.closed_total) for p in points] == [
        (date(2022, 7, 11), 10, 1, 10, 1),   # item 7 closed Sat 07-16 00:30 Beijing
        (date(2022, 7, 18), 0, 1, 10, 2),    # item 1 closed Sun 07-17 18:00 UTC = Mon 07-18 Beijing
        (date(2022, 7, 25), 0, 1, 10, 3),    # item 2 closed Sun 07-31 Beijing
        (date(2022, 8, 1), 0, 0, 10, 3),
        (date(2022, 8, 8), 0, 1, 10, 4),
    ]


@pytest.mark.parametrize("username, issued, counties", [
    ("viewer", 10, {"411329", "411330", "411625"}),
    ("province", 10, {"411329", "411330", "411625"}),
    ("nanyang", 8, {"411329", "411330"}),
    ("leader8", 8, {"411329", "411330"}),
    ("xinye", 6, {"411329"}),
    ("tongbai", 2, {"411330"}),
])
def test_each_role_sees_exactly_its_scope(world, items, username, issued, counties):
    user = world.users[username]
    assert service.headline(user, Filters(today=ON_DAY)).issued == issued
    assert {r.key for r in service.breakdown(user, Filters(today=ON_DAY), "county")} == counties
    assert service.items_page(user, Filters(today=ON_DAY)).total == issued


def test_drill_down_cannot_widen_the_scope(world, items):
    # A county coordinator asking for another county's figures gets nothing.
    f = Filters(today=ON_DAY, county_id=world.tongbai.id)
    assert service.headline(world.users["xinye"], f).issued == 0
    assert service.headline(world.users["nanyang"], Filters(today=ON_DAY, city_id=world.zhoukou.id)).issued == 0


def test_period_counts_and_unit_overdue(world, items):
    viewer = world.users["viewer"]
    f = Filters(today=ON_DAY)
    assert service.period_counts(viewer, f, date(2022, 7, 11), date(2022, 7, 17)) == {"issued": 10, "closed": 1}
    assert service.period_counts(viewer, f, date(2022, 7, 18), date(2022, 7, 31)) == {"issued": 0, "closed": 2}
    rows = service.unit_overdue(viewer, f)
    assert sorted((r["county"], r["unit"], r["overdue"]) for r in rows) == [
        ("新野县", "新野县医保局", 1), ("桐柏县", "未指派", 1)]


@pytest.mark.parametrize("username, level, drill", [
    ("viewer", "province", {}), ("leader8", "province", {}), ("nanyang", "city", "nanyang"),
    ("xinye", "county", "xinye"),
])
def test_page_overview_matches_the_single_queries(world, items, username, level, drill):
    """The page rolls several breakdowns up from two GROUP BYs; they must equal the API's queries."""
    user = world.users[username]
    f = Filters(today=ON_DAY)
    if level == "city":
        f = f.narrowed(city_id=world.nanyang.id)
    if level == "county":
        f = f.narrowed(county_id=world.xinye.id)
    page = service.overview(user, f, level)
    single = service.headline(user, f)
    assert page.headline.as_dict() == single.as_dict() and page.headline.aging == single.aging
    assert page.headline.median_days == single.median_days
    for group, rows in page.groups.items():
        expected = service.breakdown(user, f, group)
        if group == "county":
            expected = service.ranking(expected)
        if group != "county":
            rows, expected = sorted(rows, key=lambda r: r.key), sorted(expected, key=lambda r: r.key)
        assert [(r.key, r.name, r.figures.as_dict()) for r in rows] == \
            [(r.key, r.name, r.figures.as_dict()) for r in expected], group
    assert page.burnup == service.burnup(user, f)
