"""Background jobs: the 整改台账 export as a job — queued → running → done with progress, a polling
fragment that stops itself, the download for the owner only and within their scope, failure with a
reason in Chinese and 重试, and survival across an app restart."""
import io
import threading
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from inspect_app import create_app
from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db, utcnow
from inspect_app.jobs import queue, service
from inspect_app.jobs.models import Job, JobState
from inspect_app.rectification import ledger
from tests.conftest import Config
from tests.rectification.factories import make_item

HX = {"HX-Request": "true"}


@pytest.fixture
def big(app, monkeypatch):
    """Every ledger counts as large: the export goes through the job."""
    monkeypatch.setitem(app.config, "LEDGER_INLINE_MAX", 1)


def job_row(job_id) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def start(client, **filters) -> int:
    res = client.post("/items/ledger-jobs", data=filters, headers=HX)
    assert res.status_code == 201
    return db.session.execute(sa.select(sa.func.max(Job.id))).scalar_one()


def audit_count(action) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action))


def test_ledger_job_goes_queued_running_done_and_the_fragment_stops_polling(client, world, login_as, big):
    mine = {make_item(world).number for _ in range(3)}
    make_item(world, world.tongbai)
    login_as("xinye")
    page = client.get("/items/").get_data(as_text=True)
    assert 'action="/items/ledger-jobs"' in page and "后台生成" in page

    res = client.post("/items/ledger-jobs", headers=HX)
    assert res.status_code == 201
    body = res.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in body and "排队中" in body
    job_id = db.session.execute(sa.select(sa.func.max(Job.id))).scalar_one()
    assert job_row(job_id).state == JobState.QUEUED and audit_count("job.create") == 1

    db.session.execute(sa.update(Job).where(Job.id == job_id).values(
        state=JobState.RUNNING, done=1, total=3, heartbeat_at=utcnow(), worker=service.worker_name()))
    db.session.commit()
    body = client.get(f"/jobs/{job_id}", headers=HX).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in body and "进行中" in body and "1 / 3" in body and "<progress" in body
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(state=JobState.QUEUED, done=0, total=0))
    db.session.commit()

    assert queue.run_pending(client.application) == 1
    job = job_row(job_id)
    assert job.state == JobState.DONE and job.done == job.total == 3 and job.finished_at is not None
    fragment = client.get(f"/jobs/{job_id}", headers=HX).get_data(as_text=True)
    assert "hx-trigger" not in fragment and "已完成" in fragment and f"/jobs/{job_id}/download" in fragment
    assert "<html" in client.get(f"/jobs/{job_id}").get_data(as_text=True)   # the page, from the same URL

    res = client.get(f"/jobs/{job_id}/download")
    assert res.status_code == 200
    disposition = res.headers["Content-Disposition"]       # the one download-name helper's name (issue 14)
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("新野县_整改台账_")
    assert 'filename="ledger-411329-' in disposition
    sheet = load_workbook(io.BytesIO(res.data))["整改台账"]
    assert {r[1] for r in sheet.iter_rows(min_row=2, values_only=True)} == mine
    assert audit_count("export.ledger") == 1


def test_only_the_owner_within_their_scope_sees_or_downloads_a_job(client, world, login_as, big):
    make_item(world)
    login_as("xinye")
    job_id = start(client)
    queue.run_pending(client.application)
    assert client.get(f"/jobs/{job_id}/download").status_code == 200
    for other in ("tongbai", "xinye-wjw", "province"):
        login_as(other)
        assert client.get(f"/jobs/{job_id}").status_code == 404
        assert client.get(f"/jobs/{job_id}/download").status_code == 404
        assert client.post(f"/jobs/{job_id}/retry", headers=HX).status_code == 404
    owner = login_as("xinye")
    owner.region_id = world.tongbai.id          # moved to another county: the old county's file is gone
    db.session.commit()
    assert client.get(f"/jobs/{job_id}/download").status_code == 404
    login_as("admin")                           # no ledger permission at all
    assert client.post("/items/ledger-jobs", headers=HX).status_code == 403


def test_failed_job_says_why_in_chinese_and_retry_runs_it_again(client, world, login_as, big, tmp_path):
    make_item(world)
    login_as("xinye")
    app = client.application
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    folder = app.config["JOB_RESULTS_FOLDER"]
    app.config["JOB_RESULTS_FOLDER"] = str(blocked)         # the result cannot be stored
    try:
        job_id = start(client)
        queue.run_pending(app)
    finally:
        app.config["JOB_RESULTS_FOLDER"] = folder
    job = job_row(job_id)
    assert job.state == JobState.FAILED and job.error == service.MSG_UNEXPECTED
    fragment = client.get(f"/jobs/{job_id}", headers=HX).get_data(as_text=True)
    assert "hx-trigger" not in fragment and "失败" in fragment and "重试" in fragment and "请点击" in fragment
    assert client.get(f"/jobs/{job_id}/download").status_code == 404

    res = client.post(f"/jobs/{job_id}/retry", headers=HX)
    assert res.status_code == 200 and 'hx-trigger="every 1s"' in res.get_data(as_text=True)
    assert audit_count("job.retry") == 1 and job_row(job_id).attempts == 2
    assert client.post(f"/jobs/{job_id}/retry", headers=HX, csrf=False).status_code == 400   # CSRF
    queue.run_pending(app)
    assert job_row(job_id).state == JobState.DONE and job_row(job_id).error == ""


