"""`hotline transcribe`, `search`, `models …` and `worker` (heavy imports stay inside the commands)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer

from hotline.context import cli_sessions, cli_state

models_app = typer.Typer(help="Vosk speech models: download and list.", no_args_is_help=True)

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg"}


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("transcribe")(transcribe_command)
    app.command("search")(search_command)
    app.command("worker")(worker_command)
    app.add_typer(models_app, name="models")


def _recordings(paths: list[Path]) -> list[tuple[Path, Path | None, Path | None]]:
    """(main path, rx, tx) for every recording under PATHS; -rx/-tx files join their call's entry.

    In a folder, a symlink that leads outside the folder is skipped with a warning: importing a folder
    must not read (and store the transcript of) a file elsewhere that someone linked in.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            root = path.resolve()
            for found in sorted(path.rglob("*")):
                if found.suffix.lower() not in AUDIO_SUFFIXES:
                    continue
                if not found.resolve().is_relative_to(root):
                    typer.secho(f"warning: {found}: a link to a file outside {path}; skipped", err=True)
                    continue
                files.append(found)
        else:
            files.append(path)
    calls: dict[Path, tuple[Path, Path | None, Path | None]] = {}
    for file in files:
        file = file.resolve()
        stem = file.stem
        if stem.endswith(("-rx", "-tx")):
            main = file.with_name(stem[:-3] + file.suffix)
            _, rx, tx = calls.get(main, (main, None, None))
            calls[main] = (main, file, tx) if stem.endswith("-rx") else (main, rx, file)
        else:
            calls.setdefault(file, (file, None, None))
    result: list[tuple[Path, Path | None, Path | None]] = []
    for main, rx, tx in calls.values():
        if (rx is None) != (tx is None):  # half a pair: transcribe the half as its own file
            result.append((rx or tx or main, None, None))
            if main.exists():
                result.append((main, None, None))
        else:
            result.append((main, rx, tx))
    return result


def _duration(path: Path) -> float | None:
    import soundfile as sf

    try:
        return float(sf.info(str(path)).duration)
    except (RuntimeError, OSError, ValueError):
        return None  # unreadable: the job will fail with the reason


def transcribe_command(
    ctx: typer.Context,
    paths: list[Path] | None = typer.Argument(
        None, help="recordings or folders of recordings (imported as is)"
    ),
    drain: bool = typer.Option(
        False, "--drain", help="transcribe every queued job (the listener's too), not only PATHS"
    ),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="queue failed jobs again first (e.g. after installing a model)"
    ),
    workers: int = typer.Option(0, "--workers", "-w", min=0, help="processes (0 = settings)"),
    language: str | None = typer.Option(None, "--language", "-l", help="ru, uk, en (default: settings)"),
    queue_only: bool = typer.Option(
        False, "--queue-only", help="only register the jobs (for `hotline worker`)"
    ),
    dispatch: bool = typer.Option(False, "--dispatch", help="send queued jobs to Celery workers"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="progress bar"),
) -> None:
    """Transcribe the recordings given (files or folders), or with --drain every queued job.

    The same file twice is transcribed once.
    """
    from hotline import jobs
    from hotline.db import transaction
    from hotline.models import Recording
    from transcription.audio import sha256_of
    from transcription.pipeline import run_pending

    if not paths and not drain:
        raise typer.BadParameter("give recordings to transcribe, or --drain for every queued job")
    settings = cli_state(ctx).settings()
    factory = cli_sessions(ctx)
    lang = language or settings.transcription.default_language
    new = known = 0
    given: set[int] = set()
    with transaction(factory) as session:
        if retry_failed:
            typer.echo(f"queued {jobs.retry_failed(session)} failed job(s) again")
        for main, rx, tx in _recordings(paths or []):
            exists = main.exists() or rx is not None
            digest = sha256_of(main) if main.exists() else None
            job = jobs.enqueue_recording(
                session, path=str(main), pbx=None, linkedid=None, call_id=None, language=lang,
                rx_path=str(rx) if rx else None, tx_path=str(tx) if tx else None, sha256=digest,
            )  # fmt: skip
            if job is None:
                known += 1
                queued = jobs.queued_job_for(session, str(main))
                if queued is not None:
                    given.add(queued)
            else:
                given.add(job.id)
                new += 1
                # The header gives the length now, so the progress bar can show audio hours and ETA.
                recording = session.get(Recording, job.recording_id)
                if recording is not None:
                    recording.duration_s = _duration(rx or main)
            if not exists:
                typer.secho(f"warning: {main}: file not found (queued; it will fail)", err=True)
    typer.echo(f"queued {new} new recording(s), {known} already known")
    if queue_only:
        return
    if dispatch:
        from transcription.worker import dispatch_pending, make_celery

        sent = dispatch_pending(make_celery(settings), factory, settings)
        typer.echo(f"sent {len(sent)} job(s) to the Celery workers")
        return
    summary = run_pending(
        settings,
        factory,
        workers=workers or settings.transcription.workers,
        progress=progress,
        job_ids=None if drain else given,
    )
    speed = summary.audio_s / summary.wall_s if summary.wall_s else 0.0
    typer.echo(
        f"done {summary.done}, failed {summary.failed}, skipped {summary.skipped} (nothing recorded); "
        f"{summary.audio_s / 3600:.2f} h of audio "
        f"in {summary.wall_s:.1f} s ({speed:.1f}x real time)"
    )
    for path, reason in summary.failures:
        typer.secho(f"failed: {path}: {reason}", fg=typer.colors.RED, err=True)
    if summary.failed:
        raise typer.Exit(1)


