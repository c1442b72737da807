"""`hotline asterisk check`: read our Asterisk .conf files the way Asterisk does."""

from __future__ import annotations

from pathlib import Path

import typer

asterisk_app = typer.Typer(help="The Asterisk configuration hotline ships.", no_args_is_help=True)

SHIPPED = Path(__file__).resolve().parent


def register(app: typer.Typer) -> None:
    app.add_typer(asterisk_app, name="asterisk")


@asterisk_app.command("check")
def check_command(
    folder: Path = typer.Argument(SHIPPED, help="folder with queues.conf and extensions.conf"),
) -> None:
    """Queue strategies as app_queue reads them, and where each way out of the IVR leads."""
    from asterisk_conf.check import check_folder

    report = check_folder(folder)
    for queue, strategy in report.strategies.items():
        typer.echo(f"queue {queue}: strategy {strategy}")
    for branch, went in report.branches:
        typer.echo(f"{branch}: {went}")
    for problem in report.problems:
        typer.secho(f"{problem.where}: {problem.message}", fg=typer.colors.RED, err=True)
    if report.problems:
        raise typer.Exit(1)
    typer.echo(f"{folder}: OK")
