"""The dashboard pages and fragments: drill-down URLs, scope per role, constant query count, reports."""
import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from inspect_app.dashboard import service
from inspect_app.extensions import db
from tests.conftest import HX
from tests.dashboard.factories import LAST_SECOND, known_items, make_item


@pytest.fixture
def items(world, monkeypatch):
    monkeypatch.setattr(service, "now", lambda: LAST_SECOND)
    return known_items(world)


def test_province_page_full_and_fragment(client, login_as, items):
    login_as("viewer")
    page = client.get("/dashboard/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="dashboard"' in html
    assert "南阳市" in html and "周口市" in html and "新野县" in html and "郸城县" in html
    assert "<svg" in html and "<title" in html and "查看数据" in html
    assert "style=" not in html.split("<main")[1]          # the CSP forbids inline styles
    fragment = client.get("/dashboard/", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and body.lstrip().startswith('<div id="dashboard"')
    assert "HX-Request" in fragment.headers.get("Vary", "")


def test_headline_numbers_on_the_page(client, login_as, items):
    login_as("viewer")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert '<span class="stat-num">10</span><span class="stat-label">下发问题</span>' in html
    assert '<span class="stat-num">40.0%</span><span class="stat-label">销号率</span>' in html
    assert '<span class="stat-num">2</span><span class="stat-label">已超期（20.0%）</span>' in html
    assert '<span class="stat-num">13.3</span>' in html


def test_drill_links_are_htmx_with_pushed_urls(client, login_as, items):
    login_as("viewer")
    html = client.get("/dashboard/").get_data(as_text=True)
    campaign = items[1].campaign_id
    assert f'hx-get="/dashboard/city/411300?campaign={campaign}"' in html
    assert 'hx-push-url="true"' in html and 'hx-target="#dashboard"' in html


def test_city_and_county_and_items_and_item(client, login_as, items):
    login_as("viewer")
    city = client.get("/dashboard/city/411300").get_data(as_text=True)
    assert "南阳市整改统计" in city and "新野县" in city and "郸城县" not in city
    county = client.get("/dashboard/county/411329").get_data(as_text=True)
    assert "新野县整改统计" in county and "新野县医保局" in county
    listing = client.get("/dashboard/county/411329/items?bucket=overdue", headers=HX)
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200 and items[4].number in text and items[3].number not in text
    one = client.get(f"/dashboard/items/{items[4].id}")
    assert one.status_code == 200 and items[4].number in one.get_data(as_text=True)


@pytest.mark.parametrize("username, visible, hidden", [
    ("nanyang", ["/dashboard/city/411300", "/dashboard/county/411329"],
     ["/dashboard/city/411600", "/dashboard/county/411625", "/dashboard/county/411625/items"]),
    ("xinye", ["/dashboard/county/411329", "/dashboard/county/411329/items"],
     ["/dashboard/county/411330", "/dashboard/county/411330/items", "/dashboard/city/411600"]),
    ("leader8", ["/dashboard/county/411330"], ["/dashboard/county/411625", "/dashboard/city/411600"]),
])
def test_other_scopes_answer_404(client, login_as, items, username, visible, hidden):
    login_as(username)
    for url in visible:
        assert client.get(url).status_code == 200, url
        assert client.get(url, headers=HX).status_code == 200, url
    for url in hidden:
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers=HX).status_code == 404, url


def test_item_of_another_county_is_404(client, login_as, items):
    login_as("xinye")
    assert client.get(f"/dashboard/items/{items[1].id}").status_code == 200
    assert client.get(f"/dashboard/items/{items[7].id}").status_code == 404


@pytest.mark.parametrize("username", ["inspector8", "xinye-wjw", "admin", "auditor"])
def test_roles_without_dashboard_get_403(client, login_as, items, username):
    login_as(username)
    for url in ("/dashboard/", "/dashboard/county/411329", "/dashboard/reports",
                "/dashboard/reports/download.xlsx"):
        assert client.get(url).status_code == 403, url


def test_signed_out_is_sent_to_login(client, items):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_city_viewer_and_coordinator_start_at_their_region(client, login_as, items):
    login_as("nanyang")
    response = client.get("/dashboard/?campaign=all")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/city/411300?campaign=all")
    html = client.get("/dashboard/city/411300").get_data(as_text=True)
    assert '<span class="stat-num">8</span><span class="stat-label">下发问题</span>' in html
    assert "郸城县" not in html and "周口市" not in html


def test_coordinator_sees_only_their_county(client, login_as, items):
    login_as("xinye")
    response = client.get("/dashboard/")
    assert response.headers["Location"].endswith("/dashboard/county/411329")
    html = client.get("/dashboard/county/411329").get_data(as_text=True)
    assert '<span class="stat-num">6</span><span class="stat-label">下发问题</span>' in html
    assert "桐柏县" not in html


def _count_queries(client, url):
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)
    db.session.expire_all()     # the test's session is shared across requests: start each one cold
    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/city/411300", "/dashboard/county/411329",
                                 "/dashboard/county/411329/items"])
