"""`flask backup DIR`, `flask backup verify DIR` and `flask restore DIR [--force]`."""
import click
from flask.cli import with_appcontext

from inspect_app.backup.service import create_backup, restore_backup, verify_backup
from inspect_app.errors import DomainError


class _BackupGroup(click.Group):
    """`flask backup DIR` writes a backup; `flask backup verify DIR` checks one: a first argument
    that is not a subcommand is the directory of `create`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


@click.group("backup", cls=_BackupGroup)
def backup_command():
    """Back up the database and the upload store (flask backup DIR), or verify a restore
    (flask backup verify DIR)."""


@backup_command.command("create")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def create_command(directory):
    """Write a consistent snapshot (database + upload store + manifest of SHA-256s) to DIRECTORY."""
    try:
        manifest = create_backup(directory)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    size = sum(entry["size"] for entry in manifest["files"].values())
    click.echo(f"已备份到 {directory}：数据库 {manifest['database']['kind']}（{len(manifest['database']['tables'])} 张表，"
               f"{manifest['database']['size']} 字节），文件 {len(manifest['files'])} 个（{size} 字节）")


@backup_command.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@with_appcontext
def verify_command(directory):
    """Prove the live database and upload store equal the backup in DIRECTORY, and every photo
    original matches its recorded SHA-256; exit status 1 on any difference."""
    try:
        result = verify_backup(directory)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    for problem in result.problems:
        click.echo(f"不一致：{problem}", err=True)
    click.echo(f"核对 {result.tables} 张表、{result.files} 个文件；照片原始文件 {result.originals_checked} 个与登记的 "
               f"SHA-256 一致，{result.photos_without_original} 张照片上传于保留原始文件之前")
    if result.problems:
        raise click.ClickException(f"发现 {len(result.problems)} 处不一致")
    click.echo("一致")


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds tables.")
@with_appcontext
def restore_command(directory, force):
    """Restore the database and the upload store from the backup in DIRECTORY (refuses a non-empty
    database without --force), then run the same check as `flask backup verify`."""
    try:
        restore_backup(directory, force=force)
        result = verify_backup(directory)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    if result.problems:
        raise click.ClickException("恢复后核对不一致：" + "；".join(result.problems[:5]))
    click.echo(f"已从 {directory} 恢复并核对：{result.tables} 张表、{result.files} 个文件一致")
