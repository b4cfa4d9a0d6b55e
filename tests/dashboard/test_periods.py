"""Period figures (周报/月报) from the status history, against a small hand-computed history around the
month boundaries of October 2022 at midnight Beijing (00:00 Beijing = 16:00 UTC the day before).

Items (新野县 unless noted; Beijing times):
  A issued 09-30 23:59:59, due 10-20; in progress 10-10, submitted 10-15, returned 10-18, submitted
    10-25, closed 10-31 23:59:59                                   → issued in Sep, closed in Oct
  B issued 10-01 00:00:00, due 10-15; extended to 11-10 on 10-14  → issued in Oct, never overdue in Oct
  C issued 09-05, due 09-20, pending                              → overdue since Sep
  D issued 09-05, due 10-31, in progress 09-10                    → overdue from 11-01 00:00 (new in Oct)
  E issued 09-05, closed 09-20, reopened 11-01 00:00:00 to 11-30 → closed at the end of October
  F 桐柏县, issued 10-20, due 12-31
  H issued 09-05, due 10-05; closed 10-04, reopened 10-08         → closed and reopened in Oct; overdue
  G issued 11-03 (added "in December")                            → not in the October report
"""
import io
from datetime import date, datetime, timezone

import pytest
from docx import Document
from openpyxl import load_workbook

from inspect_app.dashboard import periods, reports, service
from inspect_app.extensions import db
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification import date_rules
from inspect_app.rectification.models import ItemHistory
from tests.dashboard.factories import make_item, unit

P, W, S, C = Status.PENDING, Status.IN_PROGRESS, Status.SUBMITTED, Status.CLOSED


def bj(*args) -> datetime:
    """A Beijing wall-clock time as a UTC instant."""
    return date_rules.beijing_wall_clock(datetime(*args))


def step(item, action, from_status, to_status, at, **data):
    db.session.add(ItemHistory(item_id=item.id, action=action, from_status=from_status, to_status=to_status,
                               at=at, data=data or None))


def issue(world, county, at, deadline, **kw):
    item = make_item(world, county, issued_at=at, deadline=deadline, **kw)
    step(item, "issue", None, P, at, deadline=deadline.isoformat())
    return item


def until_november(world):
    """The history as it stood on 2022-11-01 (every row before then)."""
    wjw, ybj = unit(world.xinye), unit(world.xinye, "医保局")
    a = issue(world, world.xinye, bj(2022, 9, 30, 23, 59, 59), date(2022, 10, 20), unit_id=wjw.id)
    step(a, "write_measures", P, W, bj(2022, 10, 10, 9))
    step(a, "submit", W, S, bj(2022, 10, 15, 9))
    step(a, "return", S, W, bj(2022, 10, 18, 9))
    step(a, "submit", W, S, bj(2022, 10, 25, 9))
    step(a, "accept", S, C, bj(2022, 10, 31, 23, 59, 59))
    b = issue(world, world.xinye, bj(2022, 10, 1), date(2022, 10, 15), unit_id=wjw.id)
    step(b, "request_extension", P, P, bj(2022, 10, 12, 9), new_date="2022-11-10", current_deadline="2022-10-15")
    step(b, "approve_extension", P, P, bj(2022, 10, 14, 9), new_deadline="2022-11-10", previous_deadline="2022-10-15")
    c = issue(world, world.xinye, bj(2022, 9, 5, 10), date(2022, 9, 20), unit_id=ybj.id)
    d = issue(world, world.xinye, bj(2022, 9, 5, 10), date(2022, 10, 31), unit_id=ybj.id)
    step(d, "write_measures", P, W, bj(2022, 9, 10, 9))
    e = issue(world, world.xinye, bj(2022, 9, 5, 10), date(2022, 9, 25))
    step(e, "write_measures", P, W, bj(2022, 9, 6, 9))
    step(e, "submit", W, S, bj(2022, 9, 15, 9))
    step(e, "accept", S, C, bj(2022, 9, 20, 9))
    f = issue(world, world.tongbai, bj(2022, 10, 20, 10), date(2022, 12, 31))
    h = issue(world, world.xinye, bj(2022, 9, 5, 10), date(2022, 10, 5), unit_id=wjw.id)
    step(h, "write_measures", P, W, bj(2022, 9, 6, 9))
    step(h, "submit", W, S, bj(2022, 10, 2, 9))
    step(h, "accept", S, C, bj(2022, 10, 4, 9))
    step(h, "reopen", C, W, bj(2022, 10, 8, 9))
    db.session.commit()
    return dict(a=a, b=b, c=c, d=d, e=e, f=f, h=h)


