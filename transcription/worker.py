"""Transcription beyond one machine: Celery workers that share the database and recordings storage.

The database stays the source of truth: a message only names a job, and a worker claims it with
the same conditional UPDATE as local workers, so a duplicated or replayed message does no harm and
a lost one is picked up by the next `dispatch_pending` (or `hotline transcribe`).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import jobs
from hotline.db import make_engine, make_session_factory, transaction
from hotline.errors import ConfigError
from hotline.models import JobStatus, TranscriptionJob
from hotline.settings import Settings
from transcription.pipeline import RunSummary, load_analysis, run_job, run_pending

__all__ = ["RunSummary", "dispatch_pending", "make_celery", "run_pending"]

log = logging.getLogger(__name__)
TASK_NAME = "hotline.transcription.transcribe_job"
QUEUE = "hotline-transcription"


def make_celery(settings: Settings) -> Any:
    """The Celery app of the transcription workers; the broker comes from settings.broker.url."""
    from celery import Celery

    if not settings.broker.url:
        raise ConfigError("broker.url (HOTLINE_BROKER__URL) is not set; e.g. redis://127.0.0.1:6379/0")
    app = Celery("hotline", broker=settings.broker.url, backend=settings.broker.url)
    app.conf.update(
        task_default_queue=QUEUE,
        # A job is acknowledged only when it finished: a worker killed mid-file leaves the message
        # for another worker (and the DB job for requeue_stale).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=3600,
    )
    state: dict[int, tuple[sessionmaker[Session], Any]] = {}

    def runtime() -> tuple[sessionmaker[Session], Any]:
        # Engines and models must not cross a fork: build them once per worker process.
        pid = os.getpid()
        if pid not in state:
            state.clear()
            state[pid] = (make_session_factory(make_engine(settings.database)), load_analysis(settings))
        return state[pid]

    @app.task(name=TASK_NAME)  # type: ignore[untyped-decorator]
    def transcribe_job(job_id: int) -> str:
        factory, analysis = runtime()
        result = run_job(settings, factory, job_id, analysis)
        log.info("celery job", extra={"job_id": job_id, "result": result})
        return result

    return app


def dispatch_pending(app: Any, session_factory: sessionmaker[Session], settings: Settings) -> list[Any]:
    """Send one task per queued job (after putting dead workers' jobs back); returns the results."""
    config = settings.transcription
    with transaction(session_factory) as session:
        jobs.requeue_stale(session, stale_after_s=config.stale_after_s, max_attempts=config.max_attempts)
        job_ids = session.scalars(
            select(TranscriptionJob.id)
            .where(TranscriptionJob.status == JobStatus.QUEUED)
            .order_by(TranscriptionJob.queued_at, TranscriptionJob.id)
        ).all()
    return [app.send_task(TASK_NAME, args=[job_id], queue=QUEUE) for job_id in job_ids]
