"""`flask audit verify` and `flask audit archive`: checking and archiving the chained audit trail."""
import sys
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from inspect_app.audit import chain
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.rectification import date_rules

audit_cli = AppGroup("audit", help="审计日志：校验哈希链、归档旧记录")


@audit_cli.command("verify")
@click.option("--archive", "archive_file", type=click.Path(exists=True, dir_okay=False),
              help="校验一个归档文件，而不是数据库中的记录")
def verify_command(archive_file):
    """Verify the hash chain; exit 0 when intact, 1 naming the first broken link."""
    try:
        if archive_file:
            seq, last_hash, count = chain.verify_file(archive_file)
            click.echo(f"归档文件完整：{count} 条记录，止于第 {seq} 环，末环哈希 {last_hash}")
        else:
            count = chain.verify_database(db.session)
            click.echo(f"审计日志哈希链完整：已校验 {count} 条记录")
    except DomainError as broken:
        click.echo(f"审计日志哈希链断裂：{broken.message}", err=True)
        sys.exit(1)


@audit_cli.command("archive")
@click.option("--before", "before", required=True, help="归档此日期（北京时间，YYYY-MM-DD）之前的记录")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="归档文件（JSON Lines）；默认在 instance/audit-archive/ 下")
def archive_command(before, out):
    """Move rows older than --before to a JSON-lines file; refuses dates within the retention period."""
    try:
        day = date.fromisoformat(before)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--before")
    keep = current_app.config.get("AUDIT_RETENTION_DAYS", 180)
    if day > date_rules.today() - timedelta(days=keep):
        raise click.BadParameter(f"审计日志至少保留 {keep} 天，只能归档 {date_rules.today() - timedelta(days=keep)} 及以前",
                                 param_hint="--before")
    if out is None:
        import os
        folder = os.path.join(current_app.instance_path, "audit-archive")
        os.makedirs(folder, exist_ok=True)
        out = os.path.join(folder, f"audit-before-{day.isoformat()}.jsonl")
    cut = date_rules.start_of_day_utc(day)
    count = chain.archive(db.session, cut, out)
    click.echo(f"已归档 {count} 条记录到 {out}" if count else "没有需要归档的记录")
