"""Issue 9 point 8 in Chromium at 768×1024: errors keep what the user chose — the files of a refused
progress post, the ticks of a refused bulk assignment, the queued photo and its "已选 1 张" count of a
refused new finding — and a refused upload (queued by offline.js) says why and never reads as uploaded. Every step
waits for the request it triggers, never for time."""
import random
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.media.models import Attachment, AttachmentKind
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ProgressPost, RectificationItem
from inspect_app.visits.models import Finding
from tests.browser.support import allow_console_errors, sign_in, unexpected_console_errors
from tests.media import images
from tests.rectification.factories import make_item, wjw
from tests.visits import factories as f

pytestmark = pytest.mark.browser


def chosen(page, selector) -> list[str]:
    """The names of the files a file input holds right now."""
    return page.eval_on_selector(selector, "input => Array.from(input.files).map(f => f.name)")


def posted(url_part: str, method="POST"):
    return lambda r: url_part in r.url and r.request.method == method


def test_progress_without_text_keeps_photo_and_pdf_then_saves_both(live_server, portrait, world, password, tmp_path):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    photo, pdf = tmp_path / "现场.jpg", tmp_path / "方案.pdf"
    photo.write_bytes(images.camera_jpeg())
    pdf.write_bytes(images.pdf())
    page = portrait
    sign_in(page, live_server, "xinye-wjw", password)
    page.goto(f"{live_server}/items/{item.id}")
    with page.expect_response(lambda r: "/actions/post_progress" in r.url):
        page.click("#action-post_progress")
    page.locator("#action-form input[name=files]").set_input_files([str(photo), str(pdf)])

    with page.expect_response(posted("/actions/post_progress")) as refused:
        page.click("#action-form-submit")
    assert refused.value.status == 422
    expect(page.locator("#action-form")).to_contain_text("请填写整改进展")
    expect(page.locator("#files-chosen")).to_contain_text("已选择的文件仍保留：现场.jpg、方案.pdf")
    assert chosen(page, "#action-form input[name=files]") == ["现场.jpg", "方案.pdf"]

    page.locator("#action-form textarea[name=text]").fill("已完成 12 个乡镇卫生院资产划转")
    with page.expect_response(posted("/actions/post_progress")) as saved:
        page.click("#action-form-submit")
    assert saved.value.status == 200
    expect(page.locator("#progress-posts")).to_contain_text("方案.pdf")
    expect(page.locator("#progress-posts")).to_contain_text("照片：现场.jpg")
    db.session.expire_all()
    post = db.session.execute(sa.select(ProgressPost)).scalar_one()
    kinds = db.session.execute(sa.select(Attachment.kind).where(Attachment.progress_id == post.id)
                               .order_by(Attachment.id)).scalars().all()
    assert post.text == "已完成 12 个乡镇卫生院资产划转" and kinds == [AttachmentKind.PHOTO, AttachmentKind.DOCUMENT]
    allow_console_errors(page, "status of 422")
    assert unexpected_console_errors(page) == []


def test_bulk_assign_error_keeps_the_ticks(live_server, portrait, world, password):
    a, b, c = (make_item(world) for _ in range(3))
    page = portrait
    sign_in(page, live_server, "xinye", password)
    page.goto(f"{live_server}/items/")
    box = {i.id: page.locator(f"#item-row-{i.id} input[name=item_ids]") for i in (a, b, c)}
    box[a.id].check()
    box[c.id].check()
    with page.expect_response(posted("/items/assign")) as refused:
        page.click("#bulk-assign-submit")
    assert refused.value.status == 422
    expect(page.locator("#bulk-assign-form")).to_contain_text("请选择责任单位")
    expect(box[a.id]).to_be_checked()
    expect(box[c.id]).to_be_checked()
    expect(box[b.id]).not_to_be_checked()

    page.locator("#bulk-assign-form select[name=unit_id]").select_option(label="新野县卫健委")
    with page.expect_response(posted("/items/assign")) as done:
        page.click("#bulk-assign-submit")
    assert done.value.status == 200
    expect(page.locator(f"#item-row-{a.id}")).to_contain_text("新野县卫健委")
    db.session.expire_all()
    assert [db.session.get(RectificationItem, i.id).unit_id is not None for i in (a, b, c)] == [True, False, True]
    allow_console_errors(page, "status of 422")
    assert unexpected_console_errors(page) == []