def until_december(world, items):
    """What happened after the October report's period: E reopened at 11-01 00:00, G issued, B closed."""
    step(items["e"], "reopen", C, W, bj(2022, 11, 1), new_deadline="2022-11-30")
    issue(world, world.xinye, bj(2022, 11, 3, 10), date(2022, 11, 20))
    step(items["b"], "write_measures", P, W, bj(2022, 11, 5))
    step(items["b"], "submit", W, S, bj(2022, 11, 6))
    step(items["b"], "accept", S, C, bj(2022, 11, 7))
    db.session.commit()


@pytest.fixture
def history(world):
    return until_november(world)


def october(user, now):
    where = periods.scope_clause(user, None)
    return periods.figures(where, periods.period_of("month", date(2022, 10, 13)), now)


def snap(s):
    return (s.issued, s.closed, s.pending, s.in_progress, s.submitted, s.overdue)


def flow(f):
    return (f.issued, f.closed, f.newly_overdue, f.returned, f.extended, f.reopened)


def test_period_boundaries_are_beijing_midnights():
    month = periods.period_of("month", date(2022, 10, 31))
    assert (month.start, month.end) == (date(2022, 10, 1), date(2022, 10, 31))
    assert month.start_utc == datetime(2022, 9, 30, 16, tzinfo=timezone.utc)
    assert month.end_utc == datetime(2022, 10, 31, 16, tzinfo=timezone.utc)
    assert month.previous() == periods.Period("month", date(2022, 9, 1), date(2022, 9, 30))
    week = periods.period_of("week", date(2022, 10, 2))            # a Sunday
    assert (week.start, week.end) == (date(2022, 9, 26), date(2022, 10, 2))
    assert periods.period_of("month", date(2023, 1, 5)).previous().start == date(2022, 12, 1)


def test_october_figures_as_at_the_end_of_october(world, history):
    found = october(world.users["viewer"], bj(2022, 11, 1, 10))
    t = found.total
    # issued, closed, pending, in progress, submitted, overdue at 11-01 00:00 Beijing
    assert snap(t.end) == (7, 2, 3, 2, 0, 3)                         # overdue: C, D (due 10-31), H
    assert snap(t.previous_end) == (5, 1, 2, 2, 0, 1)                # at 10-01 00:00: B not yet; C overdue
    # issued, closed, newly overdue, returned, extended, reopened within October / September
    assert flow(t.flow) == (2, 2, 2, 1, 1, 1)
    assert flow(t.previous_flow) == (5, 1, 1, 0, 0, 0)
    assert t.end.closure_rate == pytest.approx(2 / 7)


def test_october_is_the_same_when_read_in_december(world, history):
    before = october(world.users["viewer"], bj(2022, 11, 1, 10))
    until_december(world, history)
    after = october(world.users["viewer"], bj(2022, 12, 15, 10))
    assert (snap(after.total.end), flow(after.total.flow)) == (snap(before.total.end), flow(before.total.flow))
    november = periods.figures(periods.scope_clause(world.users["viewer"], None),
                               periods.period_of("month", date(2022, 11, 1)), bj(2022, 12, 15, 10))
    # November: G issued, B closed (11-07, before its extended 11-10), E reopened to 11-30; at 12-01
    # 00:00 E (due 11-30) and G (due 11-20) are newly overdue.
    assert flow(november.total.flow) == (1, 1, 2, 0, 0, 1)           # newly overdue: E and G (due 11-20)
    assert november.total.previous_end.overdue == 3


def test_breakdowns_by_county_city_and_unit(world, history):
    found = october(world.users["viewer"], bj(2022, 11, 1, 10))
    counties = {r.name: snap(r.end) for r in found.by("county")}
    assert counties == {"新野县": (6, 2, 2, 2, 0, 3), "桐柏县": (1, 0, 1, 0, 0, 0)}
    assert [(r.name, r.end.issued) for r in found.by("city")] == [("南阳市", 7)]
    units = {r.name: (r.end.issued, r.end.overdue) for r in
             october(world.users["xinye"], bj(2022, 11, 1, 10)).by("unit")}
    assert units == {"新野县卫健委": (3, 1), "新野县医保局": (2, 2), "未指派": (1, 0)}


def test_running_period_counts_up_to_now(world, history):
    found = october(world.users["viewer"], bj(2022, 10, 16, 12))
    # F not issued yet; A submitted; E closed; overdue: C and H (due 10-05); B extended on 10-14
    assert snap(found.total.end) == (6, 1, 2, 2, 1, 2)
    assert found.total.flow.closed == 1                             # H, closed on 10-04


