"""Every screen and fragment of the rectification package, with its forbidden cases (both databases)."""
import datetime as dt
import io

import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.media.models import Attachment, AttachmentKind, PhotoStage
from inspect_app.rectification.lifecycle import STALE_MESSAGE, Status
from inspect_app.rectification.models import ItemHistory, Milestone, Notification, ProgressPost, RectificationItem
from inspect_app.visits.models import RectificationType
from tests.conftest import HX
from tests.media import images
from tests.rectification.factories import make_item, other_unit, wjw


def fresh(item_id) -> RectificationItem:
    db.session.expire_all()
    return db.session.get(RectificationItem, item_id)


def row_versions(*items) -> dict:
    """The hidden version-<id> fields a bulk form's rows carry."""
    return {f"version-{i.id}": str(i.version) for i in items}


def post_action(client, item, name, data, headers=HX, **kw):
    payload = {"version": str(item.version), **data}
    return client.post(f"/items/{item.id}/actions/{name}", data=payload, headers=headers, **kw)


# ---------------------------------------------------------------- the list

def test_list_shows_county_items_to_the_coordinator_only_in_scope(client, world, login_as):
    mine = make_item(world, description="新野县的问题")
    theirs = make_item(world, world.tongbai, description="桐柏县的问题")
    login_as("xinye")
    page = client.get("/items/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and mine.number in html and theirs.number not in html
    assert 'id="bulk-assign-form"' in html


def test_list_fragment_for_search_and_filters(client, world, login_as):
    a = make_item(world, description="信息平台未统一")
    b = make_item(world, description="人才下沉不到位", status=Status.CLOSED)
    login_as("xinye")
    rows = client.get("/items/?q=信息平台", headers={**HX, "HX-Target": "item-rows"})
    html = rows.get_data(as_text=True)
    assert "<html" not in html and 'id="item-rows"' in html
    assert a.number in html and b.number not in html
    closed = client.get("/items/?bucket=closed", headers={**HX, "HX-Target": "item-rows"}).get_data(as_text=True)
    assert b.number in closed and a.number not in closed


def test_aging_and_urgency_filters(client, world, login_as):
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    overdue = make_item(world, status=Status.IN_PROGRESS, deadline=today - dt.timedelta(days=2))
    soon = make_item(world, status=Status.IN_PROGRESS, deadline=today + dt.timedelta(days=5))
    mid = make_item(world, status=Status.IN_PROGRESS, deadline=today + dt.timedelta(days=15))
    far = make_item(world, status=Status.IN_PROGRESS, deadline=today + dt.timedelta(days=40))
    behind = make_item(world, status=Status.IN_PROGRESS, deadline=today + dt.timedelta(days=40),
                       planned_date=today - dt.timedelta(days=1))
    login_as("xinye")

    def numbers(query):
        html = client.get(f"/items/?{query}", headers={**HX, "HX-Target": "item-rows"}).get_data(as_text=True)
        return {i.number for i in (overdue, soon, mid, far, behind) if i.number in html}

    assert numbers("bucket=overdue") == {overdue.number}
    assert numbers("bucket=le10") == {soon.number}
    assert numbers("bucket=le20") == {mid.number}
    assert numbers("bucket=gt20") == {far.number, behind.number}
    assert numbers("urgency=red") == {overdue.number}
    assert numbers("urgency=blue") == {soon.number}
    assert numbers("urgency=yellow") == {behind.number}
    page = client.get("/items/").get_data(as_text=True)
    assert 'data-urgency="red"' in page and "超期 2 天" in page


def test_unit_responder_sees_only_their_units_items(client, world, login_as):
    mine = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    other = make_item(world, status=Status.IN_PROGRESS, unit=other_unit(world))
    login_as("xinye-wjw")
    html = client.get("/items/").get_data(as_text=True)
    assert mine.number in html and other.number not in html
    assert 'id="bulk-assign-form"' not in html
    assert client.get(f"/items/{other.id}").status_code == 404


def test_province_sees_all_counties_and_can_filter_by_county(client, world, login_as):
    a = make_item(world)
    b = make_item(world, world.dancheng)
    login_as("province")
    html = client.get("/items/").get_data(as_text=True)
    assert a.number in html and b.number in html
    only = client.get(f"/items/?county={world.dancheng.id}", headers={**HX, "HX-Target": "item-rows"}).get_data(as_text=True)
    assert b.number in only and a.number not in only


def test_list_forbidden_for_system_admin(client, world, login_as):
    login_as("admin")
    assert client.get("/items/").status_code == 403


def test_list_requires_sign_in(client, world):
    assert client.get("/items/").status_code == 302


# ---------------------------------------------------------------- the item page

def test_item_page_and_other_county_404(client, world, login_as):
    item = make_item(world)
    theirs = make_item(world, world.tongbai)
    login_as("xinye")
    page = client.get(f"/items/{item.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert item.number in html and 'id="action-assign"' in html and 'id="timeline"' in html
    assert client.get(f"/items/{theirs.id}").status_code == 404
    assert client.get(f"/items/{theirs.id}/actions/assign", headers=HX).status_code == 404
    assert client.get("/items/999999").status_code == 404


def test_action_form_fragment_opens_in_place(client, world, login_as):
    item = make_item(world)
    login_as("xinye")
    frag = client.get(f"/items/{item.id}/actions/assign", headers=HX)
    html = frag.get_data(as_text=True)
    assert frag.status_code == 200 and "<html" not in html and html.strip().startswith('<section id="action-form"')
    assert "新野县卫健委" in html and f'value="{item.version}"' in html
    full = client.get(f"/items/{item.id}/actions/assign").get_data(as_text=True)
    assert "<html" in full and 'id="action-form-submit"' in full


def test_action_form_not_allowed_answers_409_with_detail(client, world, login_as):
    item = make_item(world)
    login_as("xinye")
    res = client.get(f"/items/{item.id}/actions/accept", headers=HX)
    assert res.status_code == 409 and res.headers["HX-Retarget"] == "#item-detail"
    assert client.get(f"/items/{item.id}/actions/nonsense", headers=HX).status_code == 404


def test_assign_writes_history_audit_and_notifies(client, world, login_as):
    item = make_item(world)
    login_as("xinye")
    res = post_action(client, item, "assign", {"unit_id": str(wjw(world).id), "person": "张主任"})
    assert res.status_code == 200
    assert 'id="item-detail"' in res.get_data(as_text=True)
    item = fresh(item.id)
    assert item.unit_id == wjw(world).id and item.responsible_person == "张主任" and item.version == 2
    step = db.session.execute(sa.select(ItemHistory).where(ItemHistory.item_id == item.id)).scalar_one()
    assert step.action == "assign" and step.note == "新野县卫健委，责任人：张主任"
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "item.assign")).scalar_one()
    notified = set(db.session.execute(sa.select(Notification.user_id).where(Notification.kind == "assigned")).scalars())
    assert notified == {world.users["xinye-wjw"].id}  # the coordinator did it, so is not told


