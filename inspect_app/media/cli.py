"""`flask media sweep`: list the stored files no row refers to and, with --delete, remove the old ones."""
from datetime import timedelta

import click
from flask.cli import with_appcontext

from inspect_app.extensions import utcnow
from inspect_app.media.sweep import sweep


@click.group("media")
def media_command():
    """Photo and evidence files in the upload folder."""


def _age(file, now) -> str:
    hours = (now - file.modified).total_seconds() / 3600
    return f"{hours:.1f} 小时前" if hours < 48 else f"{hours / 24:.0f} 天前"


@media_command.command("sweep")
@click.option("--delete", is_flag=True, help="Remove the orphans older than the grace period (default: list only).")
@click.option("--grace-hours", type=click.FloatRange(min=1), default=24.0, show_default=True,
              help="Leave files changed more recently than this alone (uploads in flight).")
@with_appcontext
def sweep_command(delete, grace_hours):
    """List files no photo or document row refers to; with --delete, remove those older than the
    grace period. Files of unknown shape are listed and never removed."""
    now = utcnow()
    grace = timedelta(hours=grace_hours)
    report = sweep(delete=delete, grace=grace, now=now)
    removed = {f.key for f in report.removed}
    for orphan in report.orphans:
        state = "已删除" if orphan.key in removed else ("宽限期内，保留" if now - orphan.modified <= grace else "可删除")
        label = "未完成写入的临时文件" if orphan.kind == "temporary" else "无记录引用"
        click.echo(f"{orphan.key}\t{orphan.size} 字节\t{_age(orphan, now)}\t{label}\t{state}")
    for unknown in report.unknown:
        click.echo(f"{unknown.key}\t{unknown.size} 字节\t{_age(unknown, now)}\t不是本系统命名的文件\t保留")
    summary = f"检查 {report.checked} 个文件，孤立文件 {len(report.orphans)} 个（{report.orphan_bytes} 字节）"
    if delete:
        summary += f"，已删除 {len(report.removed)} 个（超过宽限期 {grace_hours:g} 小时且无记录引用）"
    else:
        summary += "；未删除任何文件，加 --delete 删除超过宽限期的孤立文件"
    click.echo(summary)


@media_command.command("hashes")
@click.option("--batch-size", type=click.IntRange(min=1), default=200, show_default=True)
@with_appcontext
def hashes_command(batch_size):
    """Fill in the perceptual hashes (pHash, dHash) of photos stored before they were kept (issue 15):
    read each one's stored thumbnail once; then give each site without a position the median GPS of its
    first submitted visit's photos. Safe to stop and run again."""
    from inspect_app.media.service import backfill_hashes

    from inspect_app.visits.positions import place_sites_from_first_visits

    done, missing = backfill_hashes(batch_size=batch_size)
    click.echo(f"已计算 {done} 张照片的图像指纹；{missing} 张照片文件无法读取，未计算")
    placed = place_sites_from_first_visits()
    click.echo(f"{placed} 个核查点位按首次核查照片定位补记了位置")
