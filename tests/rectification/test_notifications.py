"""Deadline reminders (`flask send-reminders`) and who is told about what."""
import datetime as dt

import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.rectification import notifications
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import Notification
from tests.rectification.factories import make_item, other_unit, wjw

NOW = dt.datetime(2022, 8, 1, 2, 0, tzinfo=dt.timezone.utc)  # 2022-08-01 10:00 in Beijing


def kinds_for(user):
    return sorted(db.session.execute(sa.select(Notification.kind).where(Notification.user_id == user.id)).scalars())


def test_reminders_near_deadline_and_overdue_without_duplicates(app, world):
    near = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2022, 8, 5))
    late = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2022, 7, 31))
    make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2022, 8, 20))   # far
    make_item(world, status=Status.CLOSED, unit=wjw(world), deadline=dt.date(2022, 7, 20))        # closed
    make_item(world, deadline=dt.date(2022, 7, 20))                                                # unassigned
    created = notifications.send_reminders(NOW)
    responder, coordinator = world.users["xinye-wjw"], world.users["xinye"]
    assert created == 4 + 3   # and the day's overdue digest to province, viewer and nanyang
    assert kinds_for(responder) == ["near_deadline", "overdue"]
    assert kinds_for(coordinator) == ["near_deadline", "overdue"]
    assert kinds_for(world.users["tongbai"]) == []
    message = db.session.execute(sa.select(Notification.message).where(
        Notification.user_id == responder.id, Notification.item_id == near.id)).scalar_one()
    assert "还剩 4 天" in message
    assert notifications.send_reminders(NOW) == 0
    assert notifications.send_reminders(NOW + dt.timedelta(hours=5)) == 0
    # An approved extension re-arms the reminder for the new deadline.
    late.extended_deadline = dt.date(2022, 8, 3)
    db.session.commit()
    assert notifications.send_reminders(NOW) == 2
    assert db.session.execute(sa.select(sa.func.count(Notification.id)).where(
        Notification.item_id == late.id, Notification.kind == "near_deadline")).scalar_one() == 2


def test_near_reminder_then_overdue_reminder_for_the_same_item(app, world):
    make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2022, 8, 1))
    assert notifications.send_reminders(NOW) == 2  # due today: near
    assert notifications.send_reminders(NOW + dt.timedelta(days=1)) == 2 + 3  # the next day: overdue (+ digests)
    assert kinds_for(world.users["xinye-wjw"]) == ["near_deadline", "overdue"]


def test_only_the_responsible_units_people_are_reminded(app, world):
    make_item(world, status=Status.IN_PROGRESS, unit=other_unit(world), deadline=dt.date(2022, 8, 2))
    notifications.send_reminders(NOW)
    assert kinds_for(world.users["xinye-wjw"]) == []
    assert kinds_for(world.users["xinye"]) == ["near_deadline"]


def test_cli_command(app, world, runner):
    make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2000, 1, 1))
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0 and "已发送 5 条" in result.output   # 2 reminders, 3 digests
    result = runner.invoke(args=["send-reminders"])
    assert "已发送 0 条" in result.output


def test_reviewers_are_the_team_leader_of_the_county_and_province_admins(app, world):
    xinye_item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    dancheng_item = make_item(world, world.dancheng, status=Status.SUBMITTED)
    assert set(notifications.reviewers(xinye_item)) == {world.users["leader8"].id, world.users["province"].id}
    assert set(notifications.reviewers(dancheng_item)) == {world.users["province"].id}


def test_notify_skips_duplicates_by_key(app, world):
    item = make_item(world)
    user = world.users["xinye"]
    assert len(notifications.notify([user.id, user.id], item, "overdue", "一", dedupe_key="k")) == 1
    db.session.commit()
    assert notifications.notify([user.id], item, "overdue", "一", dedupe_key="k") == []
