"""Running queued transcription jobs: in this process, or on a pool of worker processes.

The parent claims jobs and writes results (one writer, short transactions); workers only read
audio and decode, each with its own copy of the model (Vosk models are not shared across processes).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline import jobs
from hotline.db import transaction
from hotline.errors import AudioError, HotlineError
from hotline.models import JobStatus, Recording, TranscriptionJob
from hotline.settings import Settings, TranscriptionSettings
from transcription.audio import AudioMeta, EmptyRecording, load_recording, sha256_of
from transcription.engine import Decoded, ModelCache, decode_tracks
from transcription.store import Analysis, catalogue_keywords, default_lexicon, save_transcript

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecodeResult:
    job: jobs.ClaimedJob
    model: str
    audio: AudioMeta
    decoded: Decoded
    sha256: str


@dataclass
class RunSummary:
    done: int = 0
    failed: int = 0
    skipped: int = 0  # nothing recorded: not a failure
    audio_s: float = 0.0
    decode_s: float = 0.0
    wall_s: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


# ---------------------------------------------------------------------------- one job, any process
_models: ModelCache | None = None


def _init_worker(settings: TranscriptionSettings) -> None:
    global _models
    _models = ModelCache(settings)


def decode_job(job: jobs.ClaimedJob) -> DecodeResult:
    """Read and decode one recording (runs in a worker process; uses that process's models)."""
    if _models is None:
        raise RuntimeError("worker not initialised")
    path = Path(job.path)
    audio = load_recording(
        path,
        Path(job.rx_path) if job.rx_path else None,
        Path(job.tx_path) if job.tx_path else None,
    )
    model, name = _models.get(job.language)
    decoded = decode_tracks(model, audio.tracks, _models.settings.vad_aggressiveness)
    digest = sha256_of(path) if path.exists() else sha256_of(Path(job.rx_path or job.path))
    return DecodeResult(job, name, audio.meta, decoded, digest)


# ---------------------------------------------------------------------------- the run
def run_pending(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    workers: int = 1,
    progress: bool = False,
    stop: threading.Event | None = None,
    models: ModelCache | None = None,
    job_ids: Collection[int] | None = None,
) -> RunSummary:
    """Transcribe the queued jobs (all, or only `job_ids`), then return.

    Jobs of dead workers are queued again first. `models` lets a long-lived process (the demo,
    tests) keep its loaded models between runs; pool workers always load their own. A job in a
    language without a model fails alone with the reason (how to get one); the others go on.
    """
    config = settings.transcription
    only = None if job_ids is None else frozenset(job_ids)
    with transaction(session_factory) as session:
        jobs.requeue_orphans(session)
        jobs.requeue_stale(session, stale_after_s=config.stale_after_s, max_attempts=config.max_attempts)
        counted = select(func.count()).where(TranscriptionJob.status == JobStatus.QUEUED)
        if only is not None:
            counted = counted.where(TranscriptionJob.id.in_(only))
        queued = session.scalar(counted) or 0
    # More processes than files would only load models that decode nothing (one file needs no pool).
    workers = min(workers, queued)
    analysis = load_analysis(settings)
    summary = RunSummary()
    started = time.perf_counter()
    with _Progress(session_factory, enabled=progress, only=only) as bar:
        on_result = _writer(session_factory, analysis, config, summary, bar.advance)
        if workers <= 1:
            _run_inline(session_factory, models or ModelCache(config), on_result, stop, only)
        else:
            _run_pool(session_factory, config, workers, on_result, stop, only)
    summary.wall_s = time.perf_counter() - started
    return summary


def run_job(
    settings: Settings, session_factory: sessionmaker[Session], job_id: int, analysis: Analysis
) -> str:
    """Claim and transcribe one named job in this process (a Celery task); returns its new state.

    A job another worker already took, or one already done, is left alone ("skipped").
    """
    with transaction(session_factory) as session:
        # A message redelivered after its worker died on this host finds the job still "running".
        jobs.requeue_orphans(session)
        job = jobs.claim_job(session, job_id)
    if job is None:
        return "skipped"
    if _models is None or _models.settings != settings.transcription:
        # Models follow the settings they were loaded for (one process may serve several: tests).
        _init_worker(settings.transcription)
    try:
        outcome: DecodeResult | BaseException = decode_job(job)
    except Exception as exc:
        outcome = exc
    summary = RunSummary()
    _writer(session_factory, analysis, settings.transcription, summary, lambda _audio_s: None)(job, outcome)
    if summary.skipped:
        return "skipped"
    return "done" if summary.done else "failed" if summary.failed else "queued"


def load_analysis(settings: Settings) -> Analysis:
    return Analysis(keywords=catalogue_keywords(settings.agi.catalogue_path), lexicon=default_lexicon())


ResultHandler = Callable[[jobs.ClaimedJob, DecodeResult | BaseException], None]


def _claim(
    session_factory: sessionmaker[Session], only: frozenset[int] | None, *, longest_first: bool = False
) -> jobs.ClaimedJob | None:
    with transaction(session_factory) as session:
        return jobs.claim_next(session, longest_first=longest_first, only=only)


def _run_inline(
    session_factory: sessionmaker[Session],
    models: ModelCache,
    on_result: ResultHandler,
    stop: threading.Event | None,
    only: frozenset[int] | None,
) -> None:
    global _models
    _models = models
    while not (stop and stop.is_set()):
        job = _claim(session_factory, only)
        if job is None:
            return
        try:
            outcome: DecodeResult | BaseException = decode_job(job)
        except Exception as exc:
            outcome = exc
        on_result(job, outcome)


def _run_pool(
    session_factory: sessionmaker[Session],
    config: TranscriptionSettings,
    workers: int,
    on_result: ResultHandler,
    stop: threading.Event | None,
    only: frozenset[int] | None,
) -> None:
    pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(config,))
    running: dict[Future[DecodeResult], jobs.ClaimedJob] = {}
    try:
        while True:
            # Keep each worker busy with one job and one waiting, so none idles while we write.
            while not (stop and stop.is_set()) and len(running) < 2 * workers:
                # Longest first: the run ends when the last file does, so no long file goes last.
                job = _claim(session_factory, only, longest_first=True)
                if job is None:
                    break
                running[pool.submit(decode_job, job)] = job
            if not running:
                return
            finished, _ = wait(running, timeout=1.0, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                try:
                    outcome: DecodeResult | BaseException = future.result()
                except BrokenProcessPool as exc:
                    outcome = exc
                except Exception as exc:
                    outcome = exc
                on_result(job, outcome)
            if any(isinstance(f.exception(), BrokenProcessPool) for f in finished if f.done()):
                pool.shutdown(cancel_futures=True)
                for job in running.values():
                    on_result(job, BrokenProcessPool("worker pool restarted"))
                running.clear()
                pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(config,))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _writer(
    session_factory: sessionmaker[Session],
    analysis: Analysis,
    config: TranscriptionSettings,
    summary: RunSummary,
    advance: Callable[[float], None],
) -> ResultHandler:
    def handle(job: jobs.ClaimedJob, outcome: DecodeResult | BaseException) -> None:
        with transaction(session_factory) as session:
            if isinstance(outcome, DecodeResult):
                save_transcript(
                    session,
                    recording_id=job.recording_id,
                    language=job.language,
                    model=outcome.model,
                    audio=outcome.audio,
                    decoded=outcome.decoded,
                    analysis=analysis,
                    sha256=outcome.sha256,
                )
                jobs.mark_done(session, job.job_id)
                summary.done += 1
                summary.audio_s += outcome.audio.duration_s
                summary.decode_s += outcome.decoded.decode_s
                advance(outcome.audio.duration_s)
                log.info(
                    "transcribed",
                    extra={
                        "path": job.path,
                        "audio_s": round(outcome.audio.duration_s, 2),
                        "decode_s": round(outcome.decoded.decode_s, 2),
                    },
                )
                return
            if isinstance(outcome, EmptyRecording):
                jobs.mark_skipped(session, job.job_id, str(outcome))
                summary.skipped += 1
                advance(0.0)
                log.info("nothing recorded; job skipped", extra={"path": job.path})
                return
            reason, retry = _reason(outcome, job, config)
            jobs.mark_failed(session, job.job_id, reason, retry=retry)
        if not retry:
            summary.failed += 1
            summary.failures.append((job.path, reason))
            advance(0.0)
        log.warning("transcription failed", extra={"path": job.path, "reason": reason, "retry": retry})

    return handle


