"""Checklist views: pages, htmx fragments, inline edits, publishing, XLSX import/export, roles."""
import io
import json
from urllib.parse import unquote

import openpyxl
import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.checklists import service
from inspect_app.checklists.models import ChecklistItem, ChecklistVersion, VersionStatus
from inspect_app.extensions import db
from inspect_app.org.models import SiteKind
from tests.checklists.factories import make_version
from tests.conftest import HX


def kind_id(code) -> int:
    return db.session.execute(sa.select(SiteKind.id).where(SiteKind.code == code)).scalar_one()


def first_item(version) -> ChecklistItem:
    return service.version_items(version.id)[0]


def at_row(item) -> dict:
    """htmx headers of a request that swaps one item's row."""
    return {**HX, "HX-Target": f"item-{item.id}"}


def item_form(item, **changes) -> dict:
    data = {"version": item.version, "section_id": item.section_id, "code": item.code, "content": item.content, "method": "onsite",
            "site_kind_ids": [k.id for k in item.site_kinds], "photo_required": "y", "weight": "2.5", "guidance": ""}
    data.update(changes)
    return data


# ---------------------------------------------------------------- list and version pages

@pytest.mark.parametrize("username", ["province", "viewer", "leader8", "inspector8"])
def test_index_lists_versions_for_checklist_roles(client, login_as, username):
    make_version(publish=True)
    login_as(username)
    page = client.get("/checklists")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "测试核查表" in text and "2022版" in text and "已发布" in text and ">6<" in text
    assert ("导入 Excel" in text) == (username == "province")


@pytest.mark.parametrize("username", ["nanyang", "xinye", "xinye-wjw", "admin", "auditor"])
def test_index_is_forbidden_for_other_roles(client, login_as, username):
    login_as(username)
    assert client.get("/checklists").status_code == 403


def test_version_page_and_fragments(client, login_as):
    version = make_version(publish=True)
    login_as("inspector8")
    page = client.get(f"/checklists/versions/{version.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in text and "A01" in text and "B03" in text
    assert "编辑" not in text and "发布此版本" not in text
    frag = client.get(f"/checklists/versions/{version.id}?kind={kind_id('village_clinic')}",
                      headers={**HX, "HX-Target": "items"})
    body = frag.get_data(as_text=True)
    assert frag.status_code == 200 and "<html" not in body and 'id="items"' in body
    assert "B03" in body and "A01" not in body
    search = client.get(f"/checklists/versions/{version.id}?q=第2条", headers={**HX, "HX-Target": "items"})
    body = search.get_data(as_text=True)
    assert "A02" in body and "B02" in body and "A01" not in body


def test_unknown_version_is_404(client, login_as, world):
    login_as("province")
    assert client.get("/checklists/versions/999").status_code == 404
    assert client.get("/checklists/items/999").status_code == 404


def test_item_row_fragment(client, login_as):
    version = make_version()
    item = first_item(version)
    login_as("province")
    resp = client.get(f"/checklists/items/{item.id}", headers=at_row(item))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and body.lstrip().startswith(f'<tr id="item-{item.id}"') and "编辑" in body


# ---------------------------------------------------------------- inline edit of a draft

def test_inline_edit_form_fragment_and_full_page(client, login_as):
    version = make_version()
    item = first_item(version)
    login_as("province")
    frag = client.get(f"/checklists/items/{item.id}/edit", headers=at_row(item))
    body = frag.get_data(as_text=True)
    assert frag.status_code == 200 and 'class="editing"' in body and "<html" not in body
    assert 'name="content"' in body
    page = client.get(f"/checklists/items/{item.id}/edit")
    assert "<html" in page.get_data(as_text=True) and 'class="editing"' in page.get_data(as_text=True)


def test_inline_edit_saves_and_audits(client, login_as):
    version = make_version()
    item = first_item(version)
    login_as("province")
    resp = client.post(f"/checklists/items/{item.id}", data=item_form(item, content="修改后的核查内容"),
                       headers=at_row(item))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "修改后的核查内容" in body and 'class="editing"' not in body
    db.session.expire_all()
    saved = db.session.get(ChecklistItem, item.id)
    assert saved.content == "修改后的核查内容" and saved.weight == 2.5 and saved.photo_required
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "checklist_item.update")).first()


def test_inline_edit_errors_keep_typed_text_422(client, login_as):
    version = make_version()
    item = first_item(version)
    login_as("province")
    resp = client.post(f"/checklists/items/{item.id}", data=item_form(item, weight="两分", site_kind_ids=[],
                                                                    content="我输入的内容"),
                       headers=at_row(item))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "分值“两分”不是有效的数字" in body and "请至少选择一种适用点位类型" in body and "我输入的内容" in body
    other = service.version_items(version.id)[1]
    resp = client.post(f"/checklists/items/{item.id}", data=item_form(item, code=other.code),
                       headers=at_row(item))
    assert resp.status_code == 422 and "已有条目编号" in resp.get_data(as_text=True)


def test_published_version_edit_answers_409(client, login_as):
    version = make_version(publish=True)
    item = first_item(version)
    login_as("province")
    resp = client.post(f"/checklists/items/{item.id}", data=item_form(item, content="偷偷修改"),
                       headers=at_row(item))
    assert resp.status_code == 409
    assert "已发布" in json.loads(resp.headers["HX-Trigger"])["toast"][0]["message"]
    assert client.get(f"/checklists/items/{item.id}/edit", headers=HX).status_code == 409
    assert client.post(f"/checklists/items/{item.id}/delete", headers=HX).status_code == 409
    db.session.expire_all()
    assert db.session.get(ChecklistItem, item.id).content == "责任共同体核查内容第1条"


