"""`flask rollups check|rebuild`: look after the dashboard's summary rows on a live database."""
import click
from flask.cli import with_appcontext

from inspect_app.dashboard import rollups


@click.group("rollups")
def rollups_command():
    """The dashboard's closure rollups (summary rows kept in step with the items)."""


@rollups_command.command("check")
@with_appcontext
def check_command():
    """Recompute the rollups from the items and report any row that differs (exit 1 if any)."""
    found = rollups.differences()
    for difference in found:
        click.echo(f"不一致：{difference['key']} 应为 {difference['expected']}，实为 {difference['stored']}")
    click.echo("汇总表与整改事项一致" if not found else f"发现 {len(found)} 处不一致（最多列出 20 处）")
    raise SystemExit(1 if found else 0)


@rollups_command.command("rebuild")
@with_appcontext
def rebuild_command():
    """Delete and recompute every rollup row from the items (after bulk loads or a restore)."""
    rollups.rebuild()
    click.echo("汇总表已重建")
