"""Seen 16 (issue 11): `flask backup DIR` → `flask restore DIR` into an empty database and upload
store → `flask backup verify DIR` proves the database and every file byte-identical and each photo
original matches its recorded SHA-256 — on the suite's database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set: the restore goes to a second database, `<name>_restore`)."""
import io
import os
import shutil

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from inspect_app import create_app
from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.rectification.lifecycle import Status
from tests.conftest import Config
from tests.media import images
from tests.rectification.factories import make_item, wjw
from tests.security.hostile_files import real_pdf
from tests.visits import factories as f


def _restore_url(tmp_path) -> str:
    """An empty database of the suite's kind for the restore."""
    url = make_url(Config.SQLALCHEMY_DATABASE_URI)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite'}"
    name = f"{url.database}_restore"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


class Runner:
    """The CLI of a second app: its commands run in its own app context (with_appcontext would
    otherwise use the suite's app, whose context is already pushed)."""

    def __init__(self, app):
        self.app = app

    def invoke(self, args):
        with self.app.app_context():
            return self.app.test_cli_runner().invoke(args=args)


@pytest.fixture
def content(client, login_as, world, app):
    """A finding photo, and a progress post with a photo and a PDF: three stored photos' worth."""
    shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)
    f.make_version(n_items=4)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    finding = f.make_finding(visit)
    login_as("inspector8")
    assert client.post(f"/media/findings/{finding.id}/photos", content_type="multipart/form-data",
                       data={"uuid": f.new_uuid(), "photo": (io.BytesIO(images.camera_jpeg()), "a.jpg")}
                       ).status_code == 200
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    assert client.post(f"/items/{item.id}/actions/post_progress", content_type="multipart/form-data",
                       data={"version": "1", "text": "已整改",
                             "files": [(io.BytesIO(images.noisy_jpeg()), "现场.jpg"),
                                       (io.BytesIO(real_pdf()), "报告.pdf")]}).status_code in (200, 302)


def test_backup_restore_verify_round_trip(app, content, tmp_path):
    target = tmp_path / "backup"
    made = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert (target / "manifest.json").is_file() and len(list((target / "uploads").rglob("*.original"))) == 2

    class Restored(Config):
        SQLALCHEMY_DATABASE_URI = _restore_url(tmp_path)
        UPLOAD_FOLDER = str(tmp_path / "restored-uploads")

    restored = create_app(Restored)
    runner = Runner(restored)
    result = runner.invoke(args=["restore", str(target)])
    assert result.exit_code == 0, result.output
    checked = runner.invoke(args=["backup", "verify", str(target)])
    assert checked.exit_code == 0, checked.output
    assert "照片原始文件 2 个与登记的 SHA-256 一致" in checked.output and "一致" in checked.output.splitlines()[-1]

    # A second restore onto the now non-empty database is refused without --force, then allowed.
    again = runner.invoke(args=["restore", str(target)])
    assert again.exit_code != 0 and "--force" in again.output
    assert runner.invoke(args=["restore", "--force", str(target)]).exit_code == 0

    # Verify notices a changed file, a changed row and an original that no longer matches its hash.
    with restored.app_context():
        photo = db.session.execute(sa.select(Attachment).where(Attachment.original_key != "")).scalars().first()
        original = os.path.join(Restored.UPLOAD_FOLDER, photo.original_key)
        with open(original, "ab") as handle:
            handle.write(b"tampered")
        photo.filename = "改过.jpg"
        photo_id = photo.id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    broken = runner.invoke(args=["backup", "verify", str(target)])
    assert broken.exit_code == 1
    assert "文件内容与备份不同" in broken.output and "表 attachments 与备份不一致" in broken.output
    assert f"照片 {photo_id} 的原始文件与登记的 SHA-256 不符" in broken.output


def test_a_damaged_backup_is_refused(app, content, tmp_path):
    target = tmp_path / "backup"
    assert app.test_cli_runner().invoke(args=["backup", str(target)]).exit_code == 0
    one = next(path for path in (target / "uploads").rglob("*") if path.is_file())
    one.write_bytes(b"bit rot")

    class Restored(Config):
        SQLALCHEMY_DATABASE_URI = _restore_url(tmp_path)
        UPLOAD_FOLDER = str(tmp_path / "restored-uploads")

    result = Runner(create_app(Restored)).invoke(args=["restore", str(target)])
    assert result.exit_code != 0 and "已损坏" in result.output
    again = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert again.exit_code != 0 and "不是空目录" in again.output


def test_pg_dump_older_than_the_server_is_named():
    """The installed pg_dump is asked for its version; a server of a later major version is refused
    with the package to install (a pg_dump older than the server cannot dump it)."""
    from inspect_app.backup.service import pg_tool
    from inspect_app.errors import DomainError
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    with pytest.raises(DomainError) as refused:
        pg_tool("pg_dump", 990000)
    assert "低于数据库服务器的主版本 99" in refused.value.message and "postgresql-client-99" in refused.value.message
    assert pg_tool("pg_dump", 90000).endswith("pg_dump")
