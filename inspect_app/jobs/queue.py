"""The task queue under the background jobs: Huey.

Huey (huey.readthedocs.io) was chosen because one small, well-kept library gives both deployments the
app needs with the same task code: `SqliteHuey`, a queue in one SQLite file under instance/ that
needs nothing installed (the embedded default, run by a worker thread inside the app), and
`RedisHuey` for several machines (JOB_BROKER_URL=redis://…, run by `flask jobs worker`). Celery
needs a broker even to start; RQ and Dramatiq need Redis or RabbitMQ — none has an embedded mode.

Only the job's id travels through the queue: the `jobs` table is the record of what to do and how
far it got (service.py), so a lost or repeated message costs nothing — running claims the job
atomically, and a job already claimed or finished is skipped.

Settings (config.py): JOB_BROKER_URL ("" → instance/jobs-queue.sqlite3; sqlite:////path; redis://…),
JOBS_IN_PROCESS (start the worker thread; on by default with the SQLite queue).
"""
from __future__ import annotations

import os
import threading

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Worker

_started: dict[int, tuple[int, threading.Event]] = {}   # id(app) → (pid running its worker thread, stop flag)
_lock = threading.Lock()


class JobQueue:
    """The app's Huey instance and its two tasks: run one job, and the periodic reminders."""

    def __init__(self, app: Flask) -> None:
        url = app.config.get("JOB_BROKER_URL") or ""
        if url.startswith(("redis://", "rediss://", "unix://")):
            self.huey = RedisHuey("inspect-jobs", url=url, utc=True)
        else:
            path = url.removeprefix("sqlite:///") if url else os.path.join(app.instance_path, "jobs-queue.sqlite3")
            self.huey = SqliteHuey("inspect-jobs", filename=path, utc=True)
        self.app = app

        def run_job(job_id: int) -> None:
            from inspect_app.jobs import service
            with app.app_context():
                service.run(job_id)

        def send_reminders() -> None:
            from inspect_app.rectification.notifications import send_reminders as send
            with app.app_context():
                send()

        self.run_job = self.huey.task(name="run_job")(run_job)
        hour, minute = app.config.get("REMINDERS_CRON_UTC", (0, 30))   # 08:30 Beijing
        self.reminders = self.huey.periodic_task(crontab(minute=str(minute), hour=str(hour)),
                                                 name="send_reminders")(send_reminders)

    @property
    def embedded(self) -> bool:
        """Whether the queue is the embedded SQLite file (not a broker shared by several machines)."""
        return isinstance(self.huey, SqliteHuey)


def init_app(app: Flask) -> None:
    """Create the app's queue, and start the in-process worker thread on the first request when
    JOBS_IN_PROCESS is on (after gunicorn has forked: threads do not survive a fork)."""
    queue = JobQueue(app)
    app.extensions["jobs"] = queue
    if app.config.get("JOBS_IN_PROCESS") is None:
        app.config["JOBS_IN_PROCESS"] = queue.embedded and not app.testing
    if app.config["JOBS_IN_PROCESS"]:
        @app.before_request
        def start_jobs_worker() -> None:   # returns None: the request goes on
            start_worker_thread(app)


def get() -> JobQueue:
    """The current app's queue."""
    return current_app.extensions["jobs"]


def enqueue(job_id: int) -> None:
    """Put job `job_id` on the queue (the caller has committed the job row)."""
    get().run_job(job_id)


def start_worker_thread(app: Flask) -> bool:
    """Start one daemon thread per process that runs queued jobs for `app` (Huey's own Worker loop:
    dequeue, execute, back off up to 1 s when idle). Before it starts, jobs left running by a dead
    process are marked failed. Returns False when this process already runs one."""
    stop = threading.Event()
    with _lock:
        if id(app) in _started and _started[id(app)][0] == os.getpid():
            return False
        _started[id(app)] = (os.getpid(), stop)
    with app.app_context():
        from inspect_app.jobs import service
        service.fail_interrupted()
    queue = app.extensions["jobs"]
    worker = Worker(queue.huey, stop, default_delay=0.1, max_delay=1.0, backoff=1.15)

    def loop():
        worker.initialize()
        while not stop.is_set():
            worker.loop()

    threading.Thread(target=loop, name="inspect-jobs-worker", daemon=True).start()
    return True


def stop_worker_thread(app: Flask) -> None:
    """Ask this process's worker thread for `app` to stop after its current task (tests)."""
    with _lock:
        entry = _started.pop(id(app), None)
    if entry is not None:
        entry[1].set()


def run_pending(app: Flask | None = None) -> int:
    """Run every job message now waiting on the queue in this thread, then return how many ran
    (tests and `flask jobs run-pending`; the same execute path as the worker)."""
    queue = (app or current_app).extensions["jobs"]
    ran = 0
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
        ran += 1
    return ran


def flush(app: Flask | None = None) -> None:
    """Drop every waiting message (tests start from an empty queue)."""
    (app or current_app).extensions["jobs"].huey.flush()
