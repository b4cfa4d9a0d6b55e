"""The province ledger on PostgreSQL beyond 65,535 items: the old export sent every id in one IN list
and PostgreSQL answered 500 ("number of parameters must be between 0 and 65535", issue 12 seen 1)."""
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from inspect_app.extensions import db
from inspect_app.jobs import queue
from inspect_app.jobs.models import Job, JobState
from inspect_app.rectification.models import RectificationItem
from inspect_app.visits.models import Finding
from tests.rectification.factories import make_item

ROWS = 66_000


def clone(table, template_id: int, source: str, overrides: dict[str, str], where: str = "TRUE") -> None:
    """INSERT … SELECT copying the template row once per row of `source` (fast: one statement)."""
    columns = [c.name for c in table.columns if c.name != "id"]
    values = ", ".join(overrides.get(c, f't."{c}"') for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    db.session.execute(sa.text(f'INSERT INTO {table.name} ({names}) SELECT {values} '
                               f'FROM {table.name} t, {source} WHERE t.id = :template AND {where}'), {"template": template_id})


def test_province_ledger_beyond_65535_items_on_postgresql(client, world, login_as):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's limit of 65,535 parameters per statement")
    item = make_item(world)
    clone(Finding.__table__, item.finding_id, f"generate_series(1, {ROWS}) g",
          {"uuid": "md5(g::text || clock_timestamp()::text)"})
    clone(RectificationItem.__table__, item.id, "findings f",
          {"finding_id": "f.id", "seq": "f.id + 1000", "number": "'B-' || lpad(f.id::text, 8, '0')"},
          where=f"f.id <> {int(item.finding_id)}")
    db.session.commit()
    total = db.session.scalar(sa.select(sa.func.count(RectificationItem.id)))
    assert total > 65_535

    login_as("province")
    page = client.get("/items/ledger.xlsx")           # too large to write in the request: offers the job
    assert page.status_code == 200 and "后台生成" in page.get_data(as_text=True)
    assert client.post("/items/ledger-jobs", headers={"HX-Request": "true"}).status_code == 201
    assert queue.run_pending(client.application) == 1
    db.session.expire_all()
    job = db.session.execute(sa.select(Job)).scalar_one()
    assert job.state == JobState.DONE, job.error
    assert job.done == job.total == total
    res = client.get(f"/jobs/{job.id}/download")
    assert res.status_code == 200
    book = load_workbook(io.BytesIO(res.data), read_only=True)
    assert book["整改台账"].max_row == total + 1
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True) if r and r[0]}
    assert summary["问题总数"] == total