def _downloads(client, login_as, monkeypatch, when):
    monkeypatch.setattr(service, "now", lambda: when)
    login_as("viewer")
    args = "kind=month&day=2022-10-13&campaign=all"
    docx = client.get(f"/dashboard/reports/download.docx?{args}")
    xlsx = client.get(f"/dashboard/reports/download.xlsx?{args}")
    assert docx.status_code == 200 and xlsx.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    tables = [[c.text for c in row.cells] for t in Document(io.BytesIO(docx.data)).tables for row in t.rows]
    book = load_workbook(io.BytesIO(xlsx.data))
    cells = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}
    return text, tables, cells


def test_october_report_downloaded_in_november_and_december_is_identical(client, login_as, world, history,
                                                                           monkeypatch):
    first = _downloads(client, login_as, monkeypatch, bj(2022, 11, 1, 9))
    until_december(world, history)
    again = _downloads(client, login_as, monkeypatch, bj(2022, 12, 15, 16))
    assert first == again
    text, _tables, cells = first
    assert "本期（2022年10月）新下发整改事项2项，验收销号2项，新增超期2项" in text
    assert "截至2022年10月31日，累计下发整改事项7项，已销号2项" in text
    assert "2022年11月1日" in text                                   # the circular's date: the day after
    assert list(cells) == ["总体情况", "按市（州）", "按县（市、区）"]
    summary = {row[0]: row[1:] for row in cells["总体情况"][1:]}
    assert summary["期末累计下发"] == [7, 5, 2] and summary["新增超期"] == [2, 1, 1]
    counties = {row[0]: row for row in cells["按县（市、区）"][1:]}
    assert counties["新野县"][1:4] == ["411329", 6, 2] and counties["桐柏县"][9:11] == [1, 0]


def _docx_text(response):
    doc = Document(io.BytesIO(response.data))
    return "\n".join(p.text for p in doc.paragraphs), [[c.text for c in r.cells] for t in doc.tables for r in t.rows]


def test_county_report_speaks_for_the_county_by_unit(client, login_as, world, history, monkeypatch):
    monkeypatch.setattr(service, "now", lambda: bj(2022, 11, 2, 9))
    login_as("xinye")
    text, rows = _docx_text(client.get("/dashboard/reports/download.docx?kind=month&day=2022-10-01&campaign=all"))
    assert "新野县医共体建设核查问题整改月报" in text
    assert "各责任单位整改情况" in text and "各县（市、区）" not in text and "请各地" not in text
    assert "请各责任单位" in text and "新野县：" not in text           # never lagging behind itself
    assert "新野县医保局：" in text                                   # the unit that lags
    assert rows[0][1] == "责任单位" and {r[1] for r in rows[1:]} == {"新野县卫健委", "新野县医保局", "未指派"}
    page = client.get("/dashboard/reports?kind=month&day=2022-10-01&campaign=all").get_data(as_text=True)
    assert "各责任单位整改情况" in page and "各县（市、区）整改情况" not in page
    sheets = load_workbook(io.BytesIO(client.get(
        "/dashboard/reports/download.xlsx?kind=month&day=2022-10-01&campaign=all").data)).sheetnames
    assert sheets == ["总体情况", "按责任单位"]


@pytest.mark.parametrize("username, title, tables, absent", [
    ("nanyang", "南阳市医共体建设核查问题整改月报", ["各县（市、区）整改情况"], ["各市（州）整改情况", "郸城县"]),
    ("leader8", "第八核查组负责县（市、区）医共体建设核查问题整改月报", ["各县（市、区）整改情况"], ["各市（州）"]),
    ("viewer", "全省医共体建设核查问题整改月报", ["各市（州）整改情况", "各县（市、区）整改情况"], []),
])
def test_city_team_and_province_reports_break_down_by_place(client, login_as, world, history, monkeypatch,
                                                            username, title, tables, absent):
    monkeypatch.setattr(service, "now", lambda: bj(2022, 11, 2, 9))
    login_as(username)
    text, rows = _docx_text(client.get("/dashboard/reports/download.docx?kind=month&day=2022-10-01&campaign=all"))
    assert title in text.replace("\n", "") and all(t in text for t in tables) and not any(a in text for a in absent)
    assert "新野县" in {r[1] for r in rows} and "请各" in text


def test_report_scope_of_each_role(world):
    assert reports.scope_of(world.users["tongbai"]) == reports.Scope("county", "桐柏县", "411330", world.tongbai.id)
    assert reports.scope_of(world.users["nanyang"]).breakdowns == ("county",)
    assert reports.scope_of(world.users["viewer"], world.xinye).breakdowns == ("unit",)
    assert reports.scope_of(world.users["viewer"]).breakdowns == ("city", "county")
