"""The 整改台账 export's data path: the items in the user's scope and filters, read in batches.

Rows are read by keyset over (county, number, id) — the ledger's order — BATCH_SIZE at a time, and
each batch's evidence counts are asked for with that batch's ids only. No statement carries more
parameters than one batch, whatever the number of items: the old single read sent every item id
in one IN list and PostgreSQL refused beyond 65,535 (issue 12, seen 1). The rows go to the
streaming writer (documents/ledger_stream.py), so memory is bounded by one batch.

One code path serves both ways of exporting: a small ledger is written inside the request
(`inline_max()` rows or fewer), a larger one by a background job (jobs/), with progress per batch.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from flask import current_app
from werkzeug.datastructures import MultiDict

from inspect_app.access import Permission
from inspect_app.auth.models import User
from inspect_app.documents.download_names import DownloadName
from inspect_app.documents.ledger_stream import write_ledger
from inspect_app.documents.workbook import evidence_count_label
from inspect_app.extensions import db, utcnow
from inspect_app.jobs import service as jobs_service
from inspect_app.org.models import Region, ResponsibleUnit, Site
from inspect_app.rectification import date_rules, photo_checks, service
from inspect_app.rectification.models import RectificationItem as Item
from inspect_app.repeats import service as repeats

BATCH_SIZE = 1000


def inline_max() -> int:
    """Ledgers of at most this many rows are written while the user waits (LEDGER_INLINE_MAX, 2,000:
    about a second); larger ones become a background job."""
    return current_app.config["LEDGER_INLINE_MAX"]

_ORDER = (Item.county_id, Item.number, Item.id)


def filters_from_params(params: dict) -> service.Filters:
    """The list filters stored with a job (its `params`), parsed as the query string would be."""
    return service.Filters.from_args(MultiDict({k: str(v) for k, v in (params or {}).items()}))


def count_rows(user, filters: service.Filters, now: dt.datetime | None = None) -> int:
    """How many rows the ledger of `user` with `filters` has (one COUNT)."""
    stmt = service.items_query(user, filters, now).with_only_columns(sa.func.count(Item.id))
    return db.session.execute(stmt.order_by(None)).scalar_one()


def _columns(county, site, unit) -> list:
    """The ledger's columns, read as plain values (no ORM objects): the item's own fields and the
    names of its county, site and unit (the aliases joined in `row_batches`). A column added to the ledger adds its value here
    and its cell at the end of `_row`."""
    return [Item.id, Item.county_id, Item.campaign_id, Item.site_id, Item.finding_id, Item.number, county.name.label("county_name"),
            site.name.label("site_name"), Item.description, Item.category, Item.severity,
            Item.rectification_type, Item.measures, unit.name.label("unit_name"),
            Item.responsible_person, Item.deadline, Item.extended_deadline, Item.planned_date,
            Item.latest_progress, Item.status, Item.acceptance_opinion, Item.return_count, Item.closed_at]


def _row(n: int, item, evidence: str, today: dt.date, repeat: str = "", photo_flags: str = "") -> dict:
    """One ledger row (documents.workbook.LEDGER_COLUMNS → cell value) from one row of `_columns()`
    (attribute access by column name: `item.number`, `item.county_name`, …)."""
    deadline = date_rules.effective_deadline(item)
    return {
        "序号": n, "问题编号": item.number, "县(市)": item.county_name, "核查点位": item.site_name or "",
        "问题描述": item.description, "问题类别": item.category, "严重程度": item.severity.label,
        "整改类型": item.rectification_type.label, "整改措施": item.measures,
        "责任单位": item.unit_name or "", "责任人": item.responsible_person,
        "完成时限": deadline, "整改进展(最新)": item.latest_progress,
        "整改状态": item.status.label, "是否超期": "是" if date_rules.is_overdue(item.status, deadline, today) else "否",
        "验收意见": item.acceptance_opinion, "退回次数": item.return_count,
        "销号日期": item.closed_at, "佐证材料数": evidence, "屡查屡犯": repeat, "照片核验提示": photo_flags,
    }


def row_batches(user, filters: service.Filters, now: dt.datetime | None = None,
                batch_size: int = BATCH_SIZE) -> Iterator[list[dict]]:
    """The ledger's rows (dicts keyed by documents.workbook.LEDGER_COLUMNS) in batches of
    `batch_size`, in county then number order: four statements per batch (the items, their evidence
    counts, their 屡查屡犯 marks, their photo checks: rectification.photo_checks), each bounded by the batch.

    Each batch is one SELECT of plain columns (the item's fields and its county's, site's and unit's
    names by join, `_columns()`) — no ORM objects, no identity map: loading each item with its
    county, site and unit as objects made the job 2.0–2.3× the bare writer (issue 12).
    """
    now = now or utcnow()
    today = date_rules.today(now)
    where = service.items_query(user, filters, now).whereclause
    # Aliases: the scope clause has subqueries on regions, which must not correlate with the join.
    county, site, unit = aliased(Region), aliased(Site), aliased(ResponsibleUnit)
    base = sa.select(*_columns(county, site, unit)).select_from(Item).join(county, county.id == Item.county_id) \
        .outerjoin(site, site.id == Item.site_id).outerjoin(unit, unit.id == Item.unit_id) \
        .where(where).order_by(*_ORDER)
    after, n = None, 0
    while True:
        stmt = base if after is None else base.where(sa.tuple_(*_ORDER) > sa.tuple_(*after))
        items = db.session.execute(stmt.limit(batch_size)).all()
        if not items:
            return
        counts = service.evidence_counts([i.id for i in items])
        marks = repeats.marks(i.finding_id for i in items)
        checks = photo_checks.check_items(items)
        rows = []
        for item in items:
            n += 1
            mark = marks.get(item.finding_id)
            rows.append(_row(n, item, evidence_count_label(*counts.get(item.id, (0, 0, 0))), today,
                             mark.ledger_text if mark else "", checks[item.id].ledger_text))
        last = items[-1]
        after = (last.county_id, last.number, last.id)
        yield rows
        if len(items) < batch_size:
            return


def write(path: str, user, filters: service.Filters, now: dt.datetime,
          progress: Callable[[int], None] | None = None) -> int:
    """Write the ledger of `user` and `filters` to the file `path`; returns the row count.
    `progress(rows_done)` is called after each batch."""
    title = service.ledger_title(user, filters)
    return write_ledger(path, row_batches(user, filters, now), title=title, generated_at=now, progress=progress)


def build_bytes(user, filters: service.Filters, now: dt.datetime) -> bytes:
    """The ledger as bytes, for the small exports answered inside the request (≤ inline_max() rows)."""
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        write(path, user, filters, now)
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        os.unlink(path)


def run_job(job, report: Callable[[int, int], None]) -> tuple[str, DownloadName]:
    """The ledger job's runner (jobs.service.KINDS['ledger']): count, then write batch by batch,
    reporting rows done of the total after each. Returns (temporary file, download name)."""
    owner = db.session.get(User, job.owner_id)
    filters = filters_from_params(job.params)
    now = utcnow()
    title = service.ledger_title(owner, filters)
    total = count_rows(owner, filters, now)
    report(0, total)
    path = jobs_service.temp_path(".xlsx")
    try:
        write_ledger(path, row_batches(owner, filters, now), title=title, generated_at=now,
                     progress=lambda done: report(done, max(total, done)))
    except BaseException:
        os.unlink(path)
        raise
    return path, service.ledger_download_name(owner, filters, date_rules.today(now))


jobs_service.register("ledger", jobs_service.Kind("整改台账导出", Permission.LEDGER_EXPORT, run_job))