def test_assign_to_another_countys_unit_is_refused(client, world, login_as):
    from tests.rectification.factories import unit_named
    item = make_item(world)
    login_as("xinye")
    res = post_action(client, item, "assign", {"unit_id": str(unit_named(world.tongbai, "桐柏县卫健委").id)})
    assert res.status_code == 422 and "请选择本县的责任单位" in res.get_data(as_text=True)
    assert fresh(item.id).unit_id is None


def test_unit_responder_cannot_assign_403(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    res = post_action(client, item, "assign", {"unit_id": str(other_unit(world).id)})
    assert res.status_code == 403
    assert fresh(item.id).unit_id == wjw(world).id


def test_unit_responder_cannot_act_on_another_units_item(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=other_unit(world))
    login_as("xinye-wjw")
    assert post_action(client, item, "post_progress", {"text": "进展"}).status_code == 404


def test_other_county_cannot_act_404(client, world, login_as):
    item = make_item(world)
    login_as("tongbai")
    assert post_action(client, item, "assign", {"unit_id": str(wjw(world).id)}).status_code == 404


def test_measures_planned_date_not_after_deadline_keeps_text(client, world, login_as):
    item = make_item(world, unit=wjw(world))
    login_as("xinye-wjw")
    late = (item.deadline + dt.timedelta(days=1)).isoformat()
    res = post_action(client, item, "write_measures", {"text": "我的整改措施草稿", "new_date": late})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "计划完成时间不能晚于完成时限" in html and "我的整改措施草稿" in html
    ok = post_action(client, item, "write_measures", {"text": "我的整改措施", "new_date": item.deadline.isoformat()})
    assert ok.status_code == 200
    item = fresh(item.id)
    assert item.status is Status.IN_PROGRESS and item.measures == "我的整改措施" and item.planned_date == item.deadline


def test_missing_required_text_is_422_with_field_error(client, world, login_as):
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    login_as("leader8")
    res = post_action(client, item, "return", {"reason": "  "})
    assert res.status_code == 422 and "请填写退回原因" in res.get_data(as_text=True)
    assert fresh(item.id).status is Status.SUBMITTED


def test_stale_version_keeps_text_and_shows_latest(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    stale_version = item.version
    item.responsible_person = "李科长"  # someone else saved meanwhile
    item.version = 2
    db.session.commit()
    login_as("xinye-wjw")
    res = client.post(f"/items/{item.id}/actions/write_measures", headers=HX,
                      data={"version": str(stale_version), "text": "我辛苦写的措施", "new_date": item.deadline.isoformat()})
    html = res.get_data(as_text=True)
    assert res.status_code == 409
    assert STALE_MESSAGE in html and "我辛苦写的措施" in html and "李科长" in html
    assert 'value="2"' in html  # the form now carries the latest version
    assert fresh(item.id).measures != "我辛苦写的措施"


def test_non_htmx_post_redirects_to_item(client, world, login_as):
    item = make_item(world)
    login_as("xinye")
    res = post_action(client, item, "assign", {"unit_id": str(wjw(world).id)}, headers={})
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/items/{item.id}")


def test_csrf_is_required(client, world, login_as):
    item = make_item(world)
    login_as("xinye")
    res = client.post(f"/items/{item.id}/actions/assign", data={"unit_id": str(wjw(world).id)}, csrf=False)
    assert res.status_code == 400
    assert fresh(item.id).unit_id is None


# ---------------------------------------------------------------- progress with evidence

def files(*pairs):
    return [(io.BytesIO(data), name) for name, data in pairs]


def test_progress_with_photo_and_document(client, world, login_as, app):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    res = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                      data={"version": "1", "text": "已完成 12 个乡镇接入",
                            "files": files(("现场.jpg", images.camera_jpeg()), ("方案.pdf", images.pdf()))})
    assert res.status_code == 200, res.get_data(as_text=True)
    item = fresh(item.id)
    assert item.latest_progress == "已完成 12 个乡镇接入"
    post = db.session.execute(sa.select(ProgressPost)).scalar_one()
    atts = db.session.execute(sa.select(Attachment).order_by(Attachment.id)).scalars().all()
    assert [a.kind for a in atts] == [AttachmentKind.PHOTO, AttachmentKind.DOCUMENT]
    assert all(a.progress_id == post.id and a.stage is PhotoStage.AFTER and a.county_id == world.xinye.id for a in atts)
    html = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "整改后照片 1" in html and "方案.pdf" in html
    photo, doc = atts
    thumb = client.get(f"/media/{photo.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and thumb.data[:2] == b"\xff\xd8"
    dl = client.get(f"/items/{item.id}/documents/{doc.id}")
    assert dl.status_code == 200 and dl.data == images.pdf() and dl.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/items/{item.id}/documents/{photo.id}").status_code == 404


def test_progress_is_all_or_nothing(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    res = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                      data={"version": "1", "text": "进展文字不能丢",
                            "files": files(("好.jpg", images.camera_jpeg()), ("坏.docm", images.docm()))})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "坏.docm" in html and "进展文字不能丢" in html
    assert db.session.execute(sa.select(sa.func.count(ProgressPost.id))).scalar_one() == 0
    assert db.session.execute(sa.select(sa.func.count(Attachment.id))).scalar_one() == 0
    assert fresh(item.id).version == 1 and fresh(item.id).latest_progress == ""


def test_documents_of_another_county_are_404(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                data={"version": "1", "text": "进展", "files": files(("方案.pdf", images.pdf()))})
    doc = db.session.execute(sa.select(Attachment)).scalar_one()
    login_as("tongbai")
    assert client.get(f"/items/{item.id}/documents/{doc.id}").status_code == 404
    assert client.get(f"/media/{doc.id}/thumb").status_code == 404  # not in scope, and not a photo
    login_as("xinye")
    assert client.get(f"/items/{item.id}/documents/{doc.id}").status_code == 200
    other = make_item(world)
    assert client.get(f"/items/{other.id}/documents/{doc.id}").status_code == 404  # not this item's file


# ---------------------------------------------------------------- submit, review, accept, return, reopen

def test_full_cycle_submit_return_resubmit_accept_reopen(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    assert post_action(client, item, "submit", {}).status_code == 200
    item = fresh(item.id)
    assert item.status is Status.SUBMITTED
    reviewers = set(db.session.execute(sa.select(Notification.user_id).where(Notification.kind == "submitted")).scalars())
    assert reviewers == {world.users["leader8"].id, world.users["province"].id}

    login_as("leader8")
    queue = client.get("/items/review").get_data(as_text=True)
    assert item.number in queue and 'id="bulk-accept-form"' in queue
    assert post_action(client, item, "return", {"reason": "佐证材料不足"}).status_code == 200
    item = fresh(item.id)
    assert item.status is Status.IN_PROGRESS and item.return_count == 1
    assert db.session.execute(sa.select(Notification).where(Notification.kind == "returned",
                              Notification.user_id == world.users["xinye-wjw"].id)).scalar_one()

    login_as("xinye-wjw")
    assert post_action(client, item, "submit", {}).status_code == 200
    login_as("province")
    assert post_action(client, fresh(item.id), "accept", {"opinion": "整改到位，同意销号"}).status_code == 200
    item = fresh(item.id)
    assert item.status is Status.CLOSED and item.acceptance_opinion == "整改到位，同意销号" and item.closed_at
    html = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "退回次数" in html and 'id="return-count">1<' in html and 'id="action-reopen"' in html

    login_as("xinye")
    assert post_action(client, item, "reopen", {"reason": "抽查发现书面整改"}).status_code == 403
    login_as("leader8")
    assert post_action(client, item, "reopen", {"reason": "抽查发现书面整改"}).status_code == 200
    item = fresh(item.id)
    assert item.status is Status.IN_PROGRESS and item.reopen_count == 1
    actions = [h.action for h in db.session.execute(sa.select(ItemHistory).where(ItemHistory.item_id == item.id)
                                                    .order_by(ItemHistory.id)).scalars()]
    assert actions == ["submit", "return", "submit", "accept", "reopen"]


def test_review_queue_scope_and_forbidden(client, world, login_as):
    mine = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    outside = make_item(world, world.dancheng, status=Status.SUBMITTED)
    login_as("leader8")
    html = client.get("/items/review").get_data(as_text=True)
    assert mine.number in html and outside.number not in html
    frag = client.get("/items/review", headers=HX).get_data(as_text=True)
    assert "<html" not in frag and 'id="review-panel"' in frag
    login_as("province")
    assert outside.number in client.get("/items/review").get_data(as_text=True)
    for name in ("xinye", "xinye-wjw", "inspector8", "viewer"):
        login_as(name)
        assert client.get("/items/review").status_code == 403


def test_bulk_accept_checks_each_item(client, world, login_as):
    a = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    b = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    not_submitted = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    outside = make_item(world, world.dancheng, status=Status.SUBMITTED)
    login_as("leader8")
    res = client.post("/items/review/accept", headers=HX,
                      data={"opinion": "同意销号", "item_ids": [a.id, b.id, not_submitted.id, outside.id],
                            **row_versions(a, b, not_submitted, outside)})
    assert res.status_code == 200 and 'id="review-panel"' in res.get_data(as_text=True)
    assert fresh(a.id).status is Status.CLOSED and fresh(b.id).status is Status.CLOSED
    assert fresh(a.id).acceptance_opinion == "同意销号"
    assert fresh(not_submitted.id).status is Status.IN_PROGRESS
    assert fresh(outside.id).status is Status.SUBMITTED
    assert db.session.execute(sa.select(sa.func.count(ItemHistory.id)).where(ItemHistory.action == "accept")).scalar_one() == 2
    assert db.session.execute(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "item.accept")).scalar_one() == 2


def test_bulk_accept_needs_an_opinion_and_items(client, world, login_as):
    a = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    login_as("leader8")
    assert client.post("/items/review/accept", headers=HX, data={"item_ids": [a.id]}).status_code == 422
    assert client.post("/items/review/accept", headers=HX, data={"opinion": "好"}).status_code == 422
    assert fresh(a.id).status is Status.SUBMITTED
    login_as("xinye")
    assert client.post("/items/review/accept", headers=HX, data={"opinion": "好", "item_ids": [a.id]}).status_code == 403


def test_bulk_assign(client, world, login_as):
    a, b = make_item(world), make_item(world)
    theirs = make_item(world, world.tongbai)
    login_as("xinye")
    res = client.post("/items/assign", headers=HX,
                      data={"unit_id": str(wjw(world).id), "person": "王股长", "item_ids": [a.id, b.id, theirs.id],
                            **row_versions(a, b, theirs)})
    assert res.status_code == 200 and 'id="items-panel"' in res.get_data(as_text=True)
    assert fresh(a.id).unit_id == wjw(world).id and fresh(b.id).unit_id == wjw(world).id
    assert fresh(theirs.id).unit_id is None
    assert client.post("/items/assign", headers=HX, data={"item_ids": [a.id]}).status_code == 422
    login_as("xinye-wjw")
    assert client.post("/items/assign", headers=HX, data={"unit_id": str(wjw(world).id), "item_ids": [a.id]}).status_code == 403


# ---------------------------------------------------------------- extensions and milestones

def test_extension_request_and_approval_keeps_original_deadline(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    original = item.deadline
    new = original + dt.timedelta(days=30)
    login_as("xinye-wjw")
    assert post_action(client, item, "request_extension", {"reason": "设备采购周期长", "new_date": new.isoformat()}).status_code == 200
    assert db.session.execute(sa.select(Notification).where(Notification.kind == "extension",
                              Notification.user_id == world.users["leader8"].id)).scalar_one()
    login_as("xinye")
    assert post_action(client, fresh(item.id), "approve_extension", {}).status_code == 403
    login_as("leader8")
    html = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert 'id="pending-extension"' in html and 'id="action-approve_extension"' in html
    assert post_action(client, fresh(item.id), "approve_extension", {"opinion": "同意"}).status_code == 200
    item = fresh(item.id)
    assert item.deadline == original and item.extended_deadline == new and item.pending_extension is None
    assert "原完成时限" in client.get(f"/items/{item.id}").get_data(as_text=True)


def test_extension_refused(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world),
                     pending_extension={"new_date": "2099-01-01", "reason": "忙"})
    login_as("province")
    assert post_action(client, item, "refuse_extension", {"reason": ""}).status_code == 422
    assert post_action(client, item, "refuse_extension", {"reason": "理由不充分"}).status_code == 200
    item = fresh(item.id)
    assert item.pending_extension is None and item.extended_deadline is None


def test_long_term_milestones_added_and_accepted(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), rectification_type=RectificationType.LONG_TERM)
    login_as("xinye-wjw")
    res = client.post(f"/items/{item.id}/milestones", headers=HX, data={"due_date": "2022-09-30", "expected_result": "10 个乡镇接入"})
    assert res.status_code == 200 and "10 个乡镇接入" in res.get_data(as_text=True)
    assert client.post(f"/items/{item.id}/milestones", headers=HX, data={"due_date": "", "expected_result": "x"}).status_code == 422
    milestone = db.session.execute(sa.select(Milestone)).scalar_one()
    login_as("leader8")
    assert client.post(f"/items/{item.id}/milestones", headers=HX, data={"due_date": "2022-09-30", "expected_result": "x"}).status_code == 403
    form = client.get(f"/items/{item.id}/actions/accept_milestone", headers=HX).get_data(as_text=True)
    assert "10 个乡镇接入" in form
    res = post_action(client, fresh(item.id), "accept_milestone", {"milestone_id": str(milestone.id), "opinion": "阶段目标达成"})
    assert res.status_code == 200
    db.session.expire_all()
    milestone = db.session.get(Milestone, milestone.id)
    assert milestone.accepted_at is not None and milestone.opinion == "阶段目标达成"
    again = post_action(client, fresh(item.id), "accept_milestone", {"milestone_id": str(milestone.id), "opinion": "再次"})
    assert again.status_code == 409


def test_milestones_only_for_long_term(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye")
    assert client.post(f"/items/{item.id}/milestones", headers=HX,
                       data={"due_date": "2022-09-30", "expected_result": "x"}).status_code == 409


def test_comment_goes_to_timeline_without_changing_version(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("inspector8")
    assert post_action(client, item, "comment", {"text": "请补充照片"}).status_code == 200
    assert fresh(item.id).version == 1
    html = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "请补充照片" in html and "inspector8" in html
    login_as("viewer")
    assert post_action(client, item, "comment", {"text": "只读"}).status_code == 403


# ---------------------------------------------------------------- notifications

def test_notifications_bell_list_and_mark_read(client, world, login_as):
    item = make_item(world)
    user = world.users["xinye-wjw"]
    from inspect_app.rectification.notifications import notify
    notify([user.id], item, "assigned", "整改事项已指派给贵单位")
    notify([world.users["xinye"].id], item, "assigned", "别人的通知")
    db.session.commit()
    login_as("xinye-wjw")
    bell = client.get("/items/notifications/bell", headers=HX).get_data(as_text=True)
    assert 'id="bell-count">1<' in bell
    assert 'id="notification-bell"' in client.get("/items/").get_data(as_text=True)
    page = client.get("/items/notifications").get_data(as_text=True)
    assert "整改事项已指派给贵单位" in page and "别人的通知" not in page
    note = db.session.execute(sa.select(Notification).where(Notification.user_id == user.id)).scalar_one()
    other = db.session.execute(sa.select(Notification).where(Notification.user_id != user.id)).scalar_one()
    assert client.post(f"/items/notifications/{other.id}/read", headers=HX).status_code == 404
    res = client.post(f"/items/notifications/{note.id}/read", headers=HX)
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and 'id="notifications"' in html
    assert 'id="bell-slot" hx-swap-oob="innerHTML"' in html and "bell-count" not in html  # the bell updates at once
    assert "bell-count" not in client.get("/items/notifications/bell", headers=HX).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Notification, other.id).read_at is None


def test_mark_all_read(client, world, login_as):
    item = make_item(world)
    from inspect_app.rectification.notifications import notify
    notify([world.users["xinye"].id], item, "overdue", "一")
    notify([world.users["xinye"].id], item, "returned", "二")
    db.session.commit()
    login_as("xinye")
    assert client.post("/items/notifications/read", headers=HX).status_code == 200
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count(Notification.id)).where(Notification.read_at.is_(None))).scalar_one() == 0