def test_refused_new_finding_keeps_its_photo_and_count_and_uploads_it_after_the_fix(
        live_server, portrait, world, password, tmp_path):
    f.make_version(n_items=3)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    photo = tmp_path / "门牌.jpg"
    photo.write_bytes(images.camera_jpeg())
    page = portrait
    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/visits/{visit.id}")
    with page.expect_response(lambda r: "/findings/new" in r.url):
        page.click("#free-findings >> text=＋ 新增问题")
    form = page.locator("#finding-slot-free form[data-finding-form]")
    # Spaces pass the browser's own "required" check; the server strips them and refuses (422).
    form.locator("textarea[name=description]").fill("   ")
    form.locator("input[name=category]").fill("管理共同体")
    form.locator("input[data-pending-photos]").set_input_files(str(photo))
    count = form.locator("[data-pending-count]")
    expect(count).to_contain_text("已选 1 张")

    with page.expect_response(posted(f"/visits/{visit.id}/findings")) as refused:
        form.locator("button[type=submit]").click()
    assert refused.value.status == 422
    expect(form).to_contain_text("请填写问题描述")
    expect(count).to_contain_text("已选 1 张")
    assert chosen(page, "#finding-slot-free input[data-pending-photos]") == ["门牌.jpg"]

    form.locator("textarea[name=description]").fill("绩效考核方案未修订")
    with page.expect_response(lambda r: "/photos" in r.url and r.request.method == "POST") as uploaded:
        form.locator("button[type=submit]").click()
    assert uploaded.value.status == 200
    card = page.locator("#findings-free article.finding")
    expect(card).to_contain_text("绩效考核方案未修订")
    expect(card.locator(".gallery-item")).to_have_count(1)
    db.session.expire_all()
    finding = db.session.execute(sa.select(Finding)).scalar_one()
    assert db.session.execute(sa.select(Attachment.finding_id)).scalar_one() == finding.id
    allow_console_errors(page, "status of 422")
    assert unexpected_console_errors(page) == []


def test_refused_upload_resets_its_progress_bar_and_says_why(live_server, portrait, world, password, tmp_path):
    version = f.make_version(n_items=3)
    item = f.items_of(version)[0]
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    # 2 MB that no browser or server can read as a photo: the upload runs to 100 %, then is refused.
    fake = tmp_path / "坏照片.jpg"
    fake.write_bytes(random.Random(9).randbytes(2_000_000))
    page = portrait
    allow_console_errors(page, "status of 400 (BAD REQUEST)")   # the upload the test has refused
    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/visits/{visit.id}")
    uploader = page.locator(f"#item-photos-{item.id} .uploader")
    with page.expect_response(posted(f"/items/{item.id}/photos")) as refused:
        uploader.locator("input[data-photo-input]").set_input_files(str(fake))
    assert refused.value.status >= 400
    reason = refused.value.json()["error"]
    # Uploads go through the offline queue (offline.js): the chosen photo waits in the gallery as a
    # queued thumbnail; refused, it says why there and in the queue's list, and never reads as uploaded.
    photos = page.locator(f"#item-photos-{item.id}")
    thumb = photos.locator(".gallery-item[data-local-photo]")
    expect(thumb).to_have_class(re.compile(r"\bis-error\b"))
    expect(thumb.locator(".photo-state")).to_have_text(reason)
    expect(page.locator("#sync-queue .sync-record.state-refused .sync-state")).to_have_text("被拒绝：" + reason)
    expect(photos.locator(".gallery-item:not([data-local-photo])")).to_have_count(0)
    expect(photos).not_to_contain_text("已上传")
    assert db.session.execute(sa.select(sa.func.count(Attachment.id))).scalar_one() == 0


def test_checklist_import_error_keeps_the_chosen_workbook_then_imports_it(live_server, portrait, world, password,
                                                                          tmp_path):
    """A boosted (htmx) import: the label was left empty, the chosen file stays, and once the label
    is typed the same file is imported without choosing it again."""
    from inspect_app.checklists import service as checklists
    from inspect_app.checklists.models import ChecklistVersion
    from tests.checklists.factories import make_version
    original = make_version(publish=True)
    book = tmp_path / "核查表2023.xlsx"
    book.write_bytes(checklists.export_xlsx(original))
    page = portrait
    sign_in(page, live_server, "province", password)
    page.goto(f"{live_server}/checklists/import")
    page.locator("select[name=template_id]").select_option(str(original.template_id))
    page.locator("input[name=file]").set_input_files(str(book))
    with page.expect_response(posted("/checklists/import")) as refused:
        page.click("button:has-text('校验并导入')")
    assert refused.value.status == 422
    expect(page.locator("body")).to_contain_text("请填写版本名称")
    expect(page.locator("#checklist-file-chosen")).to_contain_text("已选择的文件仍保留：核查表2023.xlsx")
    assert chosen(page, "input[name=file]") == ["核查表2023.xlsx"]

    page.fill("input[name=label]", "2023版")
    with page.expect_response(posted("/checklists/import")):
        page.click("button:has-text('校验并导入')")
    expect(page).to_have_url(re.compile(r"/checklists/versions/\d+$"))
    expect(page.locator("body")).to_contain_text("已导入新草稿")
    db.session.expire_all()
    assert db.session.execute(sa.select(ChecklistVersion).where(ChecklistVersion.label == "2023版")).scalar_one()
    allow_console_errors(page, "status of 422")
    assert unexpected_console_errors(page) == []
