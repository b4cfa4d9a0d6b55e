"""周报 / 月报 downloads as background jobs (issue 12): a scope over REPORT_INLINE_MAX items is offered
as a job; the job writes the very file the synchronous download gives; only its owner, within their
scope, sees and downloads it; a county or city outside the scope is 404 and makes no job."""
import io
import re
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from inspect_app.dashboard import service as dashboard_service
from inspect_app.extensions import db
from inspect_app.jobs import queue, service
from inspect_app.jobs.models import Job, JobState
from tests.dashboard.factories import LAST_SECOND, known_items

HX = {"HX-Request": "true"}
WEEK = {"kind": "week", "day": "2022-07-13", "campaign": "all"}


@pytest.fixture
def items(world, monkeypatch):
    monkeypatch.setattr(dashboard_service, "now", lambda: LAST_SECOND)
    return known_items(world)


@pytest.fixture
def big(app, monkeypatch):
    """Every report counts as large: the download goes through the job."""
    monkeypatch.setitem(app.config, "REPORT_INLINE_MAX", 1)


def members(data: bytes) -> dict[str, bytes]:
    """A DOCX/XLSX package's parts by name, without what records the moment of writing (the ZIP
    headers' times, and the XLSX's dcterms:modified, which openpyxl stamps when saving)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    parts["docProps/core.xml"] = re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>", b"",
                                        parts["docProps/core.xml"])
    return parts


def job_row(job_id) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def job_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Job.id)))


def start(client, fmt, **args) -> int:
    res = client.post("/dashboard/report-jobs", data={"fmt": fmt, **WEEK, **args}, headers=HX)
    assert res.status_code == 201, res.status_code
    body = res.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in body and "排队中" in body
    return db.session.execute(sa.select(sa.func.max(Job.id))).scalar_one()


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_report_job_runs_and_its_file_is_the_synchronous_one(client, app, login_as, items, fmt):
    login_as("nanyang")
    query = "&".join(f"{k}={v}" for k, v in WEEK.items())
    inline = client.get(f"/dashboard/reports/download.{fmt}?{query}")     # small: answered at once
    assert inline.status_code == 200 and inline.headers["Content-Disposition"]

    app.config["REPORT_INLINE_MAX"] = 1
    try:
        offer = client.get(f"/dashboard/reports/download.{fmt}?{query}")
        html = offer.get_data(as_text=True)
        assert offer.status_code == 200 and 'action="/dashboard/report-jobs"' in html and "后台生成" in html
        assert f'name="fmt" value="{fmt}"' in html
        job_id = start(client, fmt)
        assert queue.run_pending(app) == 1
    finally:
        app.config["REPORT_INLINE_MAX"] = 20000
    job = job_row(job_id)
    assert job.state == JobState.DONE, job.error
    assert job.kind == "report" and "南阳市整改周报" in job.title
    fragment = client.get(f"/jobs/{job_id}", headers=HX).get_data(as_text=True)
    assert "hx-trigger" not in fragment and "已完成" in fragment and f"/jobs/{job_id}/download" in fragment
    res = client.get(f"/jobs/{job_id}/download")
    assert res.status_code == 200 and members(res.data) == members(inline.data)
    assert res.headers["Content-Disposition"] == inline.headers["Content-Disposition"]
    assert res.mimetype == inline.mimetype
    if fmt == "xlsx":
        assert load_workbook(io.BytesIO(res.data)).sheetnames == ["总体情况", "按县（市、区）"]


def test_only_the_owner_downloads_a_report_job(client, app, world, login_as, items, big):
    login_as("nanyang")
    job_id = start(client, "xlsx")
    queue.run_pending(app)
    assert client.get(f"/jobs/{job_id}/download").status_code == 200
    for other in ("viewer", "xinye", "tongbai"):
        login_as(other)
        assert client.get(f"/jobs/{job_id}").status_code == 404
        assert client.get(f"/jobs/{job_id}/download").status_code == 404
        assert client.post(f"/jobs/{job_id}/retry", headers=HX).status_code == 404


def test_a_county_outside_the_scope_is_404_and_makes_no_job(client, app, login_as, items, big):
    login_as("xinye")
    before = job_count()
    res = client.post("/dashboard/report-jobs", data={"fmt": "docx", **WEEK, "county": "411330"}, headers=HX)
    assert res.status_code == 404 and job_count() == before
    assert client.get("/dashboard/reports/download.docx?county=411330").status_code == 404
    assert client.post("/dashboard/report-jobs", data={"fmt": "pdf", **WEEK}, headers=HX).status_code == 422
    job_id = start(client, "docx", county="411329")             # its own county: fine
    queue.run_pending(app)
    assert job_row(job_id).state == JobState.DONE


def test_a_report_job_whose_county_left_the_scope_fails_in_chinese(client, app, world, login_as, items, big):
    owner = login_as("nanyang")
    job_id = start(client, "docx", county="411329")
    # The county moves out of the owner's city before the job runs (a re-drawn division).
    world.xinye.parent_id = world.zhoukou.id
    db.session.commit()
    queue.run_pending(app)
    job = job_row(job_id)
    assert job.state == JobState.FAILED and "无权查看" in job.error
    assert owner.id == job.owner_id
    assert "重试" in client.get(f"/jobs/{job_id}", headers=HX).get_data(as_text=True)