def test_notifications_require_sign_in(client, world):
    assert client.get("/items/notifications/bell", headers=HX).status_code == 401


def test_before_and_after_photos_side_by_side(client, world, login_as, app):
    import uuid
    from inspect_app.media import processing, storage
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    processed = processing.process_image(images.camera_jpeg())
    keys = storage.store_processed(storage.FileStorage(app.config["UPLOAD_FOLDER"]), processed)
    before = Attachment(uuid=str(uuid.uuid4()), kind=AttachmentKind.PHOTO, stage=PhotoStage.BEFORE,
                        county_id=world.xinye.id, finding_id=item.finding_id, sha256=processed.sha256, mime="image/jpeg",
                        display_key=keys["display"], thumb_key=keys["thumb"], uploaded_by_id=world.users["inspector8"].id)
    db.session.add(before)
    db.session.commit()
    login_as("xinye-wjw")
    client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                data={"version": "1", "text": "整改后", "files": files(("后.jpg", images.noisy_jpeg()))})
    html = client.get(f"/items/{item.id}").get_data(as_text=True)
    compare = html.split('id="before-after"')[1].split("</section>")[0]
    assert "整改前照片 1" in compare and "整改后照片 1" in compare
    assert client.get(f"/media/{before.id}/display").status_code == 200
    after = db.session.execute(sa.select(Attachment).where(Attachment.progress_id.is_not(None))).scalar_one()
    login_as("tongbai")
    assert client.get(f"/media/{after.id}/thumb").status_code == 404
    login_as("xinye")
    assert client.get(f"/media/{before.id}/thumb").status_code == 200  # issued finding's photo, own county