def test_a_disabled_owner_job_fails_with_a_reason(client, world, login_as, big):
    make_item(world)
    owner = login_as("xinye")
    job_id = start(client)
    owner.active = False
    db.session.commit()
    queue.run_pending(client.application)
    assert job_row(job_id).state == JobState.FAILED and job_row(job_id).error == service.MSG_NO_ACCESS


def test_jobs_survive_a_restart_and_an_interrupted_job_can_be_retried(client, world, login_as, big):
    make_item(world)
    login_as("xinye")
    queued = start(client)
    interrupted = start(client)
    # The second job was being run by a process that has died (no such pid on this host).
    db.session.execute(sa.update(Job).where(Job.id == interrupted).values(
        state=JobState.RUNNING, worker=f"{service.worker_name().rsplit(':', 1)[0]}:999999999",
        heartbeat_at=utcnow(), started_at=utcnow()))
    db.session.commit()

    restarted = create_app(Config)               # a new process: same database, same queue file
    with restarted.app_context():
        assert service.fail_interrupted() == 1
        assert queue.run_pending(restarted) == 2   # both messages delivered; the failed one is skipped
    assert job_row(queued).state == JobState.DONE
    job = job_row(interrupted)
    assert job.state == JobState.FAILED and job.error == service.MSG_INTERRUPTED
    assert "重试" in client.get(f"/jobs/{interrupted}", headers=HX).get_data(as_text=True)
    client.post(f"/jobs/{interrupted}/retry", headers=HX)
    queue.run_pending(restarted)
    assert job_row(interrupted).state == JobState.DONE


def test_a_stale_heartbeat_shows_as_failed_on_the_next_poll(client, world, login_as, big):
    make_item(world)
    login_as("xinye")
    job_id = start(client)
    long_ago = utcnow().replace(year=2020)
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(
        state=JobState.RUNNING, worker="elsewhere:1", heartbeat_at=long_ago))
    db.session.commit()
    body = client.get(f"/jobs/{job_id}", headers=HX).get_data(as_text=True)
    assert "hx-trigger" not in body and service.MSG_INTERRUPTED in body


def test_the_in_process_worker_thread_runs_jobs(client, world, login_as, big):
    make_item(world)
    login_as("xinye")
    app = client.application
    assert queue.start_worker_thread(app) and not queue.start_worker_thread(app)   # one per process
    job_id = start(client)
    finished = threading.Event()
    for _ in range(300):                        # up to 30 s on a loaded machine
        if job_row(job_id).state.finished:
            finished.set()
            break
        finished.wait(0.1)
    assert finished.is_set() and job_row(job_id).state == JobState.DONE


def test_ledger_rows_come_in_keyset_batches_in_ledger_order(app, world):
    numbers = [make_item(world, county).number for county in (world.tongbai, world.xinye) for _ in range(12)]
    province = world.users["province"]
    batches = list(ledger.row_batches(province, ledger.filters_from_params({}), batch_size=10))
    assert [len(b) for b in batches] == [10, 10, 4]
    rows = [r for b in batches for r in b]
    assert [r["序号"] for r in rows] == list(range(1, 25))
    assert sorted(r["问题编号"] for r in rows) == sorted(numbers)
    keys = [(r["县(市)"] == "桐柏县", r["问题编号"]) for r in rows]
    assert keys == sorted(keys)                 # county by county (新野 411329 before 桐柏 411330)


def test_an_app_with_the_in_process_worker_serves_requests_and_runs_jobs(app, world):
    class InProcess(Config):
        JOBS_IN_PROCESS = True
    served = create_app(InProcess)
    try:
        with served.app_context():
            assert served.test_client().get("/healthz").status_code == 200     # the first request starts it
            user = db.session.get(type(world.users["xinye"]), world.users["xinye"].id)
            make_item(world)
            job_id = service.create(user, "ledger", {}, "新野县整改台账").id
            finished = threading.Event()
            for _ in range(300):
                db.session.expire_all()
                if db.session.get(Job, job_id).state.finished:
                    finished.set()
                    break
                finished.wait(0.1)
            assert finished.is_set() and db.session.get(Job, job_id).state == JobState.DONE
    finally:
        queue.stop_worker_thread(served)


def test_on_object_storage_a_jobs_file_lies_in_the_shared_bucket(s3_app, client, world, login_as, big):
    """With STORAGE_BACKEND=s3 the result goes to the bucket's job-results/ folder, so an instance other
    than the worker's serves it (issue 12: several instances), and the photo sweep never lists it."""
    from inspect_app.media import sweep
    from tests.s3server import s3_client

    mine = {make_item(world).number for _ in range(2)}
    login_as("xinye")
    job_id = start(client)
    assert queue.run_pending(client.application) == 1
    job = job_row(job_id)
    assert job.state == JobState.DONE
    listed = s3_client(s3_app.config["S3_ENDPOINT_URL"]).list_objects_v2(Bucket=s3_app.config["S3_BUCKET"])
    assert [item["Key"] for item in listed.get("Contents", ())] == [f"job-results/{job.result_key}"]
    res = client.get(f"/jobs/{job_id}/download")
    assert res.status_code == 200
    sheet = load_workbook(io.BytesIO(res.data))["整改台账"]
    assert {r[1] for r in sheet.iter_rows(min_row=2, values_only=True)} >= mine
    assert sweep.sweep().orphans == []
