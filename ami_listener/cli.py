"""`hotline ami …` commands (filled by the ami_listener part)."""

from __future__ import annotations

import typer

ami_app = typer.Typer(
    help="AMI listener: live calls, queues and agents; capture replay.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(ami_app, name="ami")
