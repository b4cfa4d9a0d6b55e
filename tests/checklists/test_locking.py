"""No silent overwrites of checklist drafts (issue 9, point 7): an item edited, deleted or a draft
published on an older view than the saved one answers 409 and changes nothing."""
import sqlalchemy as sa

from inspect_app.checklists import service
from inspect_app.checklists.models import ChecklistItem, ChecklistVersion, VersionStatus
from inspect_app.extensions import db
from inspect_app.locking import MISSING_MESSAGE
from tests.checklists.factories import make_version
from tests.checklists.test_routes import at_row, first_item, item_form
from tests.conftest import HX
from tests.locking import assert_stale_view, audit_count, client_for, race


def saved(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def test_stale_item_edit_is_refused_and_keeps_the_users_text(client, login_as):
    version = make_version()
    item = first_item(version)
    login_as("province")
    url = f"/checklists/items/{item.id}"
    assert 'name="version" type="hidden" value="1"' in client.get(url + "/edit", headers=at_row(item)).get_data(as_text=True)
    assert client.post(url, data=item_form(item, content="他人改写的核查内容", weight="5"), headers=at_row(item)).status_code == 200
    assert saved(ChecklistItem, item.id).version == 2 and saved(ChecklistVersion, version.id).version == 2
    events = audit_count()
    stale = client.post(url, data=item_form(item, version=1, content="我改写的核查内容"), headers=at_row(item))
    html = assert_stale_view(stale, {"content": "他人改写的核查内容", "weight": "5"}, ["我改写的核查内容"])
    assert 'name="version" type="hidden" value="2"' in html and 'class="editing"' in html
    row = saved(ChecklistItem, item.id)
    assert (row.content, row.weight, row.version) == ("他人改写的核查内容", 5.0, 2)
    assert audit_count() == events and saved(ChecklistVersion, version.id).version == 2
    again = client.post(url, data=item_form(item, version=2, content="合并后的核查内容"), headers=at_row(item))
    assert again.status_code == 200 and saved(ChecklistItem, item.id).version == 3


def test_item_edit_without_version_is_refused(client, login_as):
    version = make_version()
    item = first_item(version)
    login_as("province")
    response = client.post(f"/checklists/items/{item.id}", data=item_form(item, version="", content="新内容"),
                           headers=at_row(item))
    assert response.status_code == 422 and MISSING_MESSAGE in response.get_data(as_text=True)
    assert saved(ChecklistItem, item.id).content == "责任共同体核查内容第1条"


def test_stale_delete_keeps_the_edited_item(client, login_as):
    version = make_version()
    item = first_item(version)
    login_as("province")
    client.post(f"/checklists/items/{item.id}", data=item_form(item, content="刚改过的内容"), headers=at_row(item))
    response = client.post(f"/checklists/items/{item.id}/delete", data={"version": 1}, headers=at_row(item))
    assert response.status_code == 409 and "刚改过的内容" in response.get_data(as_text=True)
    assert saved(ChecklistItem, item.id) is not None


def test_publish_refused_when_the_draft_changed_since_the_page_was_read(client, login_as, world):
    version = make_version()
    item = first_item(version)
    login_as("province")
    service.update_item(item, {"section_id": item.section_id, "code": item.code, "content": "发布前别人改的",
                               "method": "documents", "site_kind_ids": [k.id for k in item.site_kinds]},
                        world.users["province"], 1)
    response = client.post(f"/checklists/versions/{version.id}/publish", data={"version": 1})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "发布前别人改的" in html and 'id="publish-version" value="2"' in html
    assert saved(ChecklistVersion, version.id).status == VersionStatus.DRAFT
    assert client.post(f"/checklists/versions/{version.id}/publish", data={"version": 2}).status_code == 302


def test_own_edits_keep_the_publish_form_current(client, login_as):
    """Each item fragment carries the draft's new version out of band, so publishing after one's own
    edits is not refused."""
    version = make_version()
    item = first_item(version)
    login_as("province")
    html = client.post(f"/checklists/items/{item.id}", data=item_form(item, content="自己改的"),
                       headers=at_row(item)).get_data(as_text=True)
    assert '<input type="hidden" name="version" id="publish-version" value="2" hx-swap-oob="true">' in html
    added = client.post(f"/checklists/versions/{version.id}/items", headers={**HX, "HX-Target": "version-body"},
                        data=item_form(item, code="A09", content="新增条目")).get_data(as_text=True)
    assert 'id="publish-version" value="3" hx-swap-oob="true"' in added


def test_parallel_item_edits_exactly_one_wins(app, world):
    version = make_version()
    item = first_item(version)
    url = f"/checklists/items/{item.id}"
    results = race(app, [(client_for(app, world.users["province"]), url, item_form(item, version=1, content=f"第{n}人的内容"))
                         for n in (1, 2)])
    assert sorted(code for code, _ in results) == [200, 409], [code for code, _ in results]
    row = saved(ChecklistItem, item.id)
    assert row.version == 2 and row.content in ("第1人的内容", "第2人的内容")
    assert db.session.execute(sa.select(ChecklistVersion.version).where(ChecklistVersion.id == version.id)).scalar_one() == 2
