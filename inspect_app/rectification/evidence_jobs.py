"""The 整改材料包 (evidence package ZIP) as a background job when it is large.

Same pattern as the ledger (rectification/ledger.py): a package of at most `EVIDENCE_INLINE_MAX_FILES`
files and `EVIDENCE_INLINE_MAX_BYTES` stored bytes is written while the user waits; a larger one is
offered as a job of kind "evidence" (jobs/), which reports files written of the total and whose ZIP
only its owner downloads, within the scope it was made in (jobs.service.load_for). The job's
parameters are the county and list filters, or the one item; the runner reads the items again in the
owner's scope, so a job never packs what its owner could not download at once.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

from flask import current_app
from werkzeug.exceptions import HTTPException

from inspect_app.access import Permission
from inspect_app.auth.models import User
from inspect_app.documents.download_names import DownloadName
from inspect_app.documents.evidence_package import PackageItem
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.jobs import service as jobs_service
from inspect_app.rectification import date_rules, service
from inspect_app.rectification.ledger import filters_from_params


def size(package_items: list[PackageItem]) -> tuple[int, int]:
    """(files, stored bytes) of a package."""
    files = [f for item in package_items for f in item.files]
    return len(files), sum(f.size for f in files)


def is_large(package_items: list[PackageItem]) -> bool:
    """Whether the package goes to a background job: more files than EVIDENCE_INLINE_MAX_FILES (200)
    or more stored bytes than EVIDENCE_INLINE_MAX_BYTES (100 MB)."""
    files, total = size(package_items)
    return (files > current_app.config["EVIDENCE_INLINE_MAX_FILES"]
            or total > current_app.config["EVIDENCE_INLINE_MAX_BYTES"])


def county_params(county_id: int, filters: service.Filters) -> dict:
    """A county package job's parameters: the list filters and the county."""
    return {**filters.args(), "county_id": county_id}


def item_params(item_id: int) -> dict:
    """An item package job's parameters."""
    return {"item_id": item_id}


def _package(owner, params: dict):
    """(package items, title, download name, now) for the job's owner, read again in their scope;
    DomainError when the county or item is no longer theirs to see."""
    now = utcnow()
    try:
        if "item_id" in params:
            item = service.load_item(int(params["item_id"]), owner)
            return (service.evidence_package_items(owner, [item]), f"{item.number}整改材料",
                    service.item_package_name(item, date_rules.today(now)), now)
        filters = filters_from_params({k: v for k, v in params.items() if k != "county_id"})
        region, items = service.county_package_items(owner, int(params["county_id"]), filters)
        return items, f"{region.name}整改材料", service.county_package_name(region, filters, date_rules.today(now)), now
    except (HTTPException, DomainError) as exc:     # the access layer's 404 or the service's refusal
        raise DomainError("无权查看该县(市)或问题，或其已不存在", status=403) from exc


def _counted(package_items: list[PackageItem], on_file: Callable[[], None]) -> list[PackageItem]:
    """The package with each file's `open` also counting the file (the writer opens each once)."""
    def wrap(opener):
        def counted():
            on_file()
            return opener()
        return counted
    return [dataclasses.replace(item, files=[dataclasses.replace(f, open=wrap(f.open)) for f in item.files])
            for item in package_items]


def run_job(job, report: Callable[[int, int], None]) -> tuple[str, DownloadName]:
    """The evidence job's runner (jobs.service.KINDS['evidence']): the ZIP written to a temporary
    file, reporting files done of the total as each is added. Returns (temporary file, download name)."""
    owner = db.session.get(User, job.owner_id)
    package_items, title, name, now = _package(owner, job.params or {})
    total, _bytes = size(package_items)
    done = 0
    report(0, total)

    def on_file() -> None:
        nonlocal done
        if done:
            report(done, total)
        done += 1

    path = jobs_service.temp_path(".zip")
    try:
        with open(path, "wb") as out:
            service.write_package(out, _counted(package_items, on_file), title, now)
    except BaseException:
        os.unlink(path)
        raise
    report(total, total)
    return path, name


jobs_service.register("evidence", jobs_service.Kind("整改材料包", Permission.ITEM_VIEW, run_job))
