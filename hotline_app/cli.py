"""The `hotline` command: one typer app, one group per part; each part registers its own commands."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ami_listener.cli import register as register_ami
from api.cli import register as register_api
from asterisk_conf.cli import register as register_asterisk
from dialer.cli import register as register_dialer
from hotline.context import cli_state
from hotline.core_cli import config_app, db_app
from hotline.errors import HotlineError
from hotline.logs import configure_logging
from hotline.loop_cli import register as register_loop
from hotline_app.demo_cli import register as register_demo
from hotline_app.report_cli import register as register_report
from ivr.cli import register as register_ivr
from transcription.cli import register as register_transcription

app = typer.Typer(
    help="hotline: Asterisk integration for citizen hotlines (live queues, IVR, call records, analytics).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar="HOTLINE_CONFIG", help="TOML settings file", show_default=False
    ),
    debug: bool = typer.Option(False, "--debug", help="show tracebacks of unexpected errors"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="log debug messages"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="log warnings and errors only"),
) -> None:
    """hotline: Asterisk telephony integration for citizen hotlines."""
    state = cli_state(ctx)
    state.config_path = config
    state.debug = debug
    state.log_level = "DEBUG" if verbose else "WARNING" if quiet else "INFO"
    configure_logging(state.log_level)


app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
register_ami(app)
register_ivr(app)
register_transcription(app)
register_api(app)
register_demo(app)
register_report(app)
register_asterisk(app)
register_loop(app)
register_dialer(app)


def main() -> None:
    """Entry point: expected errors end in one line and a non-zero exit, never a traceback."""
    debug = "--debug" in sys.argv
    try:
        app()
    except HotlineError as exc:
        if debug:
            raise
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        typer.secho(
            f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            fg=typer.colors.RED,
            err=True,
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
