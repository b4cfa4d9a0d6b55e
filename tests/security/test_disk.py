"""Seen 11 (issue 11): with the upload store full, every upload path answers 507 with a clear Chinese
message (not 系统错误 / 500), nothing is half-saved, and /healthz answers 503. The store is a real
tmpfs of 512 KB, filled to the last byte, so the writes fail with the kernel's own ENOSPC."""
import io
import os
import subprocess
import tempfile

import pytest
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.media.processing import MSG_DISK_FULL
from inspect_app.rectification.lifecycle import Status
from tests.media import images
from tests.rectification.factories import make_item, wjw
from tests.security.hostile_files import real_pdf
from tests.visits import factories as f


def _fill(folder: str) -> None:
    """Write until the filesystem refuses (ENOSPC)."""
    try:
        with open(os.path.join(folder, "filler"), "wb", buffering=0) as filler:
            while True:
                filler.write(b"\0" * 4096)
    except OSError as error:
        assert error.errno == 28  # ENOSPC


@pytest.fixture
def full_store(app):
    mount_point = tempfile.mkdtemp(prefix="inspect-full-store-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mount_point],
                             capture_output=True, check=False).returncode == 0
    if not mounted:
        os.rmdir(mount_point)
        pytest.skip("needs root to mount a tmpfs (run the suite as root, as the CI does)")
    folder = os.path.join(mount_point, "uploads")
    os.makedirs(folder)
    previous = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = folder
    try:
        _fill(folder)
        yield folder
    finally:
        app.config["UPLOAD_FOLDER"] = previous
        subprocess.run(["umount", mount_point], check=False)
        os.rmdir(mount_point)


def test_healthz_says_the_store_is_full(client, full_store):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["db"] == "ok" and body["uploads"] == "not_writable"


def test_healthz_reports_low_space_before_it_is_full(client, app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    free = client.get("/healthz").get_json()["uploads_free_mb"]
    app.config["UPLOAD_MIN_FREE_MB"] = free + 10_000_000
    try:
        response = client.get("/healthz")
    finally:
        app.config["UPLOAD_MIN_FREE_MB"] = 1
    assert response.status_code == 503 and response.get_json()["uploads"] == "low_space"


def stored(folder):
    return sorted(name for _, _, names in os.walk(folder) for name in names if name != "filler")


def test_visit_photos_answer_507_with_the_message(client, login_as, world, full_store):
    version = f.make_version(n_items=4)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    finding, item = f.make_finding(visit), f.items_of(version)[0]
    login_as("inspector8")
    for url, extra in ((f"/media/findings/{finding.id}/photos", {}),
                       (f"/media/visits/{visit.id}/items/{item.id}/photos", {"answer_uuid": f.new_uuid()})):
        response = client.post(url, content_type="multipart/form-data",
                               data={"uuid": f.new_uuid(), "photo": (io.BytesIO(images.noisy_jpeg()), "a.jpg"),
                                     **extra})
        assert response.status_code == 507 and response.get_json()["error"] == MSG_DISK_FULL
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert stored(full_store) == []


def test_evidence_answers_507_with_the_message_and_keeps_the_text(client, login_as, world, full_store):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    for data, name in ((real_pdf(), "报告.pdf"), (images.noisy_jpeg(), "现场.jpg")):
        response = client.post(f"/items/{item.id}/actions/post_progress", content_type="multipart/form-data",
                               data={"version": "1", "text": "已整改到位", "files": [(io.BytesIO(data), name)]})
        html = response.get_data(as_text=True)
        assert response.status_code == 507 and "服务器存储空间已满" in html and "已整改到位" in html
        assert "系统错误" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert stored(full_store) == []
