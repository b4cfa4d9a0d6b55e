"""Issue 10 (points 4, 9, 10): notices that reach people, 责任人 as an account, bulk 退回 and bulk
extension approval, extension dates in the timeline, the overdue digest (both databases)."""
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.rectification import notifications
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ItemHistory, Notification, RectificationItem
from inspect_app.roles import Role
from tests.conftest import HX
from tests.factories import make_user
from tests.rectification.factories import make_item, other_unit, row_versions, wjw

NOW = dt.datetime(2022, 8, 1, 2, 0, tzinfo=dt.timezone.utc)  # 2022-08-01 10:00 in Beijing


def fresh(item_id) -> RectificationItem:
    db.session.expire_all()
    return db.session.get(RectificationItem, item_id)


def post_action(client, item, name, data):
    return client.post(f"/items/{item.id}/actions/{name}", data={"version": str(item.version), **data}, headers=HX)


def toast(res) -> str:
    """The flashed message an htmx response carries in HX-Trigger."""
    return " ".join(t["message"] for t in json.loads(res.headers.get("HX-Trigger", "{}")).get("toast", []))


def told(kind, item=None) -> set[str]:
    """Usernames that got a notice of that kind (about that item)."""
    from inspect_app.auth.models import User
    stmt = sa.select(User.username).join(Notification, Notification.user_id == User.id).where(Notification.kind == kind)
    if item is not None:
        stmt = stmt.where(Notification.item_id == item.id)
    return set(db.session.execute(stmt).scalars())


@pytest.fixture
def zhang(world):
    """A second account of 新野县卫健委, 张主任 — the person an item is assigned to by name."""
    user = make_user("xinye-wjw-zhang", Role.UNIT_RESPONDER, world.xinye, "新野县卫健委")
    user.display_name = "张主任"
    db.session.commit()
    world.users[user.username] = user
    return user


# ---------------------------------------------------------------- 责任人 as an account

def test_assign_to_a_named_account_tells_that_person_and_the_unit(client, world, login_as, zhang):
    item = make_item(world)
    login_as("xinye")
    res = post_action(client, item, "assign", {"unit_id": str(wjw(world).id), "assignee_id": str(zhang.id),
                                               "person": ""})
    assert res.status_code == 200
    item = fresh(item.id)
    assert (item.assignee_id, item.responsible_person) == (zhang.id, "张主任")
    assert told("assigned", item) == {"xinye-wjw", "xinye-wjw-zhang"}
    message = db.session.execute(sa.select(Notification.message).where(
        Notification.user_id == zhang.id)).scalar_one()
    assert message == f"整改事项 {item.number}（远程心电诊断中心未覆盖全部乡镇卫生院） 已指派给新野县卫健委（责任人：张主任），请制定整改措施"
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "item.assign")).scalar_one()
    assert event.after["assignee_id"] == zhang.id
    step = db.session.execute(sa.select(ItemHistory).where(ItemHistory.item_id == item.id)).scalar_one()
    assert step.note == "新野县卫健委，责任人：张主任" and step.data["assignee_id"] == zhang.id
    # The named person signs in: sees the item, its 责任人 with the account, and the notice linking to it.
    login_as("xinye-wjw-zhang")
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "张主任" in page and "账号 xinye-wjw-zhang" in page
    notices = client.get("/items/notifications").get_data(as_text=True)
    assert f'href="/items/{item.id}"' in notices and "已指派给新野县卫健委" in notices
    assert 'class="bell-count" id="bell-count">1<' in client.get("/items/notifications/bell").get_data(as_text=True)


def test_typed_name_without_an_account_still_assigns(client, world, login_as):
    item = make_item(world)
    login_as("xinye")
    assert post_action(client, item, "assign", {"unit_id": str(wjw(world).id), "person": "李科员"}).status_code == 200
    item = fresh(item.id)
    assert (item.assignee_id, item.responsible_person) == (None, "李科员")
    assert told("assigned", item) == {"xinye-wjw"}


