"""Route tests of the visit screens: pages, fragments, access, idempotency, autosave, findings,
submit/reopen, and a query count that does not grow with the number of items."""
import io
import os
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.visits.models import (Answer, AnswerResult, Finding, FindingStatus, SiteVisit, VisitStatus)
from tests.conftest import HX
from tests.media import images
from tests.visits import factories as f


def count(model, *where):
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


# ---------------------------------------------------------------- my counties and county sites

def test_index_lists_my_team_counties(client, login_as, world, version):
    login_as("inspector8")
    page = client.get("/visits/").get_data(as_text=True)
    assert "新野县" in page and "桐柏县" in page
    assert "郸城县" not in page            # not a county of the inspector's team
    assert "我的核查" in page


def test_index_for_viewers_lists_counties_with_teams(client, login_as, world, version):
    login_as("viewer")
    page = client.get("/visits/").get_data(as_text=True)
    assert "新野县" in page and "郸城县" not in page      # 郸城县 has no team in any campaign


def test_index_forbidden_to_county_roles(client, login_as, world):
    for user in ("xinye", "tongbai", "xinye-wjw"):
        login_as(user)
        assert client.get("/visits/").status_code == 403


def test_county_sites_with_progress(client, login_as, world, version, visit):
    f.answer_items(visit, f.items_of(version)[:5])
    login_as("inspector8")
    page = client.get("/visits/counties/411329").get_data(as_text=True)
    assert "新野县医共体管理办公室" in page
    assert "核查中 5/12" in page
    assert "未开始" in page               # the other sites
    fragment = client.get("/visits/counties/411329", headers={**HX, "HX-Target": "county-sites"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and body.lstrip().startswith('<div id="county-sites">')
    assert "<html" not in body


def test_county_outside_team_is_404(client, login_as, world, version):
    login_as("inspector8")
    assert client.get("/visits/counties/411625").status_code == 404   # 郸城县: another team's county
    login_as("xinye")
    assert client.get("/visits/counties/411329").status_code == 403


def test_submitted_site_shows_submitted(client, login_as, world, version):
    f.make_visit(f.office_site(world.xinye), world.users["inspector8"], status=VisitStatus.SUBMITTED)
    login_as("leader8")
    assert "已提交" in client.get("/visits/counties/411329").get_data(as_text=True)


# ---------------------------------------------------------------- starting a visit

def test_start_visit_is_idempotent(client, login_as, world, version):
    login_as("inspector8")
    site = f.office_site(world.xinye)
    key = f.new_uuid()
    data = {"uuid": key, "lat": "32.52", "lon": "112.36", "accuracy": "15"}
    first = client.post(f"/visits/sites/{site.id}/start", data=data)
    second = client.post(f"/visits/sites/{site.id}/start", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert first.get_data() == second.get_data()
    assert count(SiteVisit) == 1
    visit = db.session.execute(sa.select(SiteVisit)).scalar_one()
    assert visit.uuid == key and visit.gps_lat == pytest.approx(32.52) and visit.gps_accuracy == 15
    assert visit.checklist_version_id == version.id and visit.started_at is not None
    assert count(AuditEvent, AuditEvent.action == "visit.start") == 1


def test_start_visit_without_js_gets_server_uuid_and_no_gps(client, login_as, world, version):
    login_as("inspector8")
    site = f.office_site(world.xinye)
    assert client.post(f"/visits/sites/{site.id}/start", data={}).status_code == 303
    visit = db.session.execute(sa.select(SiteVisit)).scalar_one()
    assert re.fullmatch(r"[0-9a-f-]{36}", visit.uuid) and visit.gps_lat is None


def test_second_tablet_joins_existing_visit(client, login_as, world, version, visit):
    login_as("leader8")
    response = client.post(f"/visits/sites/{visit.site_id}/start", data={"uuid": f.new_uuid()})
    assert response.headers["Location"].endswith(f"/visits/{visit.id}")
    assert count(SiteVisit) == 1


def test_start_forbidden(client, login_as, world, version):
    dancheng_site = f.office_site(world.dancheng)
    login_as("inspector8")
    assert client.post(f"/visits/sites/{dancheng_site.id}/start", data={"uuid": f.new_uuid()}).status_code == 404
    login_as("xinye")
    assert client.post(f"/visits/sites/{f.office_site(world.xinye).id}/start", data={}).status_code == 403
    login_as("viewer")     # may read visits, may not record
    assert client.post(f"/visits/sites/{f.office_site(world.xinye).id}/start", data={}).status_code == 403
    assert count(SiteVisit) == 0


# ---------------------------------------------------------------- the visit screen

def test_visit_screen_shows_only_items_of_the_site_kind(client, login_as, world, version, visit):
    login_as("inspector8")
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    office = f.items_of(version, "office")
    township = f.items_of(version, "township_center")
    assert all(f'id="item-{item.id}"' in page for item in office)
    assert not any(f'id="item-{item.id}"' in page for item in township)
    assert "责任共同体" in page and "需拍照" in page
    assert "<strong>0</strong>/12" in page
    for label in ("符合", "基本符合", "不符合", "不适用"):
        assert label in page


def test_visit_screen_access(client, login_as, world, version, visit):
    for user, status in (("xinye", 403), ("tongbai", 403), ("xinye-wjw", 403), ("viewer", 200),
                         ("nanyang", 200), ("leader8", 200)):
        login_as(user)
        assert client.get(f"/visits/{visit.id}").status_code == status, user
    other = f.make_visit(f.office_site(world.dancheng), world.users["province"])
    login_as("inspector8")
    assert client.get(f"/visits/{other.id}").status_code == 404


def test_viewer_sees_read_only_screen(client, login_as, world, version, visit):
    login_as("viewer")
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "hx-post" not in page and "disabled" in page


# ---------------------------------------------------------------- autosaving answers

def post_answer(client, visit, item, key, result="conforms", note="", headers=HX):
    return client.post(f"/visits/{visit.id}/items/{item.id}/answer",
                       data={"uuid": key, "result": result, "note": note}, headers=headers)


def test_answer_upserts_and_updates_progress(client, login_as, world, version, visit):
    login_as("inspector8")
    item = f.items_of(version)[0]
    key = f.new_uuid()
    first = post_answer(client, visit, item, key, "nonconforming", "未见资产划转文件")
    body = first.get_data(as_text=True)
    assert first.status_code == 200
    assert f'id="status-{item.id}"' in body and "已保存" in body
    assert 'id="visit-progress"' in body and 'hx-swap-oob="true"' in body and "<strong>1</strong>/12" in body
    assert "记录为问题" in body                   # 不符合 offers a finding in place
    second = post_answer(client, visit, item, key, "conforms", "已补齐文件")
    assert second.status_code == 200 and "记录为问题" not in second.get_data(as_text=True)
    answer = db.session.execute(sa.select(Answer)).scalar_one()
    assert answer.uuid == key and answer.result == AnswerResult.CONFORMS and answer.note == "已补齐文件"
    assert count(AuditEvent, AuditEvent.action == "answer.save") == 2


def test_same_answer_twice_is_one_row_and_same_response(client, login_as, world, version, visit):
    login_as("inspector8")
    item = f.items_of(version)[1]
    key = f.new_uuid()
    first = post_answer(client, visit, item, key, "basically", "部分落实")
    second = post_answer(client, visit, item, key, "basically", "部分落实")
    assert first.get_data() == second.get_data()
    assert count(Answer) == 1
    assert count(AuditEvent, AuditEvent.action == "answer.save") == 1


def test_note_only_autosave(client, login_as, world, version, visit):
    login_as("inspector8")
    item = f.items_of(version)[2]
    response = post_answer(client, visit, item, f.new_uuid(), "", "先记一笔")
    assert response.status_code == 200 and "已保存" in response.get_data(as_text=True)
    answer = db.session.execute(sa.select(Answer)).scalar_one()
    assert answer.result is None and answer.note == "先记一笔"
    assert "<strong>0</strong>/12" in response.get_data(as_text=True)   # a note is not an answer


def test_answer_rejects_bad_input(client, login_as, world, version, visit):
    login_as("inspector8")
    item = f.items_of(version)[0]
    assert post_answer(client, visit, item, "not-a-uuid").status_code == 422
    assert post_answer(client, visit, item, f.new_uuid(), "maybe").status_code == 422
    township_item = f.items_of(version, "township_center")[0]
    assert post_answer(client, visit, township_item, f.new_uuid()).status_code == 404
    assert count(Answer) == 0


def test_answer_uuid_of_another_row_is_refused(client, login_as, world, version, visit):
    login_as("inspector8")
    items = f.items_of(version)
    key = f.new_uuid()
    post_answer(client, visit, items[0], key)
    response = post_answer(client, visit, items[1], key)
    assert response.status_code == 409 and "编号" in response.get_data(as_text=True)
    assert count(Answer) == 1


def test_answer_forbidden(client, login_as, world, version, visit):
    item = f.items_of(version)[0]
    login_as("xinye")
    assert post_answer(client, visit, item, f.new_uuid()).status_code == 403
    login_as("viewer")
    assert post_answer(client, visit, item, f.new_uuid()).status_code == 403
    other = f.make_visit(f.office_site(world.dancheng), world.users["province"])
    login_as("inspector8")
    assert post_answer(client, other, item, f.new_uuid()).status_code == 404
    assert count(Answer) == 0


def test_answer_needs_csrf(client, login_as, world, version, visit):
    login_as("inspector8")
    item = f.items_of(version)[0]
    response = client.post(f"/visits/{visit.id}/items/{item.id}/answer",
                           data={"uuid": f.new_uuid(), "result": "conforms"}, headers=HX, csrf=False)
    assert response.status_code == 400 and count(Answer) == 0


# ---------------------------------------------------------------- findings

def finding_data(key, **over):
    data = {"uuid": key, "description": "未完成资产划转", "category": "责任共同体", "severity": "serious",
            "rectification_type": "deadline", "deadline": "2022-08-10", "suggested_measures": "尽快完成划转"}
    data.update(over)
    return data


def test_finding_form_prefilled_from_answer(client, login_as, world, version, visit):
    login_as("inspector8")
    item = f.items_of(version)[0]
    post_answer(client, visit, item, f.new_uuid(), "nonconforming", "未见划转文件")
    response = client.get(f"/visits/{visit.id}/findings/new?item={item.id}", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert item.content in body and "未见划转文件" in body and item.section.title in body
    assert "一般" in body and "限期整改" in body
    assert 'capture="environment"' in body
    # No deadline counted from today: it is set when the list is issued, from that day.
    assert 'name="deadline"' not in body and "data-deadline-defaults" not in body
    assert "下发问题清单时按整改类型从下发日期起算" in body
    typed = client.get(f"/visits/{visit.id}/findings/new?item={item.id}&note=刚输入尚未保存", headers=HX)
    assert "刚输入尚未保存" in typed.get_data(as_text=True)


def test_finding_from_answer_is_idempotent(client, login_as, world, version, visit):
    login_as("inspector8")
    item = f.items_of(version)[0]
    post_answer(client, visit, item, f.new_uuid(), "nonconforming")
    key = f.new_uuid()
    first = client.post(f"/visits/{visit.id}/findings", data={**finding_data(key), "item_id": item.id}, headers=HX)
    second = client.post(f"/visits/{visit.id}/findings", data={**finding_data(key), "item_id": item.id}, headers=HX)
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    body = first.get_data(as_text=True)
    assert f'hx-swap-oob="beforeend:#findings-{item.id}"' in body and "未完成资产划转" in body
    assert count(Finding) == 1
    finding = db.session.execute(sa.select(Finding)).scalar_one()
    assert finding.uuid == key and finding.item_id == item.id and finding.answer_id is not None
    assert finding.site_id == visit.site_id and finding.status == FindingStatus.DRAFT
    assert count(AuditEvent, AuditEvent.action == "finding.create") == 1


def test_free_standing_finding_and_validation(client, login_as, world, version, visit):
    login_as("inspector8")
    bad = client.post(f"/visits/{visit.id}/findings", data=finding_data(f.new_uuid(), description=""), headers=HX)
    assert bad.status_code == 422 and "请填写问题描述" in bad.get_data(as_text=True)
    assert count(Finding) == 0
    ok = client.post(f"/visits/{visit.id}/findings", data=finding_data(f.new_uuid()), headers=HX)
    assert ok.status_code == 200 and "beforeend:#findings-free" in ok.get_data(as_text=True)
    assert db.session.execute(sa.select(Finding)).scalar_one().item_id is None


def test_edit_and_delete_draft_finding(client, login_as, world, version, visit):
    finding = f.make_finding(visit, f.items_of(version)[0])
    login_as("inspector8")
    form = client.get(f"/visits/findings/{finding.id}/edit", headers=HX)
    assert form.status_code == 200 and "编辑问题" in form.get_data(as_text=True)
    saved = client.post(f"/visits/findings/{finding.id}",
                        data=finding_data(finding.uuid, description="改后的描述", version=finding.version), headers=HX)
    assert saved.status_code == 200 and "改后的描述" in saved.get_data(as_text=True)
    card = client.get(f"/visits/findings/{finding.id}", headers=HX)
    assert f'id="finding-{finding.id}"' in card.get_data(as_text=True)
    deleted = client.post(f"/visits/findings/{finding.id}/delete", headers=HX)
    assert deleted.status_code == 200 and count(Finding) == 0
    actions = set(db.session.execute(sa.select(AuditEvent.action)).scalars())
    assert {"finding.update", "finding.delete"} <= actions


def test_deleting_a_finding_with_a_photo_leaves_no_file(client, login_as, world, app, version, visit):
    finding = f.make_finding(visit)
    login_as("inspector8")
    uploaded = client.post(f"/media/findings/{finding.id}/photos", content_type="multipart/form-data",
                           data={"uuid": f.new_uuid(), "photo": (io.BytesIO(images.camera_jpeg()), "IMG.JPG")})
    photo = db.session.get(Attachment, uploaded.get_json()["id"])
    paths = [os.path.join(app.config["UPLOAD_FOLDER"], key) for key in (photo.display_key, photo.thumb_key,
                                                                            photo.original_key)]
    assert all(os.path.isfile(p) for p in paths)
    assert client.post(f"/visits/findings/{finding.id}/delete", headers=HX).status_code == 200
    assert count(Attachment) == 0 and not any(os.path.exists(p) for p in paths)


def test_issued_finding_is_frozen(client, login_as, world, version, visit):
    finding = f.make_finding(visit, status=FindingStatus.ISSUED)
    login_as("inspector8")
    response = client.post(f"/visits/findings/{finding.id}", data=finding_data(finding.uuid, description="x"),
                           headers=HX)
    assert response.status_code == 409
    assert client.post(f"/visits/findings/{finding.id}/delete", headers=HX).status_code == 409
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).description == "未实行统一法人"


def test_finding_forbidden(client, login_as, world, version, visit):
    finding = f.make_finding(visit)
    for user, status in (("xinye", 403), ("tongbai", 403), ("viewer", 403)):
        login_as(user)
        assert client.get(f"/visits/findings/{finding.id}/edit", headers=HX).status_code == status, user
        assert client.post(f"/visits/{visit.id}/findings", data=finding_data(f.new_uuid()),
                           headers=HX).status_code == status
    login_as("xinye")
    assert client.get(f"/visits/findings/{finding.id}", headers=HX).status_code == 403
    other = f.make_visit(f.office_site(world.dancheng), world.users["province"])
    other_finding = f.make_finding(other)
    login_as("inspector8")
    assert client.get(f"/visits/findings/{other_finding.id}", headers=HX).status_code == 404
    assert client.post(f"/visits/findings/{other_finding.id}/delete", headers=HX).status_code == 404
    assert count(Finding) == 2


# ---------------------------------------------------------------- submit and reopen

def all_reasons(visit, text="现场未能核查") -> dict:
    """A reason for every gap of the visit, as the submit page's form would post them."""
    from inspect_app.visits import service
    return {gap.field: text for gap in service.visit_screen(visit).gaps}


def test_submit_confirmation_warns(client, login_as, world, version, visit):
    login_as("inspector8")
    f.answer_items(visit, f.items_of(version)[1:4])
    page = client.get(f"/visits/{visit.id}/submit").get_data(as_text=True)
    assert "还有 <strong>9</strong> 项未作答" in page
    assert "要求拍照，但还没有照片" in page


def test_submitted_visit_is_read_only_and_leader_reopens(client, login_as, world, version, visit):
    item = f.items_of(version)[0]
    finding = f.make_finding(visit, item)
    login_as("inspector8")
    assert client.post(f"/visits/{visit.id}/submit", data=all_reasons(visit)).status_code == 303
    assert client.post(f"/visits/{visit.id}/submit").status_code == 303       # a retry changes nothing
    db.session.expire_all()
    assert db.session.get(SiteVisit, visit.id).status == VisitStatus.SUBMITTED
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "内容只读" in page and "hx-post" not in page and "退回修改" not in page

    refused = post_answer(client, visit, item, f.new_uuid(), "conforms")
    assert refused.status_code == 409 and "只读" in refused.get_data(as_text=True)
    assert client.post(f"/visits/{visit.id}/findings", data=finding_data(f.new_uuid()),
                       headers=HX).status_code == 409
    assert client.post(f"/visits/findings/{finding.id}/delete", headers=HX).status_code == 409
    assert client.post(f"/visits/{visit.id}/reopen").status_code == 403   # inspectors may not reopen
    assert count(Answer) == 0 and count(Finding) == 1

    login_as("leader8")
    assert "退回修改" in client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert client.post(f"/visits/{visit.id}/reopen").status_code == 303
    db.session.expire_all()
    reopened = db.session.get(SiteVisit, visit.id)
    assert reopened.status == VisitStatus.IN_PROGRESS and reopened.reopen_count == 1
    login_as("inspector8")
    assert post_answer(client, visit, item, f.new_uuid()).status_code == 200
    actions = list(db.session.execute(sa.select(AuditEvent.action)).scalars())
    assert actions.count("visit.submit") == 1 and actions.count("visit.reopen") == 1


def test_reopen_forbidden_other_county(client, login_as, world, version):
    other = f.make_visit(f.office_site(world.dancheng), world.users["province"], status=VisitStatus.SUBMITTED)
    login_as("leader8")
    assert client.post(f"/visits/{other.id}/reopen").status_code == 404
    login_as("xinye")
    assert client.post(f"/visits/{other.id}/reopen").status_code == 403


# ---------------------------------------------------------------- query count

@contextmanager
def counting_queries():
    statements = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def test_visit_screen_query_count_does_not_grow_with_items(client, login_as, world):
    small = f.make_version(n_items=10)
    small_visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    large = f.make_version(n_items=80)
    large_visit = f.make_visit(f.office_site(world.tongbai), world.users["inspector8"])
    for visit, version in ((small_visit, small), (large_visit, large)):
        items = f.items_of(version)
        f.answer_items(visit, items[: len(items) // 2])
        for item in items[:3]:
            f.make_finding(visit, item)
    login_as("inspector8")
    small_visit, large_visit = small_visit.id, large_visit.id
    client.get(f"/visits/{small_visit}")         # warm-up: the signed-in user is then cached in g
    counts = []
    for visit, n in ((small_visit, 10), (large_visit, 80)):
        db.session.expunge_all()          # the test's session outlives requests: start each one cold
        with counting_queries() as statements:
            page = client.get(f"/visits/{visit}").get_data(as_text=True)
        assert page.count('class="item-row"') == n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_note_before_any_result_is_saved(client, login_as, world, version, visit):
    """A note typed before choosing a result posts no `result` at all (no radio checked)."""
    login_as("inspector8")
    item = f.items_of(version)[0]
    response = client.post(f"/visits/{visit.id}/items/{item.id}/answer",
                           data={"uuid": f.new_uuid(), "note": "离线时输入的说明"}, headers=HX)
    assert response.status_code == 200
    assert db.session.execute(sa.select(Answer.note)).scalar_one() == "离线时输入的说明"
    bad = post_answer(client, visit, item, f.new_uuid(), "maybe")
    assert bad.status_code == 422 and "核查结果无效" in bad.get_data(as_text=True)


def test_plain_requests_to_fragment_urls_redirect_to_the_visit(client, login_as, world, version, visit):
    finding = f.make_finding(visit)
    item = f.items_of(version)[0]
    login_as("inspector8")
    for url in (f"/visits/{visit.id}/findings/new?item={item.id}", f"/visits/findings/{finding.id}",
                f"/visits/findings/{finding.id}/edit"):
        response = client.get(url)
        assert response.status_code == 303 and f"/visits/{visit.id}" in response.headers["Location"], url
    saved = post_answer(client, visit, item, f.new_uuid(), headers={})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"#item-{item.id}")
    assert count(Answer) == 1