def search_command(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="words to find, in any form (пропуска finds пропуск)"),
    since: datetime | None = typer.Option(None, "--since", help="calls from (ISO date/time, UTC)"),
    until: datetime | None = typer.Option(None, "--until", help="calls before (ISO date/time, UTC)"),
    queue: str | None = typer.Option(None, "--queue"),
    topic: str | None = typer.Option(None, "--topic"),
    speaker: str | None = typer.Option(None, "--speaker", help="caller, agent or mixed"),
    agent: str | None = typer.Option(None, "--agent", help="operator name"),
    pbx: str | None = typer.Option(None, "--pbx"),
    limit: int = typer.Option(20, "--limit", min=1, max=500),
    offset: int = typer.Option(0, "--offset", min=0),
    redact_output: bool = typer.Option(False, "--redact", help="mask phone/card/dictated numbers"),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table or json"),
) -> None:
    """Search transcripts; each hit gives the call, speaker and the second the words were said."""
    import json
    from dataclasses import asdict
    from datetime import UTC

    from hotline.text.masking import redact
    from hotline.text.search import search

    settings = cli_state(ctx).settings()
    factory = cli_sessions(ctx)

    def aware(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    with factory() as session:
        page = search(
            session, query=query, since=aware(since), until=aware(until), queue=queue, topic=topic,
            speaker=speaker, agent=agent, pbx=pbx, limit=limit, offset=offset,
        )  # fmt: skip
    hits = [asdict(hit) for hit in page.hits]
    if redact_output:
        for hit in hits:
            hit["snippet"] = redact(hit["snippet"])
    if output is OutputFormat.json:
        result = {"total": page.total, "total_capped": page.total_capped, "hits": hits}
        typer.echo(json.dumps(result, ensure_ascii=False, default=str, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    total = f"{page.total}+" if page.total_capped else str(page.total)  # counting stops at COUNT_CAP
    table = Table(title=f"{total} hit(s) for {query!r}", show_lines=False)
    for column in ("call", "started", "queue", "speaker", "at", "snippet"):
        table.add_column(column)
    for hit in hits:
        started = (
            hit["started_at"].astimezone(settings.zone).strftime("%d.%m.%Y %H:%M")
            if hit["started_at"]
            else ""
        )
        minutes, seconds = divmod(int(hit["start_s"]), 60)
        table.add_row(
            str(hit["call_id"] or f"rec {hit['recording_id']}"), started, hit["queue"] or "", hit["speaker"],
            f"{minutes}:{seconds:02d}", hit["snippet"],
        )  # fmt: skip
    Console().print(table)


def worker_command(
    ctx: typer.Context,
    concurrency: int = typer.Option(0, "--concurrency", "-c", min=0, help="processes (0 = settings)"),
) -> None:
    """Run a Celery transcription worker (broker from settings.broker.url)."""
    from transcription.worker import QUEUE, make_celery

    settings = cli_state(ctx).settings()
    app = make_celery(settings)
    app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency or settings.transcription.workers}",
            f"--queues={QUEUE}",
            "--loglevel=INFO",
        ]
    )


@models_app.command("download")
def download_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="model name, e.g. vosk-model-small-ru-0.22"),
    url: str | None = typer.Option(None, "--url", help="archive URL (default: the official Vosk archive)"),
    sha256: str | None = typer.Option(None, "--sha256", help="expected SHA-256 of the archive"),
    base_url: str = typer.Option(
        "https://alphacephei.com/vosk/models/",
        "--base-url",
        help="where the archives and model-list.json live",
    ),
) -> None:
    """Download, verify and unpack a Vosk model into the models folder."""
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    from transcription.models import download_model

    settings = cli_state(ctx).settings()
    with Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn()) as bar:
        task = bar.add_task(name, total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        model = download_model(
            name,
            settings.transcription.models_dir,
            url=url,
            sha256=sha256,
            base_url=base_url,
            progress=advance,
        )
    typer.echo(f"installed {model.name} in {model.path} ({model.size_bytes / 1e6:.1f} MB)")


@models_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List configured and downloaded models."""
    from transcription.models import installed_models

    settings = cli_state(ctx).settings()
    config = settings.transcription
    rows = installed_models(config.models_dir, dict(config.models))
    if not rows:
        typer.echo(
            f"no models in {config.models_dir}; run `hotline models download vosk-model-small-ru-0.22`"
        )
    for language, path, state in rows:
        typer.echo(f"{language:4} {state:8} {path}")
    from sqlalchemy.exc import SQLAlchemyError

    from hotline.jobs import waiting_for_model
    from hotline.speech_models import SUGGESTED_MODELS

    try:
        with cli_sessions(ctx)() as session:
            waiting = waiting_for_model(session, config)
    except SQLAlchemyError as exc:  # the models are listed anyway; only the job counts are missing
        typer.echo(f"(jobs waiting for a model: unknown, database unavailable: {type(exc).__name__})")
        return
    for language, counts in sorted(waiting.items()):
        suggestion = SUGGESTED_MODELS.get(language, f"vosk-model-small-{language}-<version>")
        typer.secho(
            f"{language:4} no model: {counts['queued']} queued and {counts['failed']} failed job(s) wait for "
            f"it; `hotline models download {suggestion}`, then `hotline transcribe --drain --retry-failed`",
            fg=typer.colors.YELLOW,
        )