def test_query_count_does_not_grow_with_the_data(client, login_as, world, items, url):
    login_as("province")
    client.get(url)             # the day's first request builds or moves the rollups (a few more queries)
    before = _count_queries(client, url)
    for county in (world.xinye, world.tongbai, world.dancheng):
        for n in range(15):
            make_item(world, county, category=f"类别{n % 4}", deadline=date(2022, 8, n % 28 + 1))
    db.session.commit()
    assert _count_queries(client, url) == before
    assert before <= 16


def test_report_page_and_downloads(client, login_as, items):
    """Page, XLSX and DOCX of a city's weekly report (the figures themselves: test_periods.py)."""
    login_as("nanyang")
    page = client.get("/dashboard/reports?kind=week&day=2022-07-13&campaign=all")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "南阳市医共体建设核查问题整改周报" in html
    assert "本期（2022年第28周" in html and "各县（市、区）整改情况" in html
    assert "郸城县" not in html
    xlsx = client.get("/dashboard/reports/download.xlsx?kind=week&day=2022-07-13&campaign=all")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in xlsx.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["总体情况", "按县（市、区）"]
    docx = client.get("/dashboard/reports/download.docx?kind=month&day=2022-07-13&campaign=all")
    assert docx.status_code == 200 and docx.mimetype.endswith("wordprocessingml.document")
    from docx import Document
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert "2022年7月" in text and "南阳市" in text and "郸城县" not in text


def test_report_for_a_county_outside_the_scope_is_404(client, login_as, items):
    login_as("xinye")
    assert client.get("/dashboard/reports?county=411330").status_code == 404
    assert client.get("/dashboard/reports/download.docx?county=411330").status_code == 404
    html = client.get("/dashboard/reports?campaign=all").get_data(as_text=True)
    assert "新野县医共体建设核查问题整改周报" in html and "桐柏县" not in html


def test_report_fragment(client, login_as, items):
    login_as("viewer")
    response = client.get("/dashboard/reports?kind=month&day=2022-07-01", headers=HX)
    assert response.status_code == 200 and response.get_data(as_text=True).lstrip().startswith('<div id="report"')


def test_coordinator_dashboard_is_titled_with_their_county(client, login_as, items):
    """桐柏县's coordinator: the dashboard, its fragment and the report all name 桐柏县, never 南阳市."""
    login_as("tongbai")
    page = client.get("/dashboard/", follow_redirects=True).get_data(as_text=True)
    assert "<h1>桐柏县整改统计</h1>" in page and "南阳市整改统计" not in page
    fragment = client.get("/dashboard/county/411330?campaign=all", headers=HX).get_data(as_text=True)
    assert "<h1>桐柏县整改统计</h1>" in fragment
    city = client.get("/dashboard/city/411300?campaign=all")
    assert city.status_code == 302 and city.headers["Location"].startswith("/dashboard/county/411330")
    report = client.get("/dashboard/reports?campaign=all").get_data(as_text=True)
    assert "桐柏县医共体建设核查问题整改周报" in report and "各责任单位整改情况" in report
