"""`hotline ivr …` commands: serve the FastAGI IVR, synthesize prompts, check a catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from hotline.context import cli_state

if TYPE_CHECKING:
    from hotline.settings import Settings

ivr_app = typer.Typer(help="FastAGI voice menu: serve, prompts, catalogue.", no_args_is_help=True)
catalogue_app = typer.Typer(help="The IVR catalogue of topics and menus.", no_args_is_help=True)
ivr_app.add_typer(catalogue_app, name="catalogue")


def register(app: typer.Typer) -> None:
    app.add_typer(ivr_app, name="ivr")


@ivr_app.command()
def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="bind address (default: agi.host)"),
    port: int | None = typer.Option(None, help="TCP port (default: agi.port, 4573)"),
) -> None:
    """Serve the FastAGI IVR for Asterisk until Ctrl+C or SIGTERM (SIGHUP reloads the catalogue)."""
    from hotline.lifecycle import run
    from ivr.run import serve_forever

    settings = cli_state(ctx).settings()
    updates = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    if updates:
        settings = settings.model_copy(update={"agi": settings.agi.model_copy(update=updates)})
    run(serve_forever(settings))  # the loop and collector settings of every service


@ivr_app.command()
def prompts(
    ctx: typer.Context,
    sounds_dir: Path | None = typer.Option(None, help="Asterisk sounds folder (default: agi.sounds_dir)"),
    lang: list[str] = typer.Option([], "--lang", help="only these languages (repeatable)"),
) -> None:
    """Synthesize every missing catalogue prompt with espeak-ng (recorded prompts are kept)."""
    from hotline.catalogue import load_catalogue
    from ivr.prompts import synthesize_missing

    settings: Settings = cli_state(ctx).settings()
    catalogue = load_catalogue(settings.agi.catalogue_path)
    folder = sounds_dir or settings.agi.sounds_dir
    report = synthesize_missing(catalogue, folder, languages=lang or None)
    typer.echo(
        f"{folder / 'hotline'}: {len(report.created)} created, {len(report.refreshed)} re-synthesized "
        f"(text changed), {report.up_to_date} up to date, {len(report.kept_recorded)} recorded kept, "
        f"{len(report.failed)} failed"
    )
    for name in report.failed:
        typer.echo(f"failed: {name}", err=True)
    if report.failed:
        raise typer.Exit(1)


@catalogue_app.command("check")
def catalogue_check(
    ctx: typer.Context,
    path: Path | None = typer.Argument(
        None, help="YAML file (default: agi.catalogue_path or the shipped one)"
    ),
) -> None:
    """Validate a catalogue file; errors name the file, line and field."""
    from hotline.catalogue import load_catalogue

    if path is None:
        path = cli_state(ctx).settings().agi.catalogue_path
    catalogue = load_catalogue(path)
    prompt_count = sum(1 for _ in catalogue.prompt_texts())
    typer.echo(
        f"{catalogue.source}: OK - {len(catalogue.topics)} topics, {len(catalogue.menus)} menus, "
        f"languages {', '.join(catalogue.languages)}, {prompt_count} prompts"
    )