def test_an_account_of_another_unit_is_refused_and_the_choice_kept(client, world, login_as, zhang):
    item = make_item(world)
    login_as("xinye")
    res = post_action(client, item, "assign", {"unit_id": str(other_unit(world).id), "assignee_id": str(zhang.id)})
    assert res.status_code == 422
    html = res.get_data(as_text=True)
    assert "所选责任人不是该责任单位的账号" in html
    assert f'<option selected value="{other_unit(world).id}">' in html
    item = fresh(item.id)
    assert item.unit_id is None and item.assignee_id is None
    assert told("assigned") == set()


def test_a_disabled_account_cannot_be_named(client, world, login_as, zhang):
    zhang.active = False
    db.session.commit()
    item = make_item(world)
    login_as("xinye")
    res = post_action(client, item, "assign", {"unit_id": str(wjw(world).id), "assignee_id": str(zhang.id)})
    assert res.status_code == 422 and fresh(item.id).unit_id is None
    assert "xinye-wjw-zhang" not in client.get(f"/items/assignee-options?unit_id={wjw(world).id}").get_data(as_text=True)


def test_assignee_options_follow_the_unit(client, world, login_as, zhang):
    from tests.rectification.factories import unit_named
    login_as("xinye")
    html = client.get(f"/items/assignee-options?unit_id={wjw(world).id}", headers=HX).get_data(as_text=True)
    assert html.startswith('<div id="assignee-field"')
    assert "张主任（xinye-wjw-zhang）" in html and "xinye-wjw）" in html
    empty = client.get(f"/items/assignee-options?unit_id={other_unit(world).id}", headers=HX).get_data(as_text=True)
    assert "xinye-wjw" not in empty and "该单位暂无账号" in empty
    tongbai = unit_named(world.tongbai, "桐柏县卫健委")
    make_user("tongbai-wjw", Role.UNIT_RESPONDER, world.tongbai, "桐柏县卫健委")
    db.session.commit()
    assert "tongbai-wjw" not in client.get(f"/items/assignee-options?unit_id={tongbai.id}").get_data(as_text=True)
    login_as("xinye-wjw")
    assert client.get(f"/items/assignee-options?unit_id={wjw(world).id}").status_code == 403


def test_assign_form_and_bulk_bar_draw_the_account_select(client, world, login_as, zhang):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    item.assignee_id, item.responsible_person = zhang.id, "张主任"
    db.session.commit()
    login_as("xinye")
    form = client.get(f"/items/{item.id}/actions/assign", headers=HX).get_data(as_text=True)
    assert 'id="assignee-field"' in form and f'<option selected value="{zhang.id}">' in form
    assert 'hx-get="/items/assignee-options"' in form
    bar = client.get("/items/").get_data(as_text=True)
    assert 'id="bulk-assign-form"' in bar and 'id="assignee-field"' in bar


def test_bulk_assign_to_an_account(client, world, login_as, zhang):
    a, b = make_item(world), make_item(world)
    login_as("xinye")
    res = client.post("/items/assign", headers=HX, data={"unit_id": str(wjw(world).id), "assignee_id": str(zhang.id),
                                                         "item_ids": [a.id, b.id], **row_versions(a, b)})
    assert res.status_code == 200
    assert {fresh(a.id).assignee_id, fresh(b.id).assignee_id} == {zhang.id}
    assert db.session.execute(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == zhang.id, Notification.kind == "assigned")).scalar_one() == 2


# ---------------------------------------------------------------- who is told

def test_return_and_accept_tell_the_unit_the_named_account_and_the_coordinator(client, world, login_as, zhang):
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    item.assignee_id = zhang.id
    db.session.commit()
    login_as("leader8")
    assert post_action(client, item, "return", {"reason": "佐证材料不全"}).status_code == 200
    assert told("returned", item) == {"xinye-wjw", "xinye-wjw-zhang", "xinye"}
    item = fresh(item.id)
    item.status = Status.SUBMITTED   # resubmitted (the route path is tested in test_routes)
    db.session.commit()
    assert post_action(client, fresh(item.id), "accept", {"opinion": "同意销号"}).status_code == 200
    assert told("accepted", item) == {"xinye-wjw", "xinye-wjw-zhang", "xinye"}
    message = db.session.execute(sa.select(Notification.message).where(
        Notification.kind == "accepted", Notification.user_id == zhang.id)).scalar_one()
    assert message.endswith("已验收通过，予以销号")
    assert "leader8" not in told("accepted") | told("returned")


