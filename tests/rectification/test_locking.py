"""Item actions carry the item's version, and a request without it is refused (issue 9, point 7).

Without a version (an old page, a hand-made request) nobody can tell whether the user saw the latest
state, so the action is refused with 422 — an incomplete form, like any missing field — and the form
comes back with the user's text, the latest state and the version to send next time. A stale version
answers 409 with the shared conflict view: the saved measures or progress beside the user's own.
"""
import json

import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.rectification import service
from inspect_app.rectification.lifecycle import STALE_MESSAGE, Status
from inspect_app.rectification.models import ItemHistory, RectificationItem
from tests.conftest import HX
from tests.locking import audit_count, conflict_boxes
from tests.rectification.factories import make_item, wjw


def fresh(item_id) -> RectificationItem:
    db.session.expire_all()
    return db.session.get(RectificationItem, item_id)


def test_action_without_version_is_refused_with_422_and_keeps_the_text(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), measures="原有措施")
    login_as("xinye-wjw")
    response = client.post(f"/items/{item.id}/actions/write_measures", headers=HX,
                           data={"text": "没有版本号的措施", "new_date": item.deadline.isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and service.MISSING_VERSION_MESSAGE in html
    assert "没有版本号的措施" in html and 'id="version" name="version" type="hidden" value="1"' in html
    assert conflict_boxes(html) == {"text": "原有措施", "new_date": "（空）"}  # no plan date saved yet
    row = fresh(item.id)
    assert (row.measures, row.version) == ("原有措施", 1)
    assert audit_count() == 0 and db.session.scalar(sa.select(sa.func.count(ItemHistory.id))) == 0


def test_stale_measures_show_the_saved_ones_beside_the_users(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye")
    deadline = item.deadline.isoformat()
    assert client.post(f"/items/{item.id}/actions/write_measures", headers=HX,
                       data={"version": "1", "text": "联络员写的措施", "new_date": deadline}).status_code == 200
    events = audit_count()
    login_as("xinye-wjw")
    stale = client.post(f"/items/{item.id}/actions/write_measures", headers=HX,
                        data={"version": "1", "text": "经办人写的措施", "new_date": deadline})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and STALE_MESSAGE in html and "xinye 于" in html
    assert conflict_boxes(html) == {"text": "联络员写的措施"}
    assert "经办人写的措施</textarea>" in html and 'value="2"' in html
    assert fresh(item.id).measures == "联络员写的措施" and audit_count() == events
    again = client.post(f"/items/{item.id}/actions/write_measures", headers=HX,
                        data={"version": "2", "text": "联络员写的措施；经办人补充", "new_date": deadline})
    assert again.status_code == 200 and fresh(item.id).version == 3


def test_a_comment_needs_no_version(client, world, login_as):
    """A comment changes nothing on the item (history only), so there is nothing to overwrite."""
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("inspector8")
    response = client.post(f"/items/{item.id}/actions/comment", headers=HX, data={"text": "现场未见制度上墙"})
    assert response.status_code == 200 and fresh(item.id).version == 1


def test_bulk_actions_check_each_rows_version(client, world, login_as):
    changed, untouched, unversioned = (make_item(world, status=Status.SUBMITTED, unit=wjw(world)) for _ in range(3))
    changed.responsible_person, changed.version = "李科长", 2   # saved by someone after the queue was drawn
    db.session.commit()
    login_as("leader8")
    response = client.post("/items/review/accept", headers=HX, data={
        "opinion": "同意销号", "item_ids": [changed.id, untouched.id, unversioned.id],
        f"version-{changed.id}": "1", f"version-{untouched.id}": "1"})
    toast = json.loads(response.headers["HX-Trigger"])["toast"][0]["message"]
    assert response.status_code == 200 and "已验收通过 1 项，2 项未能验收通过" in toast
    assert STALE_MESSAGE in toast and service.MISSING_VERSION_MESSAGE in toast
    assert [fresh(i.id).status for i in (changed, untouched, unversioned)] == [
        Status.SUBMITTED, Status.CLOSED, Status.SUBMITTED]
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "item.accept")) == 1


def test_bulk_rows_carry_their_versions(client, world, login_as):
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    login_as("leader8")
    assert f'name="version-{item.id}" value="1"' in client.get("/items/review").get_data(as_text=True)
    pending = make_item(world)
    login_as("xinye")
    assert f'name="version-{pending.id}" value="1" form="bulk-assign-form"' in client.get("/items/").get_data(as_text=True)


def test_a_stale_accept_says_the_latest_is_shown(client, world, login_as):
    """Accepting on an older view: nothing to compare (an opinion is new words), the latest state is
    on the page and the opinion typed stays."""
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    item.responsible_person, item.version = "李科长", 2
    db.session.commit()
    login_as("leader8")
    response = client.post(f"/items/{item.id}/actions/accept", headers=HX, data={"version": "1", "opinion": "同意销号"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "页面已显示最新内容" in html and "同意销号</textarea>" in html
    assert conflict_boxes(html) == {} and fresh(item.id).status is Status.SUBMITTED
