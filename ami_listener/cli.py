"""`hotline ami …` commands: listen to the configured PBXes, or replay a capture through the listener."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from hotline.context import cli_state

if TYPE_CHECKING:
    from ami_listener.runner import RunSummary

ami_app = typer.Typer(
    help="AMI listener: live calls, queues and agents; capture replay.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(ami_app, name="ami")


def _print(summaries: list[RunSummary]) -> None:
    """One line of figures per PBX, then every value cut and record not saved; exit 1 if any was lost."""
    lost = False
    for summary in summaries:
        figures = {key: value for key, value in vars(summary).items() if key != "problems"}
        typer.echo(" ".join(f"{key}={value}" for key, value in figures.items()))
        for problem in summary.problems:
            typer.echo(f"  {summary.pbx}: {problem}", err=True)
        if not summary.all_saved:
            lost = True
            typer.echo(
                f"{summary.pbx}: NOT EVERYTHING WAS SAVED: {summary.rows_rejected} rows refused, "
                f"{summary.records_lost} records dropped, {summary.state_errors} state errors",
                err=True,
            )
    if lost:
        raise typer.Exit(1)


@ami_app.command("listen")
def listen_command(ctx: typer.Context) -> None:
    """Listen to every configured PBX until SIGTERM or Ctrl-C, then drain and flush."""
    from ami_listener.runner import listen
    from hotline.lifecycle import run

    settings = cli_state(ctx).settings().require_secrets("ami")
    _print(list(run(listen(settings))))


@ami_app.command("replay")
def replay_command(
    ctx: typer.Context,
    capture: Path = typer.Argument(..., help="capture file X.ami (X.jsonl with the timing next to it)"),
    speed: float = typer.Option(1.0, "--speed", min=0.0, help="1 = recorded timing, 0 = as fast as possible"),
    pbx: str = typer.Option("lab", "--pbx", help="PBX name the records are stored under"),
) -> None:
    """Serve CAPTURE from a local fake Asterisk and run the real listener on it until it ends."""
    import asyncio

    from ami_listener.runner import replay

    settings = cli_state(ctx).settings()
    _print(list(asyncio.run(replay(settings, capture, speed=speed, pbx=pbx))))
