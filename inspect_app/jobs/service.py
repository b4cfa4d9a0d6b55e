"""Background jobs: make one, run it with progress, fail it with a reason in Chinese, retry it, and
hand its result only to its owner while they keep the scope it was made in.

A job is a row in `jobs` (models.Job); the queue (queue.py) carries only its id. Running claims the
row with one UPDATE … WHERE state = 'queued', so a message delivered twice runs the job once. Each
batch of work reports progress (done/total) and a heartbeat; a job still 进行中 whose process has
died, or whose heartbeat is older than JOB_STALE_SECONDS, is marked failed with a reason and can be
retried (issue 12: jobs survive an app restart).

What a job does is its kind's runner (KINDS): a function (job, report) → (file path, download name),
where report(done, total) records progress. A runner raises DomainError with a message in Chinese for
a failure the user can understand (the job is marked 失败 with it); anything else is logged and shown as a general failure.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import tempfile
import uuid
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from flask import current_app

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.audit.service import record
from inspect_app.auth.models import User
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.jobs import queue
from inspect_app.jobs.models import Job, JobState
from inspect_app.media import service as media_service
from inspect_app.media.storage import FileStorage

log = logging.getLogger(__name__)

MSG_INTERRUPTED = "任务运行中被中断（服务重启或进程退出），请点击“重试”重新生成"
MSG_UNEXPECTED = "任务执行出错，已记录。请点击“重试”；若仍失败，请联系系统管理员"
MSG_NOT_FOUND = "该任务不存在或其文件已不在"
MSG_NO_ACCESS = "账号已停用或权限已变更，无法生成"
ERROR_MAX = 500


@dataclass(frozen=True)
class Kind:
    """A kind of job: its label, the permission its owner needs (to make it and to download its
    result), its runner, and the unit its progress counts in (行 for rows; "" for a job counted in
    steps, whose progress shows only the percentage)."""

    label: str
    permission: Permission
    runner: Callable[[Job, Callable[[int, int], None]], tuple[str, str]]
    unit: str = "行"


KINDS: dict[str, Kind] = {}


def register(name: str, kind: Kind) -> None:
    """Add a kind of job (feature packages register theirs at import)."""
    KINDS[name] = kind


def results():
    """Where job results are kept, apart from the photo store (whose orphan sweep must never see
    them): a FileStorage rooted at JOB_RESULTS_FOLDER, or with STORAGE_BACKEND=s3 the shared bucket's
    job-results/ folder, so any app instance can serve a file another instance's worker wrote."""
    if current_app.config.get("STORAGE_BACKEND", "file") == "s3":
        from inspect_app.media.s3 import JOB_RESULTS_FOLDER

        return media_service.storage().within(JOB_RESULTS_FOLDER)
    return FileStorage(current_app.config["JOB_RESULTS_FOLDER"])


def worker_name() -> str:
    """This process, as host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


# ---------------------------------------------------------------- making and retrying

def create(user, kind: str, params: dict, title: str) -> Job:
    """Make a job of `kind` for `user` over `params`, audit it, commit, and queue it."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, owner_id=user.id, region_id=user.region_id, params=params, title=title[:255],
              state=JobState.QUEUED, attempts=1)
    db.session.add(job)
    db.session.flush()
    record("job.create", obj=job, label=job.title, user=user, after={"kind": kind, "params": params})
    db.session.commit()
    queue.enqueue(job.id)
    return job


def retry(user, job: Job) -> Job:
    """Queue a failed job again (its owner only; the caller has loaded it through `load_for`)."""
    if job.state != JobState.FAILED:
        return job
    before = {"state": job.state.value, "error": job.error}
    job.state, job.error, job.done, job.worker = JobState.QUEUED, "", 0, ""
    job.started_at = job.heartbeat_at = job.finished_at = None
    job.attempts += 1
    record("job.retry", obj=job, label=job.title, user=user, before=before, after={"state": "queued"})
    db.session.commit()
    queue.enqueue(job.id)
    return job


# ---------------------------------------------------------------- running