def test_city_viewer_sees_the_citys_counties_read_only(client, world, login_as):
    a = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    b = make_item(world, world.tongbai)
    c = make_item(world, world.dancheng)
    login_as("nanyang")
    html = client.get("/items/").get_data(as_text=True)
    assert a.number in html and b.number in html and c.number not in html
    assert "<th>县(市)</th>" in html and "桐柏县" in html
    assert client.get(f"/items/{c.id}").status_code == 404
    page = client.get(f"/items/{a.id}").get_data(as_text=True)
    assert 'id="item-actions"' in page and 'class="btn' not in page.split('id="item-actions"')[1].split('</div>')[0]
    assert post_action(client, a, "accept", {"opinion": "好"}).status_code == 403


def test_a_failure_after_files_are_stored_leaves_no_stray_file(client, world, login_as, app, monkeypatch):
    """Files are written before the commit; if anything later fails, the files this post wrote go too."""
    import os
    from inspect_app.rectification import notifications

    def broken(*_args, **_kwargs):
        raise RuntimeError("notification service down")
    def stored():
        return {f for _root, _dirs, names in os.walk(app.config["UPLOAD_FOLDER"]) for f in names}
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    before = stored()
    monkeypatch.setattr(notifications, "after_action", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        res = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                          data={"version": "1", "text": "写到一半失败",
                                "files": files(("后.jpg", images.camera_jpeg()), ("方案.pdf", images.pdf()))})
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert res.status_code == 500
    assert stored() == before
    assert db.session.execute(sa.select(sa.func.count(Attachment.id))).scalar_one() == 0
    assert fresh(item.id).version == 1
