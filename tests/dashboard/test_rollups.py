"""The closure rollups stay exactly equal to a fresh computation over the items: after every
lifecycle action taken through the real service, after a refused action, in parallel, and for users
whose scope is not a set of counties; read on any day they give the date rules' own figures; and a
dashboard read never writes, locks or commits, at midnight Beijing included."""
import datetime as dt

import pytest
import sqlalchemy as sa

from inspect_app.dashboard import rollups, service as dashboard
from inspect_app.dashboard.models import ClosureRollup
from inspect_app.extensions import db
from inspect_app.rectification import date_rules, service
from inspect_app.rectification.lifecycle import Action, Status
from inspect_app.rectification.models import RectificationItem
from inspect_app.errors import DomainError
from tests.rectification.factories import make_item, other_unit, wjw

TODAY = dashboard.today()


def _exact():
    assert rollups.differences() == []


def _act(item, user, action, **data):
    db.session.expire_all()
    version = db.session.get(RectificationItem, item.id).version
    service.apply_action(item.id, user, action, service.ActionInput(version=version, **data))
    _exact()


@pytest.fixture()
def spread(app, world):
    """Items of 新野县 and 桐柏县 in every status, deadlines from long past to far ahead."""
    items = [make_item(world, deadline=TODAY + dt.timedelta(days=d)) for d in (-40, -1, 0, 9, 10, 11, 20, 21, 90)]
    items += [make_item(world, world.tongbai, status=Status.SUBMITTED, deadline=TODAY - dt.timedelta(days=3)),
              make_item(world, status=Status.CLOSED, deadline=TODAY - dt.timedelta(days=5)),
              make_item(world, status=Status.IN_PROGRESS, deadline=TODAY + dt.timedelta(days=4),
                        extended_deadline=TODAY + dt.timedelta(days=34))]
    return items


def test_every_action_keeps_it_exact(app, world, spread):
    _exact()
    assert db.session.scalar(sa.select(sa.func.count(ClosureRollup.id))) > 0    # the item inserts added rows
    viewer = world.users["viewer"]
    before = dashboard.headline(viewer, dashboard.Filters())
    assert before.issued == len(spread)

    coordinator, responder, leader = world.users["xinye"], world.users["xinye-wjw"], world.users["leader8"]
    item = spread[1]                                   # pending, one day overdue
    _act(item, coordinator, Action.ASSIGN, unit_id=other_unit(world).id)
    _act(item, coordinator, Action.ASSIGN, unit_id=wjw(world).id)
    _act(item, responder, Action.WRITE_MEASURES, text="整改措施", new_date=TODAY - dt.timedelta(days=1))
    _act(item, responder, Action.POST_PROGRESS, text="已完成一半")
    _act(item, responder, Action.SUBMIT)
    _act(item, leader, Action.RETURN, reason="证据不足")
    _act(item, responder, Action.SUBMIT)
    _act(item, leader, Action.ACCEPT, opinion="同意销号")
    _act(item, leader, Action.REOPEN, reason="回头看发现反弹")

    later = spread[8]                                  # 90 days ahead: ask for more time
    _act(later, coordinator, Action.ASSIGN, unit_id=wjw(world).id)
    _act(later, responder, Action.REQUEST_EXTENSION, reason="设备未到货", new_date=TODAY + dt.timedelta(days=120))
    _act(later, leader, Action.APPROVE_EXTENSION)

    after = dashboard.headline(viewer, dashboard.Filters())
    assert after.issued == before.issued
    assert after.returns == before.returns + 1 and after.reopens == before.reopens + 1
    assert after.overdue == before.overdue            # the reopened item is still one day overdue
    # the median reads its count from the rollups (timed); counting the items gives the same middle
    assert after.median_days == dashboard.median_days_to_close(viewer, dashboard.Filters())


def test_bulk_assign_and_a_refused_action_leave_it_exact(app, world, spread):
    result = service.bulk_apply([i.id for i in spread[:4]], world.users["xinye"], Action.ASSIGN,
                                service.ActionInput(unit_id=wjw(world).id), {i.id: i.version for i in spread[:4]})
    assert len(result.done) == 4
    _exact()
    stored = db.session.execute(sa.select(ClosureRollup.dim, ClosureRollup.value, ClosureRollup.issued)
                                .where(ClosureRollup.dim == "unit", ClosureRollup.value == str(wjw(world).id))).all()
    assert sum(n for *_, n in stored) >= 4, stored
    snapshot = db.session.execute(sa.select(ClosureRollup.id, ClosureRollup.status, ClosureRollup.issued)
                                  .order_by(ClosureRollup.id)).all()
    with pytest.raises(DomainError):          # stale version: nothing may change
        service.apply_action(spread[0].id, world.users["xinye-wjw"], Action.WRITE_MEASURES,
                             service.ActionInput(version=99, text="措施", new_date=TODAY))
    db.session.rollback()
    assert db.session.execute(sa.select(ClosureRollup.id, ClosureRollup.status, ClosureRollup.issued)
                              .order_by(ClosureRollup.id)).all() == snapshot
    _exact()