def test_add_and_delete_item(client, login_as):
    version = make_version()
    item = first_item(version)
    login_as("province")
    resp = client.post(f"/checklists/versions/{version.id}/items",
                       data=item_form(item, code="A09", content="新增的核查条目"),
                       headers={**HX, "HX-Target": "version-body"})
    assert resp.status_code == 200 and "新增的核查条目" in resp.get_data(as_text=True)
    added = db.session.execute(sa.select(ChecklistItem).where(ChecklistItem.code == "A09")).scalar_one()
    bad = client.post(f"/checklists/versions/{version.id}/items", data=item_form(item, code="", content="留着"),
                      headers={**HX, "HX-Target": "version-body"})
    assert bad.status_code == 422 and "请填写条目编号" in bad.get_data(as_text=True) and "留着" in bad.get_data(as_text=True)
    gone = client.post(f"/checklists/items/{added.id}/delete", data={"q": "第1条", "kind": "0", "version": added.version},
                       headers={**HX, "HX-Target": "items"})
    body = gone.get_data(as_text=True)
    assert gone.status_code == 200 and body.startswith('<div id="items"')
    assert "A01" in body and "A02" not in body and "新增的核查条目" not in body
    assert db.session.get(ChecklistItem, added.id) is None


def test_publish_freezes_the_draft(client, login_as):
    version = make_version()
    login_as("province")
    page = client.get(f"/checklists/versions/{version.id}").get_data(as_text=True)
    assert "发布此版本" in page and "hx-confirm" in page
    assert 'id="publish-version" value="1"' in page
    resp = client.post(f"/checklists/versions/{version.id}/publish", data={"version": version.version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ChecklistVersion, version.id).status == VersionStatus.PUBLISHED
    assert client.post(f"/checklists/versions/{version.id}/publish").status_code == 409


def test_copy_as_new_draft(client, login_as):
    version = make_version(publish=True)
    login_as("province")
    resp = client.post(f"/checklists/versions/{version.id}/copy", data={"label": "2023版"})
    assert resp.status_code == 302
    draft = db.session.execute(sa.select(ChecklistVersion).where(ChecklistVersion.label == "2023版")).scalar_one()
    assert resp.headers["Location"].endswith(f"/checklists/versions/{draft.id}")
    again = client.post(f"/checklists/versions/{version.id}/copy", data={"label": "2023版"})
    assert again.status_code == 422 and "已有版本“2023版”" in again.get_data(as_text=True)


@pytest.mark.parametrize("username", ["viewer", "leader8", "inspector8"])
def test_changes_are_forbidden_without_manage(client, login_as, username):
    version = make_version()
    item = first_item(version)
    login_as(username)
    assert client.get(f"/checklists/items/{item.id}/edit", headers=HX).status_code == 403
    assert client.post(f"/checklists/items/{item.id}", data=item_form(item)).status_code == 403
    assert client.post(f"/checklists/items/{item.id}/delete").status_code == 403
    assert client.post(f"/checklists/versions/{version.id}/items", data=item_form(item)).status_code == 403
    assert client.post(f"/checklists/versions/{version.id}/publish").status_code == 403
    assert client.post(f"/checklists/versions/{version.id}/copy", data={"label": "x"}).status_code == 403
    assert client.get("/checklists/import").status_code == 403


def test_csrf_is_required(client, login_as):
    version = make_version()
    login_as("province")
    assert client.post(f"/checklists/versions/{version.id}/publish", csrf=False).status_code == 400


# ---------------------------------------------------------------- XLSX

def test_export_download(client, login_as):
    service.ensure_default_checklist()
    version = db.session.execute(sa.select(ChecklistVersion)).scalar_one()
    login_as("inspector8")
    resp = client.get(f"/checklists/versions/{version.id}/export.xlsx")
    assert resp.status_code == 200
    assert "紧密型县域医共体建设核查表_2022版_20" in unquote(resp.headers["Content-Disposition"])
    assert f'filename="checklist-v{version.id}-20' in resp.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert wb["核查表"].max_row == 66


def _upload(client, data: bytes, **fields):
    form = {"template_id": "0", "name": "", "label": "2023版", **fields,
            "file": (io.BytesIO(data), "核查表.xlsx")}
    return client.post("/checklists/import", data=form, content_type="multipart/form-data")


def test_import_page_and_good_file(client, login_as):
    original = make_version(publish=True)
    login_as("province")
    assert "导入 Excel 新建核查表版本" in client.get("/checklists/import").get_data(as_text=True)
    resp = _upload(client, service.export_xlsx(original), template_id=str(original.template_id))
    assert resp.status_code == 302
    draft = db.session.execute(sa.select(ChecklistVersion).where(ChecklistVersion.label == "2023版")).scalar_one()
    assert draft.template_id == original.template_id and draft.status == VersionStatus.DRAFT
    assert len(service.version_items(draft.id)) == 6


def test_import_bad_file_lists_row_errors_and_keeps_label(client, login_as):
    original = make_version(publish=True)
    wb = openpyxl.load_workbook(io.BytesIO(service.export_xlsx(original)))
    ws = wb["核查表"]
    ws.cell(row=4, column=5, value="看资料")
    out = io.BytesIO()
    wb.save(out)
    login_as("province")
    resp = _upload(client, out.getvalue(), name="新核查表", label="我的2023版")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "第 4 行" in text and "看资料" in text
    assert 'value="我的2023版"' in text and 'value="新核查表"' in text
    assert db.session.execute(sa.select(sa.func.count(ChecklistVersion.id))).scalar() == 1


def test_import_requires_file_and_label(client, login_as):
    make_version()
    login_as("province")
    resp = client.post("/checklists/import", data={"template_id": "0", "label": ""},
                       content_type="multipart/form-data")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "请选择要导入的 Excel 文件" in text and "请填写版本名称" in text
