"""Two people save one item at the same moment: exactly one wins, the other is told it changed. One
progress post sent twice at once (the same client UUID) is recorded once and both get its answer.

Real parallel requests (tests/parallel.py): threads, each with its own test client, app context and
database session, released together by a Barrier. On PostgreSQL the row lock (SELECT … FOR UPDATE)
queues the second save behind the first; on SQLite the write lock does, and the version column
(StaleDataError) catches the loser. Run with TEST_DATABASE_URL to exercise PostgreSQL.
"""
import io
import os
import re

import pytest
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.rectification import service
from inspect_app.rectification.lifecycle import STALE_MESSAGE, Status
from inspect_app.rectification.models import ItemHistory, ProgressPost, RectificationItem
from inspect_app.errors import DomainError
from tests.conftest import HX
from tests.media import images
from tests.parallel import client_for, race
from tests.rectification.factories import make_item, wjw


def _race(app, posts):
    """The (client, url, data) posts in parallel; (status, body) of each, in order."""
    return [(r.status, r.body) for r in race(app, [(client, url, data, HX) for client, url, data in posts])]


def test_two_parallel_saves_exactly_one_wins(app, world):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    url = f"/items/{item.id}/actions/write_measures"
    deadline = item.deadline.isoformat()
    coordinator = client_for(app, world.users["xinye"])
    responder = client_for(app, world.users["xinye-wjw"])
    results = _race(app, [
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
    leader = client_for(app, world.users["leader8"])
    province = client_for(app, world.users["province"])
    results = _race(app, [
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
    except DomainError as error:
        assert error.status == 409 and error.message == STALE_MESSAGE
    else:
        raise AssertionError("a stale save was accepted")
    db.session.expire_all()
    assert db.session.get(RectificationItem, item.id).measures == "别人的措施"


# ---------------------------------------------------------------- one progress post, sent more than once

def _without_tokens(html: str) -> str:
    """The page minus what differs between two renderings of the same state (CSRF tokens, and
    the fresh UUID of a progress form drawn again)."""
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    return re.sub(r'"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"', "", html)


@pytest.mark.parametrize("n", [2, 5])
def test_same_progress_post_at_once_is_recorded_once(app, world, n):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    key = "6f1c2b9e-3a55-4d8e-9b1e-0c6a4f2d7e10"
    responder = client_for(app, world.users["xinye-wjw"])

    def form():
        return {"version": "1", "uuid": key, "text": "已完成 12 个乡镇接入",
                "files": [(io.BytesIO(images.jpeg(800, 600)), "现场.jpg"), (io.BytesIO(images.pdf()), "方案.pdf")]}

    results = race(app, [(responder, f"/items/{item.id}/actions/post_progress", form, HX)] * n)
    assert [r.status for r in results] == [200] * n, [(r.status, r.body[:300]) for r in results]
    assert len({_without_tokens(r.body) for r in results}) == 1
    assert len({r.trigger for r in results}) == 1 and "toast" in results[0].trigger
    db.session.expire_all()
    post = db.session.execute(sa.select(ProgressPost)).scalar_one()
    assert post.uuid == key and post.text in results[0].body
    assert db.session.execute(sa.select(sa.func.count(Attachment.id))).scalar_one() == 2
    assert db.session.execute(sa.select(sa.func.count(ItemHistory.id))).scalar_one() == 1
    saved = db.session.get(RectificationItem, item.id)
    assert saved.version == 2 and saved.latest_progress == "已完成 12 个乡镇接入"
    for attachment in db.session.execute(sa.select(Attachment)).scalars():  # the losers' cleanup kept them
        assert os.path.isfile(os.path.join(app.config["UPLOAD_FOLDER"], attachment.file_key or attachment.display_key))


def test_a_late_retry_of_a_progress_post_gets_the_same_answer(app, world, client, login_as):
    """The first response was lost; the retry carries the old version and the same UUID."""
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    drawn = client.get(f"/items/{item.id}/actions/post_progress", headers=HX).get_data(as_text=True)
    key = re.search(r'name="uuid"[^>]*value="([0-9a-f-]{36})"', drawn).group(1)  # the form brings its UUID
    data = {"version": "1", "uuid": key, "text": "完成接入"}
    first = client.post(f"/items/{item.id}/actions/post_progress", data=data, headers=HX)
    again = client.post(f"/items/{item.id}/actions/post_progress", data=data, headers=HX)
    assert first.status_code == again.status_code == 200
    assert _without_tokens(first.get_data(as_text=True)) == _without_tokens(again.get_data(as_text=True))
    assert db.session.execute(sa.select(sa.func.count(ProgressPost.id))).scalar_one() == 1
    other = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    taken = client.post(f"/items/{other.id}/actions/post_progress", data={**data, "text": "别的事项"}, headers=HX)
    assert taken.status_code == 409 and "该进展编号已被其他事项使用" in taken.get_data(as_text=True)
