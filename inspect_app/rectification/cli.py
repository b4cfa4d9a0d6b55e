"""`flask send-reminders`: for cron — deadline notices (near the deadline, overdue) and the daily overdue
digest to city viewers and the province, never repeated."""
import click
from flask.cli import with_appcontext

from inspect_app.rectification.notifications import send_reminders


@click.command("send-reminders")
@with_appcontext
def send_reminders_command():
    """Notify the county side of items ≤ 7 days from, or past, their deadline; send the overdue digest."""
    created = send_reminders()
    click.echo(f"已发送 {created} 条时限提醒和超期汇总")
