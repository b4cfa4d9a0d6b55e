"""Content-addressed storage of derived photos and evidence documents.

:class:`Storage` is the whole interface the app relies on; :class:`FileStorage`
implements it on a local directory, and an S3-compatible backend can implement
it later without the callers changing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from .processing import MSG_DISK_FULL, ProcessedImage, RejectedUpload

# A full disk or an exhausted quota: the user is told plainly (507), not 系统错误 (issue 11, seen 11).
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

# Each path component starts with a letter, digit, '_' or '-': that excludes
# '.', '..', hidden names and our own '.tmp-' files; '/' separates components.
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
_SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
_EXT_PATTERN = re.compile(r"[a-z0-9]{1,10}")
# The names this module gives files: ab/cd/<sha256>.display.jpg, .thumb.jpg or .<document ext>.
_STORED_NAME = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})\.(display\.jpg|thumb\.jpg|[a-z0-9]{1,10})")


class InvalidKey(ValueError):
    """A storage key that is malformed or would escape the storage root."""


@dataclass(frozen=True)
class StoredFile:
    """One file found in storage: its key (a relative path), size and last change (UTC).

    `kind` is "stored" for a name this module gives (see :func:`is_stored_name`), "temporary" for
    the remains of a write that never finished (``.tmp-…``), and "unknown" for anything else."""

    key: str
    size: int
    modified: datetime
    kind: str


@runtime_checkable
class Storage(Protocol):
    """Blob storage addressed by relative keys such as ``ab/cd/<sha256>.display.jpg``.

    Keys name content (they contain its hash), so writing an existing key is a
    no-op.  ``get`` and ``open`` raise ``FileNotFoundError`` for a missing key.
    """

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically; do nothing if the key exists."""
        ...

    def put_file(self, key: str, source: str) -> None:
        """Store the file at path ``source`` under ``key`` (streamed, not read whole into memory)."""
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes stored under ``key``."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Return a readable binary file object for ``key``; the caller closes it."""
        ...

    def exists(self, key: str) -> bool:
        """Tell whether ``key`` is stored."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        ...


class FileStorage:
    """:class:`Storage` on a local directory, with atomic writes."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        """Use ``root`` (created if missing) as the directory that holds every key."""
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """Return the filesystem path of ``key`` (for ``send_file``); it may not exist.

        Raises :class:`InvalidKey` for a malformed key or one that escapes the root.
        """
        if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
            raise InvalidKey(f"invalid storage key: {key!r}")
        path = (self.root / key).resolve()
        # The pattern already forbids '..'; this also catches a symlink pointing out.
        if not path.is_relative_to(self.root):
            raise InvalidKey(f"storage key escapes the root: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` atomically; do nothing if the key exists.

        The bytes go to a temporary file in the target directory, are fsynced
        and then renamed into place, so a reader sees either nothing or the
        whole file.  On any error the temporary file is removed.  A full disk or quota
        (ENOSPC, EDQUOT) raises :class:`RejectedUpload` with status 507 and a Chinese message.
        """
        target = self.path(key)
        if target.is_file():
            return
        try:
            self._write(target, data)
        except OSError as error:
            if error.errno in _FULL_ERRNOS:
                raise RejectedUpload(MSG_DISK_FULL, status=507) from error
            raise

    def _write(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, target)
        except BaseException:
            try:
                os.unlink(temp_name)
            except FileNotFoundError:
                pass
            raise
        _fsync_directory(target.parent)

    def put_file(self, key: str, source: str | os.PathLike[str]) -> None:
        """Store the file at ``source`` under ``key`` without reading it into memory (a large
        export); same atomic write and full-disk answer as :meth:`put`. ``source`` is left alone."""
        target = self.path(key)
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle, open(source, "rb") as src:
                shutil.copyfileobj(src, handle, 1024 * 1024)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, target)
        except BaseException as error:
            try:
                os.unlink(temp_name)
            except FileNotFoundError:
                pass
            if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
                raise RejectedUpload(MSG_DISK_FULL, status=507) from error
            raise
        _fsync_directory(target.parent)

    def get(self, key: str) -> bytes:
        """Return the bytes stored under ``key``; ``FileNotFoundError`` if missing."""
        return self.path(key).read_bytes()

    def open(self, key: str) -> BinaryIO:
        """Open ``key`` for binary reading; the caller closes the file."""
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        """Tell whether ``key`` is stored."""
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is fine."""
        self.path(key).unlink(missing_ok=True)

    def walk(self) -> Iterator[StoredFile]:
        """Every regular file under the root, in key order (for the orphan sweep)."""
        for directory, subdirs, names in os.walk(self.root):
            subdirs.sort()
            for name in sorted(names):
                path = Path(directory, name)
                try:
                    info = path.lstat()
                except FileNotFoundError:
                    continue
                if not path.is_file() or path.is_symlink():
                    continue
                key = path.relative_to(self.root).as_posix()
                kind = "stored" if is_stored_name(key) else "temporary" if name.startswith(".tmp-") else "unknown"
                yield StoredFile(key, info.st_size, datetime.fromtimestamp(info.st_mtime, timezone.utc), kind)

    def remove_temporary(self, key: str) -> None:
        """Remove the remains of an unfinished write (a ``.tmp-…`` file the walk reported)."""
        path = (self.root / key).resolve()
        if not path.name.startswith(".tmp-") or not path.is_relative_to(self.root):
            raise InvalidKey(f"not a temporary file: {key!r}")
        path.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable across a power cut; not every platform
    # lets a directory be opened, and losing this is no reason to fail an upload.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fan_out(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256_PATTERN.fullmatch(sha256):
        raise InvalidKey(f"not a lowercase hex sha256: {sha256!r}")
    return f"{sha256[0:2]}/{sha256[2:4]}/{sha256}"


def is_stored_name(key: str) -> bool:
    """Whether `key` is a name this module gives a photo or document file (``ab/cd/abcd….ext``)."""
    return _STORED_NAME.fullmatch(key) is not None


def sha256_of_key(key: str) -> str | None:
    """The content hash a stored name carries (``ab/cd/<sha256>.…``), or None for another name."""
    match = _STORED_NAME.fullmatch(key)
    return match.group(3) if match else None


def image_keys(sha256: str) -> dict[str, str]:
    """Return the storage keys ``{"display": ..., "thumb": ..., "original": ...}`` of a photo.

    Keys fan out over two directory levels by hash prefix, e.g.
    ``ab/cd/abcd….display.jpg``, so no directory grows huge. The original's
    content hashes to the name it is stored under (``ab/cd/<sha256>.original``).
    """
    base = _fan_out(sha256)
    return {"display": f"{base}.display.jpg", "thumb": f"{base}.thumb.jpg", "original": f"{base}.original"}


def document_key(sha256: str, ext: str) -> str:
    """Return the storage key of an evidence document, e.g. ``ab/cd/abcd….pdf``.

    ``ext`` is given without a dot, as returned by ``verify_document``.
    """
    if not isinstance(ext, str) or not _EXT_PATTERN.fullmatch(ext):
        raise InvalidKey(f"invalid document extension: {ext!r}")
    return f"{_fan_out(sha256)}.{ext}"


def store_processed(storage: Storage, processed: ProcessedImage, original: bytes | None = None) -> dict[str, str]:
    """Store a photo's display image and thumbnail, and ``original`` (the bytes as received, whose
    sha256 is ``processed.sha256``) when given; return their keys (see :func:`image_keys`).

    The original is kept so the recorded hash can be checked again (issue 11, seen 16); it carries
    EXIF metadata including the GPS position and device details, so no route ever serves it — only
    the derived copies, which carry no metadata, are shown.  If a write fails, whatever this call
    wrote is removed again, so a photo is never left half stored; files that already existed (the
    same photo uploaded before) are left alone.
    """
    keys = image_keys(processed.sha256)
    files = [("display", processed.display), ("thumb", processed.thumb)]
    if original is not None:
        if hashlib.sha256(original).hexdigest() != processed.sha256:
            raise ValueError("the original's bytes do not match the processed photo's sha256")
        files.append(("original", original))
    created: list[str] = []
    try:
        for name, data in files:
            key = keys[name]
            if storage.exists(key):
                continue
            storage.put(key, data)
            created.append(key)
    except BaseException:
        for key in created:
            try:
                storage.delete(key)
            except Exception:
                # Keep the original error; a leftover file is harmless because
                # keys are content-addressed and a retry will reuse it.
                pass
        raise
    return {name: keys[name] for name, _ in files}
