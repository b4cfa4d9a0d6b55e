"""`flask seed-demo`."""
import click
from flask import current_app
from flask.cli import with_appcontext

from inspect_app.demo.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create the demo data (idempotent) and print the demo accounts."""
    created = seed_demo(current_app.config["DIVISIONS_DIR"])
    click.echo("已创建演示数据" if created else "演示数据已存在，未做改动")
    click.echo(f"演示账户（密码均为 {DEMO_PASSWORD}）：")
    for username, name, organisation, role, *_ in DEMO_USERS:
        click.echo(f"  {username:<12} {role.label:<10} {organisation}")