def test_a_refused_action_tells_no_one(client, world, login_as):
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    login_as("leader8")
    assert post_action(client, item, "return", {"reason": ""}).status_code == 422
    assert db.session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 0


def test_waiting_for_acceptance_shows_handled_for_the_other_acceptor(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    assert post_action(client, item, "submit", {}).status_code == 200
    assert told("submitted", item) == {"leader8", "province"}
    login_as("leader8")
    page = client.get("/items/notifications").get_data(as_text=True)
    assert "等待您验收" in page and "已处理" not in page
    assert 'id="bell-count">1<' in client.get("/items/notifications/bell").get_data(as_text=True)
    login_as("province")
    assert post_action(client, fresh(item.id), "accept", {"opinion": "同意销号"}).status_code == 200
    login_as("leader8")
    page = client.get("/items/notifications").get_data(as_text=True)
    assert "等待您验收" in page and "data-handled>已处理<" in page
    assert "bell-count" not in client.get("/items/notifications/bell").get_data(as_text=True)
    note = db.session.execute(sa.select(Notification).where(Notification.user_id == world.users["leader8"].id)).scalar_one()
    assert notifications.is_handled(note) and note.read_at is None   # handled, though leader8 never opened it


def test_a_comment_does_not_make_a_notice_handled(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    post_action(client, item, "submit", {})
    login_as("leader8")
    assert post_action(client, fresh(item.id), "comment", {"text": "请补充照片"}).status_code == 200
    assert "已处理" not in client.get("/items/notifications").get_data(as_text=True)


# ---------------------------------------------------------------- bulk 退回 and bulk extension approval

def test_bulk_return_checks_and_records_each_item(client, world, login_as):
    a = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    b = make_item(world, status=Status.SUBMITTED, unit=wjw(world), return_count=1)
    not_submitted = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    outside = make_item(world, world.dancheng, status=Status.SUBMITTED)
    login_as("leader8")
    res = client.post("/items/review/return", headers=HX,
                      data={"reason": "佐证材料不全，请补充", "item_ids": [a.id, b.id, not_submitted.id, outside.id], **row_versions(a, b, not_submitted, outside)})
    assert res.status_code == 200 and 'id="review-panel"' in res.get_data(as_text=True)
    summary = toast(res)
    assert summary.startswith("已退回 2 项，2 项未能退回")
    assert f"{not_submitted.number} 当前状态为“整改中”，不能退回" in summary
    assert "事项不存在或您无权查看" in summary and outside.number not in summary
    assert (fresh(a.id).status, fresh(a.id).return_count) == (Status.IN_PROGRESS, 1)
    assert (fresh(b.id).status, fresh(b.id).return_count) == (Status.IN_PROGRESS, 2)
    assert fresh(outside.id).status is Status.SUBMITTED
    notes = db.session.execute(sa.select(ItemHistory.item_id, ItemHistory.note).where(
        ItemHistory.action == "return")).all()
    assert sorted(notes) == sorted([(a.id, "佐证材料不全，请补充"), (b.id, "佐证材料不全，请补充")])
    audited = db.session.execute(sa.select(AuditEvent.object_id).where(AuditEvent.action == "item.return")).scalars()
    assert sorted(audited) == sorted([str(a.id), str(b.id)])
    assert told("returned", a) == told("returned", b) == {"xinye-wjw", "xinye"}


def test_bulk_return_needs_a_reason_and_the_right_role(client, world, login_as):
    a = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    login_as("leader8")
    res = client.post("/items/review/return", headers=HX, data={"item_ids": [a.id], **row_versions(a)})
    assert res.status_code == 422 and "请填写退回原因" in res.get_data(as_text=True)
    assert client.post("/items/review/return", headers=HX, data={"reason": "不全"}).status_code == 422
    assert fresh(a.id).status is Status.SUBMITTED
    login_as("xinye")
    assert client.post("/items/review/return", headers=HX, data={"reason": "不全", "item_ids": [a.id], **row_versions(a)}).status_code == 403


def test_bulk_return_without_htmx_redirects_to_the_queue(client, world, login_as):
    a = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    login_as("province")
    res = client.post("/items/review/return?county=" + str(world.xinye.id), data={"reason": "不全", "item_ids": [a.id], **row_versions(a)})
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/items/review?county={world.xinye.id}")
    assert fresh(a.id).status is Status.IN_PROGRESS


def test_review_page_lists_the_extension_requests(client, world, login_as):
    waiting = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world),
                        pending_extension={"new_date": "2099-03-01", "reason": "设备采购周期长"})
    decided = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), pending_extension={"new_date": "2099-03-01"})
    decided.pending_extension = None   # a decided request: JSON null, not SQL NULL
    db.session.commit()
    outside = make_item(world, world.dancheng, status=Status.IN_PROGRESS, pending_extension={"new_date": "2099-03-01"})
    login_as("leader8")
    html = client.get("/items/review").get_data(as_text=True)
    assert f'id="extension-row-{waiting.id}"' in html and "2099-03-01" in html and "设备采购周期长" in html
    assert f'id="extension-row-{decided.id}"' not in html and f'id="extension-row-{outside.id}"' not in html
    assert 'id="bulk-return-submit"' not in html   # nothing 待验收: no bulk decisions to draw


