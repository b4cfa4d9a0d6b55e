"""`flask send-reminders`: deadline notifications for cron (near the deadline, overdue), never repeated."""
import click
from flask.cli import with_appcontext

from inspect_app.rectification.notifications import send_reminders


@click.command("send-reminders")
@with_appcontext
def send_reminders_command():
    """Notify unit responders and coordinators of items ≤ 7 days from, or past, their deadline."""
    created = send_reminders()
    click.echo(f"已发送 {created} 条时限提醒")
