"""Seen 13, 14, 15 (issue 11): evidence files are checked for content — PDFs that run code, Office
files with macros, files with a password to open are refused in Chinese; file names are cleaned for
display and storage; a request over the total limit says so; image decodes are bounded per process."""
import io
import threading

import pytest
import sqlalchemy as sa
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from inspect_app.extensions import db
from inspect_app.media import processing
from inspect_app.media.models import Attachment
from inspect_app.media.processing import (MSG_BUSY, MSG_ENCRYPTED, MSG_MACROS, MSG_PDF_ACTIVE, RejectedUpload,
                                          clean_filename, decode_slot, verify_document)
from inspect_app.rectification.lifecycle import Status
from tests.conftest import HX
from tests.media import images
from tests.media.images import real_file
from tests.rectification.factories import make_item, wjw
from tests.security.hostile_files import pdf_with, real_pdf, rewrite_zip
from tests.visits import factories as f


def _launch(writer):
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})


def _page_js(writer):
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})})


ACTIVE_PDFS = {
    "javascript_names_tree": lambda: pdf_with(lambda w: w.add_open_action(JavaScript("app.alert('x');"))),
    "open_action_launch": lambda: pdf_with(_launch),
    "page_open_javascript": lambda: pdf_with(_page_js),
    # Names may be written with #xx escapes: /J#61vaScript is /JavaScript, /J#53 is /JS.
    "escaped_names_uncompressed": lambda: images.pdf().replace(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >>"),
}


@pytest.mark.parametrize("name", list(ACTIVE_PDFS))
def test_pdf_with_javascript_or_launch_is_refused(name):
    with pytest.raises(RejectedUpload) as refused:
        verify_document(ACTIVE_PDFS[name](), "报告.pdf")
    assert refused.value.message == MSG_PDF_ACTIVE


def test_real_pdfs_pass_and_the_rewrite_alone_changes_nothing():
    assert verify_document(real_pdf(), "报告.pdf") == ("application/pdf", "pdf")
    assert verify_document(pdf_with(lambda w: None), "报告.pdf") == ("application/pdf", "pdf")


@pytest.mark.parametrize("name", ["libreoffice-writer-password.pdf", "crazyones-encrypted-256.pdf", "encrypted.docx"])
def test_files_with_a_password_to_open_are_refused_with_the_right_advice(name):
    with pytest.raises(RejectedUpload) as refused:
        verify_document(real_file(name).read_bytes(), name)
    assert refused.value.message == MSG_ENCRYPTED == "文件设置了打开密码，请取消密码后再上传"
    assert "另存为" not in refused.value.message


MACROS = {
    "docx_with_vba_project": lambda: rewrite_zip(images.docx(), add={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0VBA"}),
    "docm": images.docm,
    "xlsm": lambda: rewrite_zip(images.xlsx(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0VBA"}),
}


@pytest.mark.parametrize("name", list(MACROS))
def test_office_files_with_macros_are_refused(name):
    with pytest.raises(RejectedUpload) as refused:
        verify_document(MACROS[name](), "报告.docx")
    assert refused.value.message == MSG_MACROS


@pytest.mark.parametrize(("given", "kept"), [
    ("\u202egpj.exe", "gpj.exe"),
    ("报告\u202efdp.exe", "报告fdp.exe"),
    ("../../etc/passwd.jpg", "passwd.jpg"),
    ("..\\..\\windows\\system.ini", "system.ini"),
    ("CON.jpg", "_CON.jpg"),
    ("lpt1", "_lpt1"),
    ("a\x00b\x0bc\x1f.pdf", "abc.pdf"),
    ("", "文件"),
    ("整改报告（终稿）.docx", "整改报告（终稿）.docx"),
])
def test_file_names_are_cleaned(given, kept):
    assert clean_filename(given) == kept


def post_progress(client, item, files, headers=HX):
    return client.post(f"/items/{item.id}/actions/post_progress", headers=headers, content_type="multipart/form-data",
                       data={"version": "1", "text": "已整改", "files": files})


def attachments():
    return db.session.execute(sa.select(Attachment).order_by(Attachment.id)).scalars().all()


def test_evidence_is_checked_and_named_cleanly_through_the_page(client, world, login_as, app):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    for data, name in ((real_file("encrypted.docx").read_bytes(), "报告.docx"),
                       (ACTIVE_PDFS["javascript_names_tree"](), "报告.pdf"),
                       (MACROS["docx_with_vba_project"](), "报告.docx")):
        refused = post_progress(client, item, [(io.BytesIO(data), name)])
        assert refused.status_code == 422
        assert attachments() == []
    html = refused.get_data(as_text=True)
    assert "含有宏" in html and "已整改" in html  # the typed text stays
    accepted = post_progress(client, item, [(io.BytesIO(real_pdf()), "\u202efdp.exe"),
                                            (io.BytesIO(images.jpeg()), "../../etc/CON.jpg")])
    assert accepted.status_code == 200
    assert [a.filename for a in attachments()] == ["fdp.exe", "_CON.jpg"]
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "\u202e" not in page and "etc/" not in page


def test_old_names_are_shown_cleaned(client, world, login_as, app):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    assert post_progress(client, item, [(io.BytesIO(real_pdf()), "a.pdf")]).status_code == 200
    row = attachments()[0]
    row.filename = "\u202egpj.exe"  # stored verbatim before names were cleaned
    db.session.commit()
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "\u202e" not in page and "gpj.exe" in page


def test_a_request_over_the_total_limit_says_so(client, world, login_as, app, setup_media):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        files = [(io.BytesIO(images.noisy_jpeg(1200, 900)), f"{n}.jpg") for n in range(8)]
        page = post_progress(client, item, files, headers={})
        assert page.status_code == 413
        text = page.get_data(as_text=True)
        assert "合计超过 1 MB" in text and "单个文件不超过" not in text
        _, finding, _ = setup_media
        login_as("inspector8")
        photo = client.post(f"/media/findings/{finding.id}/photos", content_type="multipart/form-data",
                            data={"uuid": f.new_uuid(), "photo": (io.BytesIO(b"\xff" * (2 * 1024 * 1024)), "a.jpg")})
        assert photo.status_code == 413 and "合计超过 1 MB" in photo.get_json()["error"]
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 105 * 1024 * 1024


@pytest.fixture
def setup_media(app, world):
    version = f.make_version(n_items=4)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    return visit, f.make_finding(visit), f.items_of(version)[0]


@pytest.fixture
def one_slot(app):
    processing.configure_decoding(1, 0.2)
    yield
    processing.configure_decoding(app.config["IMAGE_DECODE_CONCURRENCY"], app.config["IMAGE_DECODE_WAIT_SECONDS"])


def test_image_decodes_wait_for_a_slot_then_get_503(client, login_as, setup_media, one_slot, world):
    """With every slot taken (here by the test itself, as by a slow 60 MP decode), an upload waits,
    then answers 503 with Retry-After and a Chinese message; once the slot is free it succeeds."""
    _, finding, _ = setup_media
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    with decode_slot():
        login_as("inspector8")
        busy = client.post(f"/media/findings/{finding.id}/photos", content_type="multipart/form-data",
                           data={"uuid": f.new_uuid(), "photo": (io.BytesIO(images.jpeg()), "a.jpg")})
        assert busy.status_code == 503 and busy.get_json()["error"] == MSG_BUSY
        assert int(busy.headers["Retry-After"]) >= 1
        login_as("xinye-wjw")
        page = post_progress(client, item, [(io.BytesIO(images.jpeg()), "a.jpg")])
        assert page.status_code == 503 and "Retry-After" in page.headers and MSG_BUSY in page.get_data(as_text=True)
    assert attachments() == []
    login_as("inspector8")
    ok = client.post(f"/media/findings/{finding.id}/photos", content_type="multipart/form-data",
                     data={"uuid": f.new_uuid(), "photo": (io.BytesIO(images.jpeg()), "a.jpg")})
    assert ok.status_code == 200


def test_no_more_than_the_bound_decode_at_once(app):
    """Six threads decode a real 12 MP photo with two slots: at most two are inside at any moment."""
    processing.configure_decoding(2, 60)
    inside, peak, lock = [0], [0], threading.Lock()
    original = processing._decode

    def counting(data, pil_format):
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        try:
            return original(data, pil_format)
        finally:
            with lock:
                inside[0] -= 1
    processing._decode = counting
    try:
        data = images.noisy_jpeg(4000, 3000)
        threads = [threading.Thread(target=processing.process_image, args=(data,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        processing._decode = original
        processing.configure_decoding(app.config["IMAGE_DECODE_CONCURRENCY"], app.config["IMAGE_DECODE_WAIT_SECONDS"])
    assert peak[0] == 2
