"""Finding and removing stored files that no row refers to (orphans).

Deleting a draft finding removes its photo files right after the commit (visits.service); files are
left behind only by a crash between writing a file and committing its row, by a removal that kept
a file on doubt, or by the remains of a write that never finished (``.tmp-…``). `flask media sweep`
lists them and, with ``--delete``, removes those older than a grace period.

Safe on any doubt: a file is removed only when its name is one this app gives (``ab/cd/<sha256>.…``)
or the remains of an unfinished write, it is older than the grace period (an upload in flight has
written its file but not yet committed its row), and no attachment row refers to it when asked
again right before the removal. Files of other shapes are reported and never touched.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from inspect_app.extensions import db, utcnow
from inspect_app.media import service
from inspect_app.media.storage import StoredFile

BATCH = 500   # keys per reference query: bounded memory whatever the number of files (10⁷ a year)


@dataclass
class SweepReport:
    """What a sweep found: orphans (stored or temporary files no row refers to), the ones removed,
    and the files of unknown shape left alone."""

    orphans: list[StoredFile] = field(default_factory=list)
    removed: list[StoredFile] = field(default_factory=list)
    unknown: list[StoredFile] = field(default_factory=list)
    checked: int = 0

    @property
    def orphan_bytes(self) -> int:
        return sum(f.size for f in self.orphans)


def _batches(files: Iterator[StoredFile]) -> Iterator[list[StoredFile]]:
    batch: list[StoredFile] = []
    for stored in files:
        batch.append(stored)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def sweep(*, delete: bool = False, grace: timedelta = timedelta(hours=24), now: datetime | None = None
          ) -> SweepReport:
    """Walk the upload folder and report every orphan; with `delete`, remove the orphans changed
    more than `grace` before `now` (UTC), re-checking each against the database just before.

    Raises whatever the database raises: a sweep that cannot ask the database removes nothing more.
    """
    now = now or utcnow()
    files = service.storage()
    report = SweepReport()
    for batch in _batches(files.walk()):
        report.checked += len(batch)
        report.unknown += [f for f in batch if f.kind == "unknown"]
        stored = [f for f in batch if f.kind == "stored"]
        referenced = service.referenced_keys([f.key for f in stored]) if stored else set()
        orphans = [f for f in batch if f.kind == "temporary" or (f.kind == "stored" and f.key not in referenced)]
        report.orphans += orphans
        for orphan in orphans if delete else ():
            if now - orphan.modified <= grace:
                continue
            if orphan.kind == "temporary":
                files.remove_temporary(orphan.key)
            elif service.discard_files([orphan.key]) != [orphan.key]:
                continue  # referenced again since the batch was checked, or in doubt: kept
            report.removed.append(orphan)
        db.session.rollback()  # end the read transaction: the next batch sees new rows
    return report