def _reason(exc: BaseException, job: jobs.ClaimedJob, config: TranscriptionSettings) -> tuple[str, bool]:
    if isinstance(exc, AudioError | HotlineError):
        return str(exc), False
    if isinstance(exc, BrokenProcessPool):
        retry = job.attempt < config.max_attempts
        return f"worker process died while decoding (attempt {job.attempt})", retry
    log.error("unexpected transcription error", exc_info=exc, extra={"path": job.path})
    return f"unexpected {type(exc).__name__}: {exc}", False


class _Progress:
    """Files, audio hours and ETA on the terminal (rich), or nothing."""

    def __init__(
        self, session_factory: sessionmaker[Session], *, enabled: bool, only: frozenset[int] | None = None
    ) -> None:
        self._enabled = enabled
        self._only = only
        self._factory = session_factory
        self._bar: Any = None
        self._task: Any = None
        self._audio_done = 0.0
        self._audio_total = 0.0
        self._started = time.perf_counter()

    def __enter__(self) -> _Progress:
        if not self._enabled:
            return self
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        query = (
            select(func.count(), func.coalesce(func.sum(Recording.duration_s), 0.0))
            .select_from(TranscriptionJob)
            .join(Recording, Recording.id == TranscriptionJob.recording_id)
            .where(TranscriptionJob.status == JobStatus.QUEUED)
        )
        if self._only is not None:
            query = query.where(TranscriptionJob.id.in_(self._only))
        with self._factory() as session:
            queued = session.execute(query).one()
        self._audio_total = float(queued[1] or 0.0)
        self._bar = Progress(
            TextColumn("transcribing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[audio]}"),
            TimeRemainingColumn(),
        )
        self._task = self._bar.add_task("files", total=int(queued[0]), audio=self._audio_text())
        self._bar.start()
        return self

    def _audio_text(self) -> str:
        total = f" of {self._audio_total / 3600:.2f}" if self._audio_total else ""
        return f"{self._audio_done / 3600:.2f}{total} h audio"

    def advance(self, audio_s: float) -> None:
        if self._bar is None:
            return
        self._audio_done += audio_s
        self._bar.update(self._task, advance=1, audio=self._audio_text())

    def __exit__(self, *_exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