@pytest.mark.parametrize("days", [0, 1, 9, 10, 11, 20, 21, 45, -1, -11, -30])
def test_read_on_any_day_gives_the_date_rules_figures(app, world, spread, days):
    """The same rows read as of another today count overdue and aging as the Python rules do item by
    item — nothing is stored per day, so nothing has to move."""
    viewer = world.users["viewer"]
    moved = TODAY + dt.timedelta(days=days)
    rows_before = db.session.execute(sa.select(ClosureRollup.__table__)).all()
    figures = dashboard.headline(viewer, dashboard.Filters(today=moved))
    items = db.session.execute(sa.select(RectificationItem)).scalars().all()
    expected = {key: 0 for key in dashboard.AGING_BUCKETS}
    for item in items:
        if item.status is not Status.CLOSED:
            expected[date_rules.item_dates(item, moved).bucket] += 1
    assert figures.aging == expected and figures.overdue == expected["overdue"]
    assert db.session.execute(sa.select(ClosureRollup.__table__)).all() == rows_before
    # the unit table's overdue counts follow the same rule
    assert sum(r["overdue"] for r in dashboard.unit_overdue(viewer, dashboard.Filters(today=moved))) \
        == expected["overdue"]
    _exact()


def test_rebuild_equals_incremental(app, world, spread):
    service.apply_action(spread[2].id, world.users["xinye"], Action.ASSIGN,
                         service.ActionInput(version=spread[2].version, unit_id=wjw(world).id))
    incremental = db.session.execute(sa.select(*(ClosureRollup.__table__.c[n] for n in rollups.KEY + rollups.MEASURES))
                                     .where(ClosureRollup.issued != 0)).all()
    rollups.rebuild()
    rebuilt = db.session.execute(sa.select(*(ClosureRollup.__table__.c[n] for n in rollups.KEY + rollups.MEASURES))).all()
    assert sorted(map(tuple, incremental), key=str) == sorted(map(tuple, rebuilt), key=str)


def test_differences_reports_a_tampered_row(app, world, spread):
    db.session.execute(sa.update(ClosureRollup).where(ClosureRollup.dim == "all").values(issued=ClosureRollup.issued + 1))
    db.session.commit()
    found = rollups.differences()
    assert found and found[0]["key"]["dim"] == "all"
    assert found[0]["stored"]["issued"] == found[0]["expected"]["issued"] + 1


def test_a_scope_that_is_not_counties_reads_the_items_live(app, world, spread, monkeypatch):
    """Should a unit-bound role ever see the dashboard, its figures come from its own items only."""
    responder = world.users["xinye-wjw"]
    _act(spread[3], world.users["xinye"], Action.ASSIGN, unit_id=wjw(world).id)
    mine = db.session.scalar(sa.select(sa.func.count(RectificationItem.id))
                             .where(RectificationItem.unit_id == responder.unit_id))
    figures = dashboard.headline(responder, dashboard.Filters())
    assert figures.issued == mine
    units = dashboard.breakdown(responder, dashboard.Filters(), "unit")
    assert [r.name for r in units] == ["新野县卫健委"]


def test_cli_check_and_rebuild(app, world, spread, runner):
    result = runner.invoke(args=["rollups", "check"])
    assert result.exit_code == 0 and "一致" in result.output
    db.session.execute(sa.update(ClosureRollup).where(ClosureRollup.dim == "severity")
                       .values(returns=ClosureRollup.returns + 2))
    db.session.commit()
    result = runner.invoke(args=["rollups", "check"])
    assert result.exit_code == 1 and "不一致" in result.output and "returns" in result.output
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0 and "已重建" in result.output
    assert runner.invoke(args=["rollups", "check"]).exit_code == 0


@pytest.fixture
def own_connections(tmp_path):
    """An app whose sessions have connections of their own: PostgreSQL as configured, or a SQLite
    file (the in-memory test database is one connection shared by every thread)."""
    from inspect_app import create_app
    from tests.conftest import Config
    from tests.factories import make_world

    class FileConfig(Config):
        if not Config.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            SQLALCHEMY_DATABASE_URI = "sqlite:///" + str(tmp_path / "parallel.sqlite")

    app = create_app(FileConfig)
    with app.app_context():
        if FileConfig.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            db.create_all()
        yield app, make_world()
        db.session.remove()
        if FileConfig.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            db.engine.dispose()


def test_parallel_actions_and_reads_stay_exact(app, own_connections):
    """Four items of one county changed at the same moment by separate sessions, while another
    request reads the figures as of the next day: the row locks (PostgreSQL) or the write lock
    (SQLite) serialise the writers, the reader waits for nobody, and nothing is counted twice or lost."""
    import threading

    app, world = own_connections

    items = [make_item(world, status=Status.SUBMITTED, unit=wjw(world), deadline=TODAY + dt.timedelta(days=d))
             for d in (-2, 0, 1, 15)]
    leader_id, viewer_id = world.users["leader8"].id, world.users["viewer"].id
    barrier = threading.Barrier(len(items) + 1)
    errors = []

    def accept(item_id):
        with app.app_context():
            from inspect_app.auth.models import User
            leader = db.session.get(User, leader_id)
            barrier.wait()
            try:
                service.apply_action(item_id, leader, Action.ACCEPT, service.ActionInput(version=1, opinion="同意销号"))
            except Exception as error:          # noqa: BLE001 - reported below
                errors.append(repr(error))
            finally:
                db.session.remove()

    def read():
        with app.app_context():
            from inspect_app.auth.models import User
            viewer = db.session.get(User, viewer_id)
            barrier.wait()
            try:
                dashboard.headline(viewer, dashboard.Filters(today=TODAY + dt.timedelta(days=1)))
            except Exception as error:          # noqa: BLE001
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(i.id,)) for i in items] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    assert all(db.session.get(RectificationItem, i.id).status is Status.CLOSED for i in items)
    _exact()
    assert dashboard.headline(world.users["viewer"], dashboard.Filters()).closed == len(items)
    _exact()
