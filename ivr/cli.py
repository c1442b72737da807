"""`hotline ivr …` commands (filled by the ivr part)."""

from __future__ import annotations

import typer

ivr_app = typer.Typer(help="FastAGI voice menu: serve, prompts, catalogue.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(ivr_app, name="ivr")
