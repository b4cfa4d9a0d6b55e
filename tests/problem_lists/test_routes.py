"""The problem list: who sees it, the leader's consolidation (edit, merge, order) and its fragments."""
from datetime import date

import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.visits.models import Finding, FindingStatus, Severity
from tests.conftest import HX
from tests.problem_lists.factories import campaign, edit_data, list_url, make_finding, merge_versions, sites


def order_of(client, camp):
    """Finding descriptions in the order the list page numbers them."""
    html = client.get(list_url(camp), headers={**HX, "HX-Target": "problem-list"}).get_data(as_text=True)
    return html


# ---------------------------------------------------------------- index

def test_index_lists_team_counties_with_counts(client, login_as, xinye_list):
    login_as("leader8")
    html = client.get("/problem-lists").get_data(as_text=True)
    assert "新野县" in html and "桐柏县" in html and "郸城县" not in html
    assert "整理中" in html
    # 新野县: 4 findings recorded, 4 drafts
    row = html[html.index("新野县"):html.index("桐柏县")]
    assert ">4<" in row.replace(" ", "")


def test_index_fragment_search(client, login_as, xinye_list):
    login_as("province")
    response = client.get("/problem-lists?q=桐柏", headers={**HX, "HX-Target": "pl-table"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="pl-table">')
    assert "桐柏县" in html and "新野县" not in html


def test_index_county_coordinator_sees_only_issued(client, login_as, xinye_list):
    login_as("xinye")
    html = client.get("/problem-lists").get_data(as_text=True)
    assert "新野县" not in html.split("<table", 1)[-1] and "暂无可查看的问题清单" in html


def test_index_forbidden_for_system_admin(client, login_as, world):
    login_as("admin")
    assert client.get("/problem-lists").status_code == 403


# ---------------------------------------------------------------- the list page

def test_list_page_groups_and_numbers(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    response = client.get(list_url(camp))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    # 管理共同体 (section 1) before 服务共同体 (section 2), even though C-01 was recorded first
    assert html.index("管理共同体") < html.index("服务共同体")
    positions = [html.index(f"finding-{f.id}\"") for f in (b01, b02, free, c01)]
    assert positions == sorted(positions)
    assert "B-01" in html and "（自由记录）" in html and "较重" in html and "2022年8月31日" in html
    assert "照片 2 张" in html
    photo_ids = db.session.execute(sa.select(Attachment.id).order_by(Attachment.id)).scalars().all()
    if "media.thumb" in client.application.view_functions:    # the media routes may not be there yet
        assert f'src="/media/{photo_ids[0]}/thumb"' in html
        # Each thumbnail opens the viewer and says when and where it was taken (issue 14, seen 9).
        assert html.count('data-viewer-meta="无拍摄时间 · 无位置信息"') == 2 and 'id="photo-viewer"' in html
    else:
        assert "<img" not in html
    assert "下发清单" in html and "合并所选" in html


def test_list_fragment(client, login_as, xinye_list):
    camp, _ = xinye_list
    login_as("inspector8")
    html = client.get(list_url(camp), headers={**HX, "HX-Target": "problem-list"}).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="problem-list"') and "<html" not in html
    # inspectors see drafts read-only
    assert "合并所选" not in html and "上移" not in html


@pytest.mark.parametrize("username", ["xinye", "tongbai"])
def test_draft_list_is_404_for_county_side(client, login_as, xinye_list, username):
    camp, (b01, *_rest) = xinye_list
    login_as(username)
    assert client.get(list_url(camp)).status_code == 404
    assert client.get(list_url(camp), headers={**HX, "HX-Target": "problem-list"}).status_code == 404
    assert client.get(list_url(camp, suffix="/feedback.docx")).status_code == 404
    assert client.get(list_url(camp, suffix="/list.xlsx")).status_code == 404
    assert client.get(f"/problem-lists/findings/{b01.id}").status_code == 404


def test_unit_responder_has_no_problem_list(client, login_as, xinye_list):
    camp, _ = xinye_list
    login_as("xinye-wjw")
    assert client.get(list_url(camp)).status_code == 403
    assert client.get("/problem-lists").status_code == 403


def test_other_county_is_404(client, login_as, world):
    camp = campaign()
    login_as("leader8")
    assert client.get(list_url(camp, "411625")).status_code == 404     # 郸城县, not the team's
    login_as("nanyang")
    assert client.get(list_url(camp, "411625")).status_code == 404     # another city
    assert client.get(list_url(camp, "411329")).status_code == 200


def test_unknown_campaign_is_404(client, login_as, world):
    login_as("leader8")
    assert client.get("/problem-lists/9999/411329").status_code == 404


# ---------------------------------------------------------------- inline edit

def test_edit_form_fragment_and_save(client, login_as, xinye_list):
    camp, (b01, *_r) = xinye_list
    login_as("leader8")
    html = client.get(f"/problem-lists/findings/{b01.id}/edit", headers={**HX, "HX-Target": f"finding-{b01.id}"}) \
        .get_data(as_text=True)
    assert f'id="finding-{b01.id}"' in html and "一办六部未实体化运行" in html and '<option selected value="serious">' in html
    response = client.post(f"/problem-lists/findings/{b01.id}", headers={**HX, "HX-Target": f"finding-{b01.id}"}, data=edit_data(b01, {
        "description": "一办六部未实体化运行，6 个部室仅 2 个有专人", "category": "管理共同体", "severity": "critical",
        "rectification_type": "deadline", "deadline": "2022-09-30", "suggested_measures": "限期配齐人员"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith(f'<article id="finding-{b01.id}"')
    assert "6 个部室仅 2 个有专人" in html and "2022年9月30日" in html and "严重" in html
    db.session.expire_all()
    f = db.session.get(Finding, b01.id)
    assert f.severity == Severity.CRITICAL and f.deadline == date(2022, 9, 30) and f.suggested_measures == "限期配齐人员"
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "finding.edit")).scalar_one()
    assert event.object_id == str(b01.id) and "description" in event.after


def test_edit_invalid_keeps_typed_text(client, login_as, xinye_list):
    camp, (b01, *_r) = xinye_list
    login_as("leader8")
    response = client.post(f"/problem-lists/findings/{b01.id}", headers={**HX, "HX-Target": f"finding-{b01.id}"}, data=edit_data(b01, {
        "description": "", "category": "新的类别写法", "severity": "general", "rectification_type": "deadline",
        "deadline": "2022-13-45", "suggested_measures": "我刚打的整改建议"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写问题描述" in html and "新的类别写法" in html and "我刚打的整改建议" in html
    db.session.expire_all()
    assert db.session.get(Finding, b01.id).category == "管理共同体"


def test_changing_category_regroups_the_whole_list(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    response = client.post(f"/problem-lists/findings/{free.id}", headers={**HX, "HX-Target": f"finding-{free.id}"}, data=edit_data(free, {
        "description": free.description, "category": "服务共同体", "severity": "general",
        "rectification_type": "deadline", "deadline": "", "suggested_measures": ""}))
    assert response.headers["HX-Retarget"] == "#problem-list"
    html = response.get_data(as_text=True)
    assert html.index(f"finding-{c01.id}\"") < html.index(f"finding-{free.id}\"")


def test_inspector_cannot_edit_move_merge_or_issue(client, login_as, xinye_list):
    camp, (b01, b02, *_r) = xinye_list
    login_as("inspector8")
    assert client.get(f"/problem-lists/findings/{b01.id}/edit").status_code == 403
    assert client.post(f"/problem-lists/findings/{b01.id}", data={"description": "x"}).status_code == 403
    assert client.post(f"/problem-lists/findings/{b01.id}/move/down").status_code == 403
    assert client.post(list_url(camp, suffix="/merge"), data={"finding_ids": [b01.id, b02.id], "keep_id": b01.id,
                                                         "description": "x"}).status_code == 403
    assert client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Finding, b02.id).status == FindingStatus.DRAFT


def test_csrf_is_required(client, login_as, xinye_list):
    camp, (b01, *_r) = xinye_list
    login_as("leader8")
    assert client.post(f"/problem-lists/findings/{b01.id}/move/down", csrf=False).status_code == 400


# ---------------------------------------------------------------- order

def test_move_down_and_up_renumbers_within_category(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    response = client.post(f"/problem-lists/findings/{b01.id}/move/down", headers={**HX, "HX-Target": f"finding-{b01.id}"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # Only the two findings that changed places come back, replacing the moved card; the
    # neighbour's old card goes out of band — not the whole list.
    assert response.headers["HX-Retarget"] == f"#finding-{b01.id}" and response.headers["HX-Reswap"] == "outerHTML"
    assert html.index(f'<article id="finding-{b02.id}"') < html.index(f'<article id="finding-{b01.id}"')
    assert f'<div id="finding-{b02.id}" hx-swap-oob="delete">' in html
    assert f"finding-{free.id}\"" not in html and 'id="problem-list"' not in html
    assert '<span class="pl-num">1</span>' in html and '<span class="pl-num">2</span>' in html
    assert html.index(f"finding-{b02.id}\"") < html.index(f"finding-{b01.id}\"")
    html = order_of(client, camp)
    assert html.index(f"finding-{b02.id}\"") < html.index(f"finding-{b01.id}\"") < html.index(f"finding-{free.id}\"")
    db.session.expire_all()
    assert [db.session.get(Finding, f.id).position for f in (b02, b01, free)] == [1, 2, 3]
    # moving the last of a category down does not cross into the next category
    client.post(f"/problem-lists/findings/{free.id}/move/down", headers=HX)
    html = order_of(client, camp)
    assert html.index(f"finding-{free.id}\"") < html.index(f"finding-{c01.id}\"")
    client.post(f"/problem-lists/findings/{free.id}/move/up", headers=HX)
    html = order_of(client, camp)
    assert html.index(f"finding-{b02.id}\"") < html.index(f"finding-{free.id}\"") < html.index(f"finding-{b01.id}\"")


def test_move_buttons_disabled_at_category_edges(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    html = client.get(f"/problem-lists/findings/{c01.id}", headers={**HX, "HX-Target": f"finding-{c01.id}"}) \
        .get_data(as_text=True)
    # the only finding of its category: both moves disabled; its number is 4
    assert html.count("disabled") == 2 and '<span class="pl-num">4</span>' in html


# ---------------------------------------------------------------- merge

def test_merge_step_then_merge_moves_photos(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    step = client.get(list_url(camp, suffix=f"/merge?finding_ids={b01.id}&finding_ids={free.id}"),
                      headers={**HX, "HX-Target": "merge-step"})
    html = step.get_data(as_text=True)
    assert step.status_code == 200 and html.lstrip().startswith('<form id="merge-step"')
    assert "保留的问题" in html and "照片 2 张" in html
    response = client.post(list_url(camp, suffix="/merge"), headers={**HX, "HX-Target": "merge-step"}, data={
        "finding_ids": [b01.id, free.id], "keep_id": free.id, "description": "一办六部及绩效考核均未落实",
        **merge_versions(b01, free)})
    assert response.status_code == 200 and response.headers["HX-Retarget"] == "#problem-list"
    html = response.get_data(as_text=True)
    assert "已合并：" in html and "取消合并" in html and "一办六部及绩效考核均未落实" in html
    db.session.expire_all()
    merged, kept = db.session.get(Finding, b01.id), db.session.get(Finding, free.id)
    assert merged.status == FindingStatus.MERGED and merged.merged_into_id == free.id
    assert kept.description == "一办六部及绩效考核均未落实"
    owners = db.session.execute(sa.select(Attachment.finding_id)).scalars().all()
    assert owners == [free.id, free.id]
    # numbering now 1..3
    assert '<span class="pl-num">3</span>' in html and '<span class="pl-num">4</span>' not in html

    # unmerge: the finding and its own photos come back
    response = client.post(f"/problem-lists/findings/{b01.id}/unmerge", headers={**HX, "HX-Target": "problem-list"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Finding, b01.id).status == FindingStatus.DRAFT
    assert db.session.get(Finding, b01.id).merged_into_id is None
    assert db.session.execute(sa.select(Attachment.finding_id)).scalars().all() == [b01.id, b01.id]
    actions = db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions.count("finding.merge") == 1 and "finding.unmerge" in actions


def test_unmerge_after_a_chain_of_merges_gives_back_only_own_photos(client, login_as, xinye_list):
    """b01 (with two photos) into b02, then b02 into free: undoing b02's merge must not take b01's
    photos, since b01 is still merged (into free); undoing b01's then returns them to b01."""
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")

    def merge(a, keep):
        response = client.post(list_url(camp, suffix="/merge"), headers={**HX, "HX-Target": "merge-step"}, data={
            "finding_ids": [a.id, keep.id], "keep_id": keep.id, "description": f"合并后的问题{keep.id}",
            **merge_versions(a, keep)})
        assert response.status_code == 200

    def owners():
        db.session.expire_all()
        return db.session.execute(sa.select(Attachment.finding_id).order_by(Attachment.id)).scalars().all()

    merge(b01, b02)
    merge(b02, free)
    assert owners() == [free.id, free.id]
    assert client.post(f"/problem-lists/findings/{b02.id}/unmerge", headers=HX).status_code == 200
    assert owners() == [free.id, free.id]
    assert db.session.get(Finding, b01.id).merged_into_id == free.id
    assert client.post(f"/problem-lists/findings/{b01.id}/unmerge", headers=HX).status_code == 200
    assert owners() == [b01.id, b01.id]


def test_merge_needs_two_findings(client, login_as, xinye_list):
    camp, (b01, *_r) = xinye_list
    login_as("leader8")
    response = client.get(list_url(camp, suffix=f"/merge?finding_ids={b01.id}"), headers={**HX, "HX-Target": "merge-step"})
    assert response.status_code == 422 and "请至少选择两个问题" in response.get_data(as_text=True)


def test_merge_invalid_keeps_step(client, login_as, xinye_list):
    camp, (b01, b02, *_r) = xinye_list
    login_as("leader8")
    response = client.post(list_url(camp, suffix="/merge"), headers={**HX, "HX-Target": "merge-step"}, data={
        "finding_ids": [b01.id, b02.id], "keep_id": b02.id, "description": ""})
    assert response.status_code == 422 and "请填写合并后的问题描述" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Finding, b01.id).status == FindingStatus.DRAFT


def test_merge_with_other_county_finding_is_404(client, login_as, xinye_list, world):
    camp, (b01, *_r) = xinye_list
    tongbai_finding = make_finding(camp, sites(world.tongbai)[0], world.users["inspector8"], "桐柏县的问题")
    db.session.commit()
    login_as("leader8")
    response = client.post(list_url(camp, suffix="/merge"), data={
        "finding_ids": [b01.id, tongbai_finding.id], "keep_id": b01.id, "description": "x"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Finding, tongbai_finding.id).status == FindingStatus.DRAFT


def test_full_page_merge_step(client, login_as, xinye_list):
    camp, (b01, b02, *_r) = xinye_list
    login_as("leader8")
    html = client.get(list_url(camp, suffix=f"/merge?finding_ids={b01.id}&finding_ids={b02.id}")).get_data(as_text=True)
    assert "<html" in html and 'id="merge-step"' in html and "确认合并" in html
