"""Two people save one item at the same moment: exactly one wins, the other is told it changed.

Real parallel requests: two threads, each with its own test client (so its own app context and
database session), released together by a Barrier. On PostgreSQL the row lock (SELECT … FOR UPDATE)
queues the second save behind the first; on SQLite the write lock does, and the version column
(StaleDataError) catches the loser. Run with TEST_DATABASE_URL to exercise PostgreSQL.
"""
import threading
from datetime import datetime, timezone

import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.rectification import service
from inspect_app.rectification.lifecycle import STALE_MESSAGE, Status
from inspect_app.rectification.models import ItemHistory, RectificationItem
from tests.conftest import HX
from tests.rectification.factories import make_item, wjw


def _client_for(app, user):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["seen"] = datetime.now(timezone.utc).timestamp()
    return client


def _race(app, item, posts):
    """Run the (client, url, data) posts in parallel threads started together; return responses."""
    barrier = threading.Barrier(len(posts))
    results = [None] * len(posts)

    def run(i, client, url, data):
        with app.app_context():  # this thread's own context, hence its own database session
            headers = {**HX, "X-CSRFToken": client.csrf_token()}
            barrier.wait()
            response = client.post(url, data=data, headers=headers)
            results[i] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=run, args=(i, *p)) for i, p in enumerate(posts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_parallel_saves_exactly_one_wins(app, world):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    url = f"/items/{item.id}/actions/write_measures"
    deadline = item.deadline.isoformat()
    coordinator = _client_for(app, world.users["xinye"])
    responder = _client_for(app, world.users["xinye-wjw"])
    results = _race(app, item, [
        (coordinator, url, {"version": "1", "text": "联络员写的措施", "new_date": deadline}),
        (responder, url, {"version": "1", "text": "经办人写的措施", "new_date": deadline}),
    ])
    statuses = sorted(code for code, _ in results)
    assert statuses == [200, 409], results
    winner_text, loser_html = ("联络员写的措施", results[1][1]) if results[0][0] == 200 else ("经办人写的措施", results[0][1])
    assert STALE_MESSAGE in loser_html
    loser_text = "经办人写的措施" if winner_text == "联络员写的措施" else "联络员写的措施"
    assert loser_text in loser_html  # the loser's typing is kept in the form
    db.session.expire_all()
    saved = db.session.get(RectificationItem, item.id)
    assert saved.measures == winner_text and saved.version == 2
    assert db.session.execute(sa.select(sa.func.count(ItemHistory.id)).where(ItemHistory.item_id == item.id)).scalar_one() == 1


def test_parallel_accept_and_return_one_wins(app, world):
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    leader = _client_for(app, world.users["leader8"])
    province = _client_for(app, world.users["province"])
    results = _race(app, item, [
        (leader, f"/items/{item.id}/actions/accept", {"version": "1", "opinion": "同意销号"}),
        (province, f"/items/{item.id}/actions/return", {"version": "1", "reason": "材料不足"}),
    ])
    assert sorted(code for code, _ in results) == [200, 409], results
    db.session.expire_all()
    saved = db.session.get(RectificationItem, item.id)
    assert saved.version == 2
    assert saved.status in (Status.CLOSED, Status.IN_PROGRESS)
    assert db.session.execute(sa.select(sa.func.count(ItemHistory.id))).scalar_one() == 1


def test_stale_row_in_the_session_is_caught_by_the_version_column(app, world):
    """The object in the session still says version 1 while the row moved on: the UPDATE matches no
    row (StaleDataError on SQLite) or the refreshed row is seen as stale (PostgreSQL) — 409 both ways."""
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    db.session.get(RectificationItem, item.id)  # loaded in this session at version 1
    with db.engine.begin() as other:
        other.execute(sa.update(RectificationItem.__table__).where(RectificationItem.__table__.c.id == item.id)
                      .values(version=2, measures="别人的措施"))
    user = world.users["xinye-wjw"]
    try:
        service.apply_action(item.id, user, "write_measures",
                             service.ActionInput(version=1, text="我的措施", new_date=item.deadline))
    except service.ActionError as error:
        assert error.status == 409 and error.message == STALE_MESSAGE
    else:
        raise AssertionError("a stale save was accepted")
    db.session.expire_all()
    assert db.session.get(RectificationItem, item.id).measures == "别人的措施"