def run(job_id: int) -> bool:
    """Run job `job_id` if it is still queued (claimed atomically); returns whether it ran."""
    now = utcnow()
    claimed = db.session.execute(sa.update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED).values(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now, worker=worker_name(), done=0)).rowcount
    db.session.commit()
    if not claimed:
        return False
    job = db.session.get(Job, job_id)

    def report(done: int, total: int) -> None:
        db.session.execute(sa.update(Job).where(Job.id == job_id).values(done=done, total=total,
                                                                          heartbeat_at=utcnow()))
        db.session.commit()

    try:
        owner = db.session.get(User, job.owner_id)
        if owner is None or not owner.active or owner.region_id != job.region_id \
                or not access.has(owner, KINDS[job.kind].permission):
            raise DomainError(MSG_NO_ACCESS, status=403)
        path, name = KINDS[job.kind].runner(job, report)
        key = f"jobs/{job_id}-{uuid.uuid4().hex}{os.path.splitext(str(name))[1]}"
        try:
            results().put_file(key, path)
        finally:
            os.unlink(path)
    except DomainError as error:
        _finish(job_id, JobState.FAILED, error=error.message)
    except Exception:  # noqa: BLE001 - a job never takes its worker down; the owner is told, the log has it
        log.exception("job %s failed", job_id)
        _finish(job_id, JobState.FAILED, error=MSG_UNEXPECTED)
    else:
        _finish(job_id, JobState.DONE, result_key=key, result_name=str(name)[:255],
                result_ascii=getattr(name, "ascii", "")[:255])
    return True


def _finish(job_id: int, state: JobState, **values) -> None:
    db.session.rollback()
    if state == JobState.DONE:
        values["done"] = Job.total
    if "error" in values:
        values["error"] = values["error"][:ERROR_MAX]
    db.session.execute(sa.update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING)
                       .values(state=state, finished_at=utcnow(), **values))
    db.session.commit()


def temp_path(suffix: str) -> str:
    """A new empty temporary file for a runner to write its result to (run() removes it)."""
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="job-")
    os.close(fd)
    return path


def fail_interrupted(now: dt.datetime | None = None) -> int:
    """Mark failed the jobs left 进行中 by a process that is gone: one on this host whose pid no
    longer lives, or any whose heartbeat is older than JOB_STALE_SECONDS. Returns how many."""
    now = now or utcnow()
    stale = now - dt.timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    host = socket.gethostname()
    gone = []
    for job_id, worker, beat in db.session.execute(sa.select(Job.id, Job.worker, Job.heartbeat_at)
                                                   .where(Job.state == JobState.RUNNING)):
        name, _, pid = worker.rpartition(":")
        if (beat is None or beat < stale) or (name == host and pid.isdigit() and not _alive(int(pid))):
            gone.append(job_id)
    if gone:
        db.session.execute(sa.update(Job).where(Job.id.in_(gone), Job.state == JobState.RUNNING)
                           .values(state=JobState.FAILED, error=MSG_INTERRUPTED, finished_at=now))
        db.session.commit()
    return len(gone)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- reading

def load_for(user, job_id: int) -> Job:
    """The job, for its owner only and while they keep the scope (region) it was made in and the
    kind's permission; anyone else gets 404, as for another county's objects."""
    job = db.session.get(Job, job_id)
    if job is None or job.owner_id != user.id or job.region_id != user.region_id \
            or job.kind not in KINDS or not access.has(user, KINDS[job.kind].permission):
        raise DomainError(MSG_NOT_FOUND, status=404)
    if job.state == JobState.RUNNING and fail_interrupted():
        db.session.refresh(job)
    return job


def open_result(job: Job):
    """The finished job's file, opened for reading (404 when not done or the file is gone)."""
    if job.state != JobState.DONE or not job.result_key:
        raise DomainError(MSG_NOT_FOUND, status=404)
    try:
        return results().open(job.result_key)
    except FileNotFoundError:
        raise DomainError(MSG_NOT_FOUND, status=404) from None