def test_bulk_extension_approval_checks_and_records_each_item(client, world, login_as):
    a = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2099, 1, 10),
                  pending_extension={"new_date": "2099-02-10", "reason": "采购"})
    b = make_item(world, status=Status.PENDING, unit=wjw(world), deadline=dt.date(2099, 1, 10),
                  pending_extension={"new_date": "2099-03-10", "reason": "调研"})
    none_pending = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    outside = make_item(world, world.dancheng, status=Status.IN_PROGRESS, pending_extension={"new_date": "2099-02-10"})
    login_as("leader8")
    res = client.post("/items/review/extensions/approve", headers=HX,
                      data={"opinion": "同意", "item_ids": [a.id, b.id, none_pending.id, outside.id], **row_versions(a, b, none_pending, outside)})
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert toast(res).startswith("已同意延期 2 项，2 项未能同意延期") and "该事项没有待审批的延期申请" in toast(res)
    assert (fresh(a.id).extended_deadline, fresh(a.id).pending_extension) == (dt.date(2099, 2, 10), None)
    assert fresh(b.id).extended_deadline == dt.date(2099, 3, 10)
    assert fresh(a.id).deadline == dt.date(2099, 1, 10)
    assert fresh(outside.id).extended_deadline is None and fresh(none_pending.id).extended_deadline is None
    assert db.session.execute(sa.select(sa.func.count(ItemHistory.id)).where(
        ItemHistory.action == "approve_extension")).scalar_one() == 2
    assert db.session.execute(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "item.approve_extension")).scalar_one() == 2
    assert f'id="extension-row-{a.id}"' not in html   # decided, so off the queue
    assert told("extension_decided", a) == {"xinye-wjw", "xinye"}
    login_as("xinye")
    assert client.post("/items/review/extensions/approve", headers=HX, data={"item_ids": [b.id], **row_versions(b)}).status_code == 403
    login_as("leader8")
    assert client.post("/items/review/extensions/approve", headers=HX, data={}).status_code == 422


def test_timeline_shows_the_extension_dates_asked_and_granted(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2099, 8, 12))
    login_as("xinye-wjw")
    assert post_action(client, item, "request_extension", {"reason": "设备采购周期长",
                                                           "new_date": "2099-09-30"}).status_code == 200
    login_as("leader8")
    assert post_action(client, fresh(item.id), "approve_extension", {}).status_code == 200
    html = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "申请延期至 2099年9月30日（原完成时限 2099年8月12日）" in html
    assert "批准延期至 2099年9月30日（原完成时限 2099年8月12日）" in html


