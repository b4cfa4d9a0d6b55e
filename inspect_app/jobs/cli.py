"""`flask jobs …`: the worker for a separate process (with Redis, on each machine), and a one-shot
run of what is waiting (for cron, or to drain the queue by hand)."""
import click
from flask import current_app
from flask.cli import AppGroup

from inspect_app.jobs import queue, service

jobs_cli = AppGroup("jobs", help="后台任务：运行任务进程、处理排队任务")


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="同时运行的任务数（线程）")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="是否按计划每天发送时限提醒（send-reminders）")
def worker_command(workers, periodic):
    """Run Huey's consumer for this app's queue until stopped (SIGINT/SIGTERM stop it gracefully).
    Jobs left running by a dead process are marked failed first."""
    service.fail_interrupted()
    consumer = queue.get().huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic)
    click.echo(f"任务进程已启动：{workers} 个线程，队列 {current_app.config.get('JOB_BROKER_URL') or '内置 SQLite'}")
    consumer.run()


@jobs_cli.command("run-pending")
def run_pending_command():
    """Run every job now waiting on the queue in this process, then exit."""
    service.fail_interrupted()
    click.echo(f"已处理 {queue.run_pending()} 个排队任务")
