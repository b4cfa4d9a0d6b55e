"""The 整改材料包 as a background job when large (issue 12's pattern for the ledger): below the
thresholds the ZIP answers at once; above them the GET offers the job, the POST makes it, the job
reports files done and its ZIP goes to its owner only, within their scope, audited."""
import io
import zipfile

import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.jobs import queue
from inspect_app.jobs.models import Job, JobState
from inspect_app.rectification.lifecycle import Status
from tests.conftest import HX
from tests.media import images
from tests.rectification.factories import make_item, wjw
from tests.rectification.test_evidence_package import post_evidence


@pytest.fixture
def evidence(world, client, login_as):
    """Two items of 新野县 with evidence files, one of 桐柏县."""
    items = [make_item(world, status=Status.IN_PROGRESS, unit=wjw(world)) for _ in range(2)]
    make_item(world, world.tongbai)
    login_as("xinye-wjw")
    for item in items:
        post_evidence(client, item, ("整改方案.pdf", images.pdf()), ("现场.jpg", images.noisy_jpeg()))
    return items


def latest_job() -> Job:
    db.session.expire_all()
    return db.session.get(Job, db.session.execute(sa.select(sa.func.max(Job.id))).scalar_one())


def audit_count(action) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action))


def test_small_package_answers_at_once(client, world, login_as, evidence):
    login_as("xinye")
    res = client.get(f"/items/evidence/county/{world.xinye.id}.zip")
    assert res.mimetype == "application/zip" and Job.query.count() == 0


def test_large_county_package_is_a_job_with_progress_for_its_owner_only(client, world, login_as, evidence, app,
                                                                       monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_INLINE_MAX_FILES", 3)
    login_as("xinye")
    page = client.get(f"/items/evidence/county/{world.xinye.id}.zip")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "后台生成" in body and "4 个文件" in body
    assert Job.query.count() == 0                                          # a GET changes nothing

    res = client.post("/items/evidence-jobs", data={"county_id": world.xinye.id}, headers=HX)
    assert res.status_code == 201 and 'hx-trigger="every 1s"' in res.get_data(as_text=True)
    job = latest_job()
    assert job.kind == "evidence" and job.state == JobState.QUEUED and audit_count("job.create") == 1
    assert queue.run_pending(client.application) == 1
    job = latest_job()
    assert job.state == JobState.DONE and job.done == job.total == 4
    assert job.result_name.startswith("新野县_") and job.result_name.endswith(".zip")

    res = client.get(f"/jobs/{job.id}/download")
    assert res.status_code == 200 and res.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(res.data)).namelist()
    assert {n.split("/")[0] for n in names if "/" in n} == {i.number for i in evidence}
    assert sum(1 for n in names if "/" in n) == 4
    assert audit_count("export.evidence") == 1

    for other in ("tongbai", "xinye-wjw", "province"):
        login_as(other)
        assert client.get(f"/jobs/{job.id}/download").status_code == 404


def test_large_item_package_is_a_job_and_scope_is_checked_when_made(client, world, login_as, evidence, app,
                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_INLINE_MAX_BYTES", 10)
    item = evidence[0]
    login_as("tongbai")
    assert client.post("/items/evidence-jobs", data={"item_id": item.id}, headers=HX).status_code == 404
    assert client.post("/items/evidence-jobs", data={"county_id": world.xinye.id}, headers=HX).status_code == 404
    login_as("admin")                                                      # no item permission at all
    assert client.post("/items/evidence-jobs", data={"county_id": world.xinye.id}, headers=HX).status_code == 403
    assert Job.query.count() == 0

    login_as("xinye-wjw")
    assert "后台生成" in client.get(f"/items/{item.id}/evidence.zip").get_data(as_text=True)
    assert client.post("/items/evidence-jobs", data={"item_id": item.id}, headers=HX).status_code == 201
    assert queue.run_pending(client.application) == 1
    job = latest_job()
    assert job.state == JobState.DONE and job.total == 2 and job.result_name.startswith(item.number)
    names = zipfile.ZipFile(io.BytesIO(client.get(f"/jobs/{job.id}/download").data)).namelist()
    assert sum(1 for n in names if n.startswith(f"{item.number}/")) == 2