def test_timeline_shows_a_refused_date(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world),
                     pending_extension={"new_date": "2099-05-01", "reason": "忙"})
    login_as("leader8")
    assert post_action(client, item, "refuse_extension", {"reason": "理由不充分"}).status_code == 200
    assert "未同意延期至 2099年5月1日" in client.get(f"/items/{item.id}").get_data(as_text=True)


# ---------------------------------------------------------------- the daily overdue digest

def digests():
    from inspect_app.auth.models import User
    return db.session.execute(sa.select(User.username, Notification.message).join(
        Notification, Notification.user_id == User.id).where(Notification.kind == "overdue_digest")
        .order_by(User.username, Notification.id)).all()


def test_overdue_digest_once_a_day_to_the_city_and_the_province(app, world):
    for _ in range(2):
        make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2022, 7, 20))
    make_item(world, world.tongbai, status=Status.IN_PROGRESS, deadline=dt.date(2022, 7, 25))
    make_item(world, world.dancheng, status=Status.IN_PROGRESS, deadline=dt.date(2022, 7, 25))
    make_item(world, status=Status.CLOSED, unit=wjw(world), deadline=dt.date(2022, 7, 1))
    notifications.send_reminders(NOW)
    got = dict(digests())
    assert set(got) == {"nanyang", "province", "viewer"}
    assert got["nanyang"] == "截至2022年8月1日，南阳市有 3 项整改事项已超期（新野县 2 项、桐柏县 1 项），请督办"
    assert got["province"].startswith("截至2022年8月1日，全省有 4 项整改事项已超期（")
    assert "郸城县 1 项" in got["province"] and "郸城县" not in got["nanyang"]
    # The same day, however often cron runs: nothing more. The next day: one more each.
    notifications.send_reminders(NOW + dt.timedelta(hours=6))
    assert len(digests()) == 3
    notifications.send_reminders(NOW + dt.timedelta(days=1))
    assert len(digests()) == 6


def test_the_digest_skips_cities_without_overdue_items_and_disabled_readers(app, world):
    zhoukou_viewer = make_user("zhoukou", Role.CITY_VIEWER, world.zhoukou)
    make_user("nanyang-old", Role.CITY_VIEWER, world.nanyang, active=False)
    db.session.commit()
    make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2022, 7, 20))
    notifications.send_reminders(NOW)
    assert {name for name, _ in digests()} == {"nanyang", "province", "viewer"}
    assert zhoukou_viewer.id not in set(db.session.execute(sa.select(Notification.user_id)).scalars())


def test_the_digest_links_to_the_overdue_items(client, world, login_as):
    make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2022, 7, 20))
    notifications.send_reminders(NOW)
    login_as("nanyang")
    html = client.get("/items/notifications").get_data(as_text=True)
    assert 'href="/items/?bucket=overdue"' in html and "超期汇总" in html


def test_no_digest_without_overdue_items(app, world):
    make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2022, 9, 20))
    notifications.send_reminders(NOW)
    assert digests() == []


def test_the_reminder_job_costs_statements_per_batch_not_per_item(app, world, monkeypatch):
    """Ten times the items, the same number of statements (within one batch)."""
    def statements(n):
        db.session.execute(sa.delete(Notification))
        db.session.execute(sa.delete(ItemHistory))
        db.session.execute(sa.delete(RectificationItem))
        db.session.commit()
        for i in range(n):
            make_item(world, world.tongbai if i % 2 else world.xinye, status=Status.IN_PROGRESS,
                      unit=wjw(world) if i % 2 == 0 else None, deadline=dt.date(2022, 7, 20))
        db.session.commit()
        db.session.expire_all()
        seen = []
        listener = lambda *args: seen.append(args[2])   # noqa: E731 - the statement text
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            notifications.send_reminders(NOW)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert statements(3) == statements(30)
