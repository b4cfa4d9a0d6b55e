"""Writing, restoring and verifying a backup directory.

A backup directory holds:

- ``manifest.json``: when, which database kind and schema revision, a digest and row count of every
  table (taken inside the same snapshot the dump reads), and the SHA-256 and size of every file;
- ``database.sqlite`` (SQLite's online backup API: a consistent copy while the app runs) or
  ``database.dump`` (``pg_dump --format=custom`` reading an exported snapshot, so the table digests
  and the dump describe the same instant);
- ``uploads/``: the upload store's files under their keys (content-addressed, never rewritten, so
  copying them after the database snapshot gives every file a committed row refers to).

Restoring refuses a database that already holds tables unless ``force``; verifying compares the live
database and upload store with the manifest and re-checks every photo original against its row's
SHA-256. Errors carry Chinese messages (:class:`inspect_app.errors.DomainError`) for the CLI to print.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.media.storage import FileStorage

MANIFEST = "manifest.json"
FORMAT = 1
_CHUNK = 1024 * 1024


@dataclass
class Verification:
    """What `verify` found: counts, and every problem in words (empty when all is well)."""

    tables: int = 0
    files: int = 0
    originals_checked: int = 0
    photos_without_original: int = 0
    problems: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _kind() -> str:
    return db.engine.dialect.name  # "sqlite" or "postgresql"


def _sqlite_path() -> Path:
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise DomainError("内存中的 SQLite 数据库无法备份")
    return Path(path)


def _pg_dsn() -> str:
    """The libpq connection string of the app's database (for pg_dump / pg_restore)."""
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _table_digests(connection) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": hex}} over every mapped table, rows in primary-key order and
    values as text, so the same rows give the same digest after a restore to the same kind of database."""
    result = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        digest, rows = hashlib.sha256(), 0
        for row in connection.execute(sa.select(table).order_by(*order)):
            digest.update(repr(tuple("" if value is None else str(value) for value in row)).encode())
            digest.update(b"\n")
            rows += 1
        result[table.name] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def _revision(connection) -> str | None:
    """The Alembic revision, or None for a database made without migrations (the test suite's)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _major(text: str) -> int | None:
    match = re.search(r"(\d+)(?:\.\d+)?", text)
    return int(match.group(1)) if match else None


def pg_tool(name: str, server_version_num: int) -> str:
    """The path of ``pg_dump`` / ``pg_restore``, checked to be at least the server's major version
    (an older pg_dump refuses a newer server; a newer one reads older servers). DomainError otherwise."""
    path = shutil.which(name)
    server_major = server_version_num // 10000
    if path is None:
        raise DomainError(f"未找到 {name}：请安装 PostgreSQL {server_major} 的客户端工具（postgresql-client-{server_major}）")
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    major = _major(output.rsplit(")", 1)[-1]) or _major(output)
    if major is None or major < server_major:
        raise DomainError(f"{name} 版本（{output.strip()}）低于数据库服务器的主版本 {server_major}，"
                          f"请安装 postgresql-client-{server_major}")
    return path


def create_backup(target: str | os.PathLike) -> dict:
    """Write a snapshot of the database and the upload store into the empty directory ``target``;
    returns the manifest. DomainError when ``target`` is not empty or a tool is missing."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise DomainError(f"备份目录 {target} 不是空目录，请指定一个新目录")
    target.mkdir(parents=True, exist_ok=True)
    manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "database": {"kind": _kind()}}
    if _kind() == "sqlite":
        dump = target / "database.sqlite"
        source = sqlite3.connect(_sqlite_path())
        destination = sqlite3.connect(dump)
        try:
            source.backup(destination)  # SQLite's online backup: one consistent copy
        finally:
            destination.close()
            source.close()
        engine = sa.create_engine(f"sqlite:///{dump}")
        try:
            with engine.connect() as connection:
                manifest["database"] |= {"revision": _revision(connection), "tables": _table_digests(connection)}
        finally:
            engine.dispose()
    else:
        dump = target / "database.dump"
        with db.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                tool = pg_tool("pg_dump", int(connection.execute(sa.text("SHOW server_version_num")).scalar()))
                snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
                manifest["database"] |= {"revision": _revision(connection), "tables": _table_digests(connection)}
                done = subprocess.run([tool, "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                                       f"--file={dump}", f"--dbname={_pg_dsn()}"],
                                      capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise DomainError(f"pg_dump 失败：{done.stderr.strip()}")
    manifest["database"] |= {"file": dump.name, "sha256": sha256_file(dump), "size": dump.stat().st_size}
    manifest["files"] = _copy_store(FileStorage(current_app.config["UPLOAD_FOLDER"]).root, target / "uploads")
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
    return manifest


def _copy_store(source: Path, destination: Path) -> dict[str, dict]:
    """Copy every finished file of the upload store; {key: {"sha256", "size"}} of the copies."""
    files = {}
    for stored in FileStorage(source).walk():
        if stored.kind == "temporary":
            continue
        copy = destination / stored.key
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(source / stored.key, copy)
        except FileNotFoundError:  # removed since the walk saw it (a deleted draft): nothing refers to it
            continue
        files[stored.key] = {"sha256": sha256_file(copy), "size": copy.stat().st_size}
    return files


def read_manifest(source: str | os.PathLike) -> dict:
    """The manifest of a backup directory, after checking the backup's own files against it."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise DomainError(f"{source} 不是有效的备份目录（无法读取 {MANIFEST}）") from error
    dump = source / manifest["database"]["file"]
    if not dump.is_file() or sha256_file(dump) != manifest["database"]["sha256"]:
        raise DomainError(f"备份中的数据库文件 {dump.name} 缺失或已损坏（SHA-256 不符）")
    for key, expected in manifest["files"].items():
        copy = source / "uploads" / key
        if not copy.is_file() or sha256_file(copy) != expected["sha256"]:
            raise DomainError(f"备份中的文件 {key} 缺失或已损坏（SHA-256 不符）")
    return manifest


def _database_has_tables() -> bool:
    return bool(sa.inspect(db.engine).get_table_names())


def restore_backup(source: str | os.PathLike, *, force: bool = False) -> dict:
    """Bring the database and the upload store back from ``source``; returns its manifest.

    Refuses (DomainError) when the backup is damaged, is of another database kind, or the database
    already holds tables and ``force`` is not given (with ``force`` they are replaced). Files are
    copied into the upload store; files already there with the same key are content-addressed and
    left alone only when byte-identical, otherwise replaced."""
    source = Path(source)
    manifest = read_manifest(source)
    kind = manifest["database"]["kind"]
    if kind != _kind():
        raise DomainError(f"备份来自 {kind} 数据库，当前数据库是 {_kind()}，不能直接恢复")
    if _database_has_tables() and not force:
        raise DomainError("目标数据库不是空的；确认要覆盖时加 --force")
    dump = source / manifest["database"]["file"]
    db.session.remove()
    db.engine.dispose()
    if kind == "sqlite":
        backup = sqlite3.connect(dump)
        live = sqlite3.connect(_sqlite_path())
        try:
            backup.backup(live)  # replaces every page of the live file, in one step
        finally:
            live.close()
            backup.close()
    else:
        with db.engine.connect() as connection:
            tool = pg_tool("pg_restore", int(connection.execute(sa.text("SHOW server_version_num")).scalar()))
            if force:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
                connection.commit()
        done = subprocess.run([tool, "--no-owner", "--exit-on-error", "--single-transaction",
                               f"--dbname={_pg_dsn()}", str(dump)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise DomainError(f"pg_restore 失败：{done.stderr.strip()}")
    db.engine.dispose()
    store = FileStorage(current_app.config["UPLOAD_FOLDER"]).root
    for key, expected in manifest["files"].items():
        live = store / key
        if live.is_file() and sha256_file(live) == expected["sha256"]:
            continue
        live.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "uploads" / key, live)
    return manifest


def verify_backup(source: str | os.PathLike) -> Verification:
    """Compare the live database and upload store with the backup in ``source``: every table's row
    count and digest, every file's SHA-256, and every photo original against its row's SHA-256."""
    manifest = read_manifest(source)
    result = Verification()
    with db.engine.connect() as connection:
        live = _table_digests(connection)
        revision = _revision(connection)
    if revision != manifest["database"].get("revision"):
        result.problems.append(f"数据库结构版本不同：备份 {manifest['database'].get('revision')}，当前 {revision}")
    for table, expected in manifest["database"]["tables"].items():
        result.tables += 1
        found = live.get(table)
        if found != expected:
            rows = found["rows"] if found else "无此表"
            result.problems.append(f"表 {table} 与备份不一致（备份 {expected['rows']} 行，当前 {rows} 行）")
    store = FileStorage(current_app.config["UPLOAD_FOLDER"]).root
    for key, expected in manifest["files"].items():
        result.files += 1
        path = store / key
        if not path.is_file():
            result.problems.append(f"文件缺失：{key}")
        elif sha256_file(path) != expected["sha256"]:
            result.problems.append(f"文件内容与备份不同：{key}")
    _check_originals(store, result)
    return result


def _check_originals(store: Path, result: Verification) -> None:
    """Each photo's original must hash to the SHA-256 recorded on its row at upload."""
    from inspect_app.media.models import Attachment, AttachmentKind

    rows = db.session.execute(sa.select(Attachment.id, Attachment.sha256, Attachment.original_key)
                              .where(Attachment.kind == AttachmentKind.PHOTO)).all()
    for attachment_id, sha256, original_key in rows:
        if not original_key:
            result.photos_without_original += 1
            continue
        path = store / original_key
        if not path.is_file():
            result.problems.append(f"照片 {attachment_id} 的原始文件缺失：{original_key}")
        elif sha256_file(path) != sha256:
            result.problems.append(f"照片 {attachment_id} 的原始文件与登记的 SHA-256 不符：{original_key}")
        else:
            result.originals_checked += 1
