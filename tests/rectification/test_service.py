"""The rectification service: SQL filters agree with the pure lifecycle, one transaction per action."""
import datetime as dt

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.rectification import date_rules, service
from inspect_app.rectification.lifecycle import Action, Status
from inspect_app.rectification.models import ItemHistory, Notification, RectificationItem
from inspect_app.errors import DomainError
from tests.rectification.factories import make_item, wjw

NOW = dt.datetime(2022, 8, 1, 2, 0, tzinfo=dt.timezone.utc)  # 2022-08-01 in Beijing


@pytest.fixture
def spread(world):
    """Items around every boundary of the aging buckets and the three colours."""
    base = dt.date(2022, 8, 1)
    items = []
    for offset in (-5, -1, 0, 1, 7, 8, 10, 11, 20, 21, 40):
        for status in (Status.PENDING, Status.IN_PROGRESS, Status.SUBMITTED, Status.CLOSED):
            items.append(make_item(world, status=status, unit=wjw(world), deadline=base + dt.timedelta(days=offset),
                                   commit=False))
    for planned in (-1, 0):
        items.append(make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=base + dt.timedelta(days=3),
                               planned_date=base + dt.timedelta(days=planned), commit=False))
        items.append(make_item(world, status=Status.SUBMITTED, unit=wjw(world), deadline=base + dt.timedelta(days=30),
                               planned_date=base + dt.timedelta(days=planned), commit=False))
    items.append(make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=base - dt.timedelta(days=2),
                           extended_deadline=base + dt.timedelta(days=12), commit=False))
    db.session.commit()
    return items


def _ids(user, **filters):
    stmt = service.items_query(user, service.Filters(**filters), NOW)
    return {i.id for i in db.session.execute(stmt).unique().scalars()}


@pytest.mark.parametrize("bucket", ["closed", "overdue", "le10", "le20", "gt20"])
def test_bucket_filter_matches_lifecycle(world, spread, bucket):
    expected = {i.id for i in spread if date_rules.item_dates(i, date_rules.today(NOW)).bucket == bucket}
    assert expected, "the spread must cover every bucket"
    assert _ids(world.users["xinye"], bucket=bucket) == expected


@pytest.mark.parametrize("colour", ["red", "yellow", "blue"])
def test_urgency_filter_matches_lifecycle(world, spread, colour):
    expected = {i.id for i in spread if date_rules.item_dates(i, date_rules.today(NOW)).urgency == colour}
    assert expected
    assert _ids(world.users["xinye"], urgency=colour) == expected


def test_open_bucket_is_everything_not_closed(world, spread):
    assert _ids(world.users["xinye"], bucket="open") == {i.id for i in spread if i.status is not Status.CLOSED}


def test_filters_from_query_string_ignore_junk():
    f = service.Filters.from_args(MultiDict({"status": "DROP", "bucket": "x", "urgency": "pink", "county": "abc", "q": " 心电 "}))
    assert (f.status, f.bucket, f.urgency, f.county, f.q) == ("", "", "", 0, "心电")
    assert service.Filters.from_args(MultiDict({"status": "SUBMITTED", "bucket": "le10"})).args() == \
        {"status": "SUBMITTED", "bucket": "le10"}


def test_refused_action_leaves_no_trace(app, world):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    with pytest.raises(DomainError) as refused:
        service.apply_action(item.id, world.users["xinye-wjw"], Action.ACCEPT, service.ActionInput(opinion="好"))
    assert refused.value.status == 403
    with pytest.raises(DomainError) as missing:
        service.apply_action(item.id, world.users["xinye-wjw"], Action.POST_PROGRESS,
                             service.ActionInput(version=1, text=""))
    assert missing.value.status == 422 and missing.value.field == "text"
    with pytest.raises(DomainError) as no_version:
        service.apply_action(item.id, world.users["xinye-wjw"], Action.POST_PROGRESS, service.ActionInput(text="进展"))
    assert no_version.value.status == 422 and no_version.value.message == service.MISSING_VERSION_MESSAGE
    db.session.expire_all()
    assert db.session.get(RectificationItem, item.id).version == 1
    for model in (ItemHistory, AuditEvent, Notification):
        assert db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one() == 0


def test_one_action_writes_item_history_audit_and_notification_together(app, world):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    history = service.apply_action(item.id, world.users["xinye-wjw"], Action.SUBMIT, service.ActionInput(version=1))
    db.session.expire_all()
    assert history.from_status is Status.IN_PROGRESS and history.to_status is Status.SUBMITTED
    assert db.session.get(RectificationItem, item.id).status is Status.SUBMITTED
    event = db.session.execute(sa.select(AuditEvent)).scalar_one()
    assert event.action == "item.submit" and event.before["status"] == "整改中" and event.after["status"] == "待验收"
    assert db.session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 2


def test_bulk_apply_reports_each_failure(app, world):
    ok = make_item(world)
    done = make_item(world, status=Status.CLOSED, unit=wjw(world))
    outside = make_item(world, world.tongbai)
    result = service.bulk_apply([ok.id, done.id, outside.id, ok.id], world.users["xinye"], Action.ASSIGN,
                                service.ActionInput(unit_id=wjw(world).id), {i.id: i.version for i in (ok, done, outside)})
    assert [i.id for i in result.done] == [ok.id]
    assert [i for i, _ in result.failed] == [done.id, outside.id]
    assert "已指派 1 项，2 项未能指派" in result.summary("指派")
    assert db.session.execute(sa.select(sa.func.count(ItemHistory.id))).scalar_one() == 1


def test_timeline_lists_every_step_newest_first(app, world):
    item = make_item(world, unit=wjw(world))
    user = world.users["xinye-wjw"]
    service.apply_action(item.id, user, Action.WRITE_MEASURES, service.ActionInput(version=1, text="措施",
                                                                               new_date=item.deadline))
    service.apply_action(item.id, user, Action.POST_PROGRESS, service.ActionInput(version=2, text="进展一"))
    service.apply_action(item.id, world.users["inspector8"], Action.COMMENT, service.ActionInput(text="好"))
    steps = service.timeline(db.session.get(RectificationItem, item.id))
    assert [s.action for s in steps] == ["comment", "post_progress", "write_measures"]
    assert steps[0].actor.username == "inspector8"
    assert db.session.get(RectificationItem, item.id).latest_progress == "进展一"


def test_allowed_actions_drive_the_buttons(app, world):
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    assert Action.ACCEPT in service.allowed_actions(item, world.users["leader8"])
    assert Action.ACCEPT not in service.allowed_actions(item, world.users["xinye"])
    assert service.allowed_actions(item, world.users["tongbai"]) == []
