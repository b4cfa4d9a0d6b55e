"""How fast `flask media sweep` walks the upload folder and asks the database (figures, never pass/fail).

Run:  python bench/media_sweep.py [--photos 10000] [--orphans 1000]

Builds a temporary SQLite database (or BENCH_DATABASE_URL, e.g. a PostgreSQL database of your own
that may be emptied) with `--photos` photo rows and their two files each, plus `--orphans` orphan
files three days old, then times a dry run and a deleting run and prints files per second. At
10⁵ photos a province-year (docs: domain.md §7) the dry run's time scales linearly from these.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402

from config import TestConfig, _normalise_url  # noqa: E402
from inspect_app import create_app  # noqa: E402
from inspect_app.extensions import db  # noqa: E402


def _write(root: str, key: str, age_seconds: float = 0) -> None:
    path = os.path.join(root, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(b"x")
    if age_seconds:
        then = time.time() - age_seconds
        os.utime(path, (then, then))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=10000)
    parser.add_argument("--orphans", type=int, default=1000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="media-sweep-")

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = _normalise_url(os.environ.get("BENCH_DATABASE_URL", "")) or \
            "sqlite:///" + os.path.join(tmp, "bench.sqlite")
        UPLOAD_FOLDER = os.path.join(tmp, "uploads")

    from inspect_app.media.models import Attachment, AttachmentKind
    from inspect_app.media.storage import image_keys
    from inspect_app.media.sweep import sweep
    from tests.factories import make_world
    from tests.visits import factories as f

    app = create_app(BenchConfig)
    with app.app_context():
        db.drop_all()
        db.create_all()
        world = make_world()
        f.make_version(n_items=2)
        finding = f.make_finding(f.make_visit(f.office_site(world.xinye), world.users["inspector8"]))
        rows = []
        for n in range(args.photos):
            sha = hashlib.sha256(f"photo {n}".encode()).hexdigest()
            keys = image_keys(sha)
            _write(BenchConfig.UPLOAD_FOLDER, keys["display"])
            _write(BenchConfig.UPLOAD_FOLDER, keys["thumb"])
            rows.append({"uuid": f.new_uuid(), "kind": AttachmentKind.PHOTO, "county_id": finding.county_id,
                         "finding_id": finding.id, "sha256": sha, "mime": "image/jpeg", "filename": "",
                         "size_bytes": 1, "display_key": keys["display"], "thumb_key": keys["thumb"],
                         "file_key": "", "uploaded_by_id": finding.created_by_id})
        db.session.execute(sa.insert(Attachment), rows)
        db.session.commit()
        for n in range(args.orphans):
            _write(BenchConfig.UPLOAD_FOLDER, image_keys(hashlib.sha256(f"orphan {n}".encode()).hexdigest())["display"],
                   age_seconds=3 * 24 * 3600)
        total = 2 * args.photos + args.orphans
        print(f"database: {db.engine.dialect.name}; {args.photos} photo rows, {total} files, {args.orphans} orphans")
        for delete in (False, True):
            start = time.perf_counter()
            report = sweep(delete=delete, grace=timedelta(hours=24))
            took = time.perf_counter() - start
            label = "delete " if delete else "dry run"
            print(f"{label}: {report.checked} files in {took:.2f} s ({report.checked / took:,.0f} files/s), "
                  f"{len(report.orphans)} orphans, {len(report.removed)} removed")
        db.session.remove()
        db.drop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
