"""`hotline demo`: the whole product on the embedded default, fed by a replayed real capture."""

from __future__ import annotations

from pathlib import Path

import typer

from hotline.context import cli_state


def demo(
    ctx: typer.Context,
    folder: Path = typer.Option(
        Path("hotline-demo"), "--dir", help="folder for the demo database and recordings"
    ),
    host: str = typer.Option("127.0.0.1", help="address the API and the IVR listen on"),
    port: int = typer.Option(8000, help="API and web pages port (0: any free port)"),
    agi_port: int = typer.Option(4573, help="FastAGI port (0: any free port)"),
    speed: float = typer.Option(1.0, help="capture replay speed (1 = real time)"),
    callers: bool = typer.Option(True, "--callers/--no-callers", help="simulate callers in the IVR"),
) -> None:
    """Run the whole product on SQLite with a replayed Asterisk capture; Ctrl-C stops it."""
    from hotline.lifecycle import run
    from hotline_app.demo import DemoOptions, run_demo

    options = DemoOptions(
        folder=folder, host=host, api_port=port, agi_port=agi_port, speed=speed, simulated_callers=callers
    )
    # The loop and collector settings the services run with in production (hotline.lifecycle.run).
    run(run_demo(options, cli_state(ctx).config_path, on_ready=lambda text: typer.echo(text)))
    typer.echo("hotline demo stopped")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
