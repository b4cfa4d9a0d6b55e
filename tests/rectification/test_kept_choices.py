"""Errors keep what the user chose (issue 9 point 8): the files of a refused progress post, the
ticks of a refused bulk assignment or acceptance, the typed text — in the htmx swap and, where a
browser cannot keep a chosen file, by naming the files to choose again after a full-page error."""
import io
import re

import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ProgressPost, RectificationItem
from tests.conftest import HX
from tests.media import images
from tests.rectification.factories import make_item, wjw


def evidence():
    return [(io.BytesIO(images.camera_jpeg()), "现场.jpg"), (io.BytesIO(images.pdf()), "方案.pdf")]


def saved_posts() -> int:
    return db.session.execute(sa.select(sa.func.count(ProgressPost.id))).scalar_one()


def ticked_ids(html: str, name: str = "item_ids") -> set[int]:
    """The ids of the checkboxes rendered checked."""
    return {int(m.group(1)) for m in re.finditer(rf'<input type="checkbox" name="{name}" value="(\d+)"[^>]*\schecked', html)}


def test_progress_without_text_keeps_both_files_chosen_in_the_htmx_swap(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    res = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                      data={"version": str(item.version), "text": "", "files": evidence()})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "请填写整改进展" in html
    # The file input comes back with the same id and hx-preserve: htmx keeps the chosen one in place.
    tag = re.search(r'<input[^>]*name="files"[^>]*>', html).group(0)
    assert 'id="files"' in tag and 'hx-preserve' in tag
    assert "已选择的文件仍保留：现场.jpg、方案.pdf" in html
    assert saved_posts() == 0 and db.session.execute(sa.select(sa.func.count(Attachment.id))).scalar_one() == 0
    # Adding the text saves the post with both files.
    ok = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                     data={"version": str(item.version), "text": "已完成资产划转", "files": evidence()})
    assert ok.status_code == 200 and saved_posts() == 1
    assert db.session.execute(sa.select(sa.func.count(Attachment.id))).scalar_one() == 2


def test_progress_full_page_error_names_the_files_to_choose_again_and_keeps_the_text(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    files = evidence() + [(io.BytesIO(images.docm()), "坏.docm")]
    res = client.post(f"/items/{item.id}/actions/post_progress", content_type="multipart/form-data",
                      data={"version": str(item.version), "text": "进展文字不能丢", "files": files})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "<html" in html
    assert "进展文字不能丢" in html and "坏.docm" in html
    assert "请重新选择：现场.jpg、方案.pdf、坏.docm" in html
    assert saved_posts() == 0


def test_a_form_drawn_without_a_post_names_no_files(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    html = client.get(f"/items/{item.id}/actions/post_progress", headers=HX).get_data(as_text=True)
    assert 'id="files-chosen"' in html and "请重新选择" not in html and "仍保留" not in html


def test_bulk_assign_without_a_unit_keeps_the_ticks_and_the_person(client, world, login_as):
    a, b, c = (make_item(world) for _ in range(3))
    login_as("xinye")
    res = client.post("/items/assign", headers=HX, data={"item_ids": [a.id, c.id], "unit_id": "0", "person": "张主任"})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "请选择责任单位" in html and 'value="张主任"' in html
    assert ticked_ids(html) == {a.id, c.id}
    # The full page (no JavaScript) keeps them as well.
    page = client.post("/items/assign", data={"item_ids": [b.id], "unit_id": "0", "person": ""}).get_data(as_text=True)
    assert "<html" in page and ticked_ids(page) == {b.id}
    assert all(db.session.get(RectificationItem, i.id).unit_id is None for i in (a, b, c))


def test_bulk_assign_that_succeeds_clears_the_ticks(client, world, login_as):
    a, b = make_item(world), make_item(world)
    login_as("xinye")
    res = client.post("/items/assign", headers=HX, data={"item_ids": [a.id, b.id], "unit_id": str(wjw(world).id),
                                                         f"version-{a.id}": a.version, f"version-{b.id}": b.version})
    assert res.status_code == 200 and ticked_ids(res.get_data(as_text=True)) == set()


def test_bulk_accept_without_an_opinion_keeps_the_ticks(client, world, login_as):
    a, b = (make_item(world, status=Status.SUBMITTED, unit=wjw(world)) for _ in range(2))
    login_as("leader8")
    res = client.post("/items/review/accept", headers=HX, data={"item_ids": [b.id], "opinion": ""})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "请填写验收意见" in html and ticked_ids(html) == {b.id}
    assert db.session.get(RectificationItem, b.id).status is Status.SUBMITTED
