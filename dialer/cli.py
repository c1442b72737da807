"""`hotline dialer run`: call back the citizens the IVR promised a callback."""

from __future__ import annotations

import typer

from hotline.context import cli_sessions, cli_state

dialer_app = typer.Typer(help="Dial-back of promised callbacks through AMI Originate.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dialer_app, name="dialer")


@dialer_app.command("run")
def run(ctx: typer.Context) -> None:
    """Dial pending callbacks when their queue has a free operator, within the topic's hours."""
    import asyncio
    import signal

    from dialer.service import DialerService
    from hotline.errors import ConfigError
    from hotline.lifecycle import run

    settings = cli_state(ctx).settings().require_secrets("dialer")
    if not settings.dialer.enabled:
        raise ConfigError("the dialer is off: set dialer.enabled = true (and dialer.secret) first")
    service = DialerService(settings, cli_sessions(ctx))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await service.run(stop)

    run(main())  # the loop and collector settings of every service
