"""`flask send-reminders` sends statements per batch, never per item: at 10⁶ it took 96,553
statements even when it created nothing (issue 12, seen 4). The count must not grow with the items."""
import datetime as dt

import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import Notification
from inspect_app.rectification.notifications import send_reminders
from tests.rectification.factories import make_item, wjw
from tests.statements import counted


def _items(world, n):
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    for k in range(n):
        make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), commit=False,
                  deadline=today + dt.timedelta(days=(-3 if k % 2 else 5)))
    db.session.commit()


def _run_twice():
    with counted() as first:
        made = send_reminders()
    with counted() as again:
        assert send_reminders() == 0              # nothing new: everything was sent once
    return made, len(first), len(again)


def test_send_reminders_statement_count_does_not_grow_with_items(app, world):
    _items(world, 8)
    made_small, first_small, again_small = _run_twice()
    _items(world, 16)                              # 3N in all, and every notice to make again
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    made_large, first_large, again_large = _run_twice()
    assert made_large > 2 * made_small > 0
    assert first_large == first_small, (first_small, first_large)
    assert again_large == again_small, (again_small, again_large)


def test_a_run_with_nothing_to_send_is_one_query_whatever_the_batches(app, world, monkeypatch):
    from inspect_app.rectification import notifications
    monkeypatch.setattr(notifications, "BATCH_SIZE", 4)     # many batches of items, were there any
    _items(world, 8)
    _run_twice()
    with counted() as small:
        send_reminders()
    _items(world, 16)
    send_reminders()
    with counted() as large:
        assert send_reminders() == 0
    assert len(large) == len(small)
    assert sum("rectification_items" in s for s in large) == 2    # the reminder query and the digest's count
