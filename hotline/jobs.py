"""Transcription jobs in the database: enqueue (idempotent), claim (safe across processes), finish.

A job is claimed by flipping it from queued to running in one statement, so two workers can never
take the same job: PostgreSQL picks the row with ``FOR UPDATE SKIP LOCKED``; SQLite serialises
writers and we confirm the claim with a conditional UPDATE (``WHERE status = 'queued'``).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.errors import TranscriptionError
from hotline.models import JobStatus, Recording, TranscriptionJob
from hotline.settings import TranscriptionSettings
from hotline.speech_models import model_path
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)

# A failure message is shown in tables and the API; keep it to one readable line.
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class ClaimedJob:
    """What a worker needs to run a job, detached from the session that claimed it."""

    job_id: int
    recording_id: int
    path: str
    rx_path: str | None
    tx_path: str | None
    language: str
    attempt: int


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue_recording(
    session: Session,
    *,
    path: str,
    pbx: str | None,
    linkedid: str | None,
    call_id: int | None,
    language: str,
    rx_path: str | None = None,
    tx_path: str | None = None,
    sha256: str | None = None,
) -> TranscriptionJob | None:
    """Register a recording and queue it for transcription; the same file twice gives one job.

    Returns the new job, or None when the recording was already known (by path, or by content hash
    when `sha256` is given). A known recording learns the call link if it did not have one yet.
    The caller owns the transaction (commit happens outside).
    """
    existing = session.scalar(select(Recording).where(Recording.path == path))
    if existing is None and sha256 is not None:
        existing = session.scalar(select(Recording).where(Recording.sha256 == sha256).limit(1))
    if existing is not None:
        _link(existing, pbx=pbx, linkedid=linkedid, call_id=call_id)
        if session.scalar(select(TranscriptionJob.id).where(TranscriptionJob.recording_id == existing.id)):
            return None
        job = TranscriptionJob(recording_id=existing.id, language=language)
        session.add(job)
        session.flush()
        return job
    recording = Recording(
        path=path,
        rx_path=rx_path,
        tx_path=tx_path,
        pbx=pbx,
        linkedid=linkedid,
        call_id=call_id,
        sha256=sha256,
    )
    try:
        # A savepoint: a concurrent enqueue of the same path must not poison the caller's transaction.
        with session.begin_nested():
            session.add(recording)
            session.flush()
            job = TranscriptionJob(recording_id=recording.id, language=language)
            session.add(job)
            session.flush()
    except IntegrityError:
        log.info("recording already registered concurrently", extra={"path": path})
        return None
    log.info("transcription queued", extra={"path": path, "job_id": job.id, "call_id": call_id})
    return job


@dataclass(frozen=True)
class RecordingToQueue:
    path: str
    pbx: str | None
    linkedid: str | None
    call_id: int | None
    language: str
    rx_path: str | None = None
    tx_path: str | None = None


def enqueue_recordings(session: Session, items: list[RecordingToQueue]) -> int:
    """`enqueue_recording` for many recordings at once (the AMI listener's batches): one query finds
    the known paths, the new recordings and their jobs are inserted with two statements. Returns how
    many jobs were queued. The caller owns the transaction; a path inserted concurrently raises
    IntegrityError (then queue them one by one)."""
    latest = {item.path: item for item in items}
    known = set(session.scalars(select(Recording.path).where(Recording.path.in_(sorted(latest)))))
    queued = 0
    for path in sorted(known):
        item = latest.pop(path)
        job = enqueue_recording(
            session,
            path=path,
            pbx=item.pbx,
            linkedid=item.linkedid,
            call_id=item.call_id,
            language=item.language,
            rx_path=item.rx_path,
            tx_path=item.tx_path,
        )
        queued += job is not None
    if not latest:
        return queued
    rows = [
        {
            "path": i.path,
            "rx_path": i.rx_path,
            "tx_path": i.tx_path,
            "pbx": i.pbx,
            "linkedid": i.linkedid,
            "call_id": i.call_id,
        }
        for i in latest.values()
    ]
    ids = session.execute(insert(Recording).returning(Recording.id, Recording.path), rows).all()
    jobs = [{"recording_id": rid, "language": latest[path].language} for rid, path in ids]
    session.execute(insert(TranscriptionJob), jobs)
    log.info("transcription queued", extra={"jobs": len(jobs)})
    return queued + len(jobs)


def mixmonitor_pair(path: str) -> tuple[str, str]:
    """The caller-only (-rx) and operator-only (-tx) files our dialplan's MixMonitor writes next to
    the mixed one (`r()`/`t()` options): NAME.wav -> NAME-rx.wav, NAME-tx.wav."""
    stem, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:
        stem, suffix = path, ""
    ext = f".{suffix}" if suffix else ""
    return f"{stem}-rx{ext}", f"{stem}-tx{ext}"


def queued_job_for(session: Session, path: str) -> int | None:
    """The queued job of a recording already registered under `path`, if any."""
    return session.scalar(
        select(TranscriptionJob.id)
        .join(Recording, Recording.id == TranscriptionJob.recording_id)
        .where(Recording.path == path, TranscriptionJob.status == JobStatus.QUEUED)
    )


def _link(recording: Recording, *, pbx: str | None, linkedid: str | None, call_id: int | None) -> None:
    if recording.call_id is None and call_id is not None:
        recording.call_id = call_id
    if recording.pbx is None and pbx is not None:
        recording.pbx = pbx
    if recording.linkedid is None and linkedid is not None:
        recording.linkedid = linkedid


def claim_next(
    session: Session,
    *,
    worker: str | None = None,
    longest_first: bool = False,
    only: Collection[int] | None = None,
) -> ClaimedJob | None:
    """Take the oldest queued job (marks it running, counts the attempt); None when there is none.

    `longest_first` takes the longest known recording first (a pool then finishes together instead
    of leaving one worker alone with a long file at the end); unknown lengths come last, oldest first.
    Commit the session right after, so other workers see the claim.
    """
    worker = worker or worker_name()
    postgres = session.get_bind().dialect.name == "postgresql"
    order: list[Any] = [TranscriptionJob.queued_at, TranscriptionJob.id]
    if longest_first:
        length = select(Recording.duration_s).where(Recording.id == TranscriptionJob.recording_id)
        order.insert(0, length.scalar_subquery().desc().nulls_last())
    for _ in range(20):
        candidate = (
            select(TranscriptionJob.id)
            .where(TranscriptionJob.status == JobStatus.QUEUED)
            .order_by(*order)
            .limit(1)
        )
        if only is not None:  # `hotline transcribe FILE`: these jobs and no others
            candidate = candidate.where(TranscriptionJob.id.in_(only))
        if postgres:
            candidate = candidate.with_for_update(skip_locked=True)
        job_id = session.scalar(candidate)
        if job_id is None:
            return None
        claimed = claim_job(session, job_id, worker=worker)
        if claimed is not None:
            return claimed
        # Another worker won this one between our SELECT and UPDATE; try the next.
    return None


def claim_job(session: Session, job_id: int, *, worker: str | None = None) -> ClaimedJob | None:
    """Claim one named job (Celery tasks carry the job id); None if it is not queued any more.

    The one claim: queued → running in a single conditional UPDATE, so two workers never both win."""
    claimed = session.execute(
        update(TranscriptionJob)
        .where(TranscriptionJob.id == job_id, TranscriptionJob.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            attempts=TranscriptionJob.attempts + 1,
            worker=(worker or worker_name())[:128],
            started_at=utcnow(),
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return _describe(session, job_id)


def _describe(session: Session, job_id: int) -> ClaimedJob:
    row = session.execute(
        select(TranscriptionJob, Recording)
        .join(Recording, Recording.id == TranscriptionJob.recording_id)
        .where(TranscriptionJob.id == job_id)
        .execution_options(populate_existing=True)
    ).one()
    job, recording = row
    return ClaimedJob(
        job_id=job.id,
        recording_id=recording.id,
        path=recording.path,
        rx_path=recording.rx_path,
        tx_path=recording.tx_path,
        language=job.language,
        attempt=job.attempts,
    )


def mark_done(session: Session, job_id: int) -> None:
    session.execute(
        update(TranscriptionJob)
        .where(TranscriptionJob.id == job_id)
        .values(status=JobStatus.DONE, error=None, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def mark_skipped(session: Session, job_id: int, reason: str) -> None:
    """Nothing to transcribe (not a failure): the job ends with the reason."""
    session.execute(
        update(TranscriptionJob)
        .where(TranscriptionJob.id == job_id)
        .values(
            status=JobStatus.SKIPPED, error=" ".join(reason.split())[:MAX_ERROR_CHARS], finished_at=utcnow()
        )
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, job_id: int, reason: str, *, retry: bool = False) -> None:
    """Record why a job failed; `retry` puts it back in the queue (transient errors)."""
    session.execute(
        update(TranscriptionJob)
        .where(TranscriptionJob.id == job_id)
        .values(
            status=JobStatus.QUEUED if retry else JobStatus.FAILED,
            error=" ".join(reason.split())[:MAX_ERROR_CHARS],
            finished_at=None if retry else utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def requeue_stale(session: Session, *, stale_after_s: float, max_attempts: int) -> tuple[int, int]:
    """Jobs running longer than `stale_after_s` belong to dead workers: queue them again.

    Jobs that already used `max_attempts` fail instead (a file that kills its worker every time
    must not loop forever). Returns (requeued, failed).
    """
    cutoff = utcnow() - timedelta(seconds=stale_after_s)
    stale = (TranscriptionJob.status == JobStatus.RUNNING, TranscriptionJob.started_at < cutoff)
    failed = session.execute(
        update(TranscriptionJob)
        .where(*stale, TranscriptionJob.attempts >= max_attempts)
        .values(
            status=JobStatus.FAILED,
            error=f"worker stopped responding during each of {max_attempts} attempts",
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    requeued = session.execute(
        update(TranscriptionJob)
        .where(*stale)
        .values(status=JobStatus.QUEUED, error="worker stopped responding; retried", worker=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if requeued or failed:
        log.warning("stale transcription jobs", extra={"requeued": requeued, "failed": failed})
    return int(requeued), int(failed)


def requeue_orphans(session: Session) -> int:
    """Running jobs claimed by a process of this host that no longer exists: queue them again now.

    (Jobs of other hosts wait for `requeue_stale`: we cannot see their processes.)
    """
    host = socket.gethostname()
    rows = session.execute(
        select(TranscriptionJob.id, TranscriptionJob.worker).where(
            TranscriptionJob.status == JobStatus.RUNNING, TranscriptionJob.worker.like(f"{host}:%")
        )
    ).all()
    dead = [job_id for job_id, worker in rows if not _alive(str(worker).rpartition(":")[2])]
    if dead:
        session.execute(
            update(TranscriptionJob)
            .where(TranscriptionJob.id.in_(dead), TranscriptionJob.status == JobStatus.RUNNING)
            .values(status=JobStatus.QUEUED, error="worker process died; retried", worker=None)
            .execution_options(synchronize_session=False)
        )
        log.warning("jobs of dead workers requeued", extra={"jobs": dead})
    return len(dead)


def _alive(pid_text: str) -> bool:
    if not pid_text.isdigit():
        return True  # not ours to judge
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def retry_failed(session: Session) -> int:
    """Put every failed job back in the queue (after the operator fixed the cause)."""
    return int(
        session.execute(
            update(TranscriptionJob)
            .where(TranscriptionJob.status == JobStatus.FAILED)
            .values(status=JobStatus.QUEUED, attempts=0, finished_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    )


def waiting_for_model(session: Session, config: TranscriptionSettings) -> dict[str, dict[str, int]]:
    """Jobs whose language has no usable Vosk model: {language: {"queued": n, "failed": n}}.

    They wait for `hotline models download …` (failed ones then need `hotline transcribe --retry-failed`).
    """
    rows = session.execute(
        select(TranscriptionJob.language, TranscriptionJob.status, func.count())
        .where(TranscriptionJob.status.in_((JobStatus.QUEUED, JobStatus.FAILED)))
        .group_by(TranscriptionJob.language, TranscriptionJob.status)
    ).all()
    missing: dict[str, dict[str, int]] = {}
    usable: dict[str, bool] = {}
    for language, status, count in rows:
        if language not in usable:
            try:
                model_path(config, language)
                usable[language] = True
            except TranscriptionError:
                usable[language] = False
        if not usable[language]:
            counts = missing.setdefault(language, {"queued": 0, "failed": 0})
            counts[JobStatus(status).value] += int(count)
    return missing
