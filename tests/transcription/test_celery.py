"""Transcription on a Celery worker through the real Redis broker; duplicate messages are harmless."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hotline import db, jobs
from hotline.db import transaction
from hotline.models import JobStatus, Transcript, TranscriptionJob
from tests.conftest import REDIS_URL, demo_settings, service_missing
from transcription.worker import dispatch_pending, make_celery

from .conftest import KO, SHORT_SPEECH

pytestmark = [pytest.mark.redis, pytest.mark.vosk, pytest.mark.slow]


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing("Redis", f"{REDIS_URL}: {exc}")
    client.flushdb()
    client.close()
    return REDIS_URL


def test_celery_worker_transcribes_a_dispatched_job_once(
    redis_url: str, sqlite_engine: Engine, tmp_path: Path, ko_model_dir: Path
) -> None:
    from celery.contrib.testing.worker import start_worker

    settings = demo_settings(
        str(sqlite_engine.url),
        tmp_path,
        broker={"url": redis_url},
        transcription={"models": {KO: str(ko_model_dir)}},
    )
    factory = db.make_session_factory(sqlite_engine)
    with transaction(factory) as session:
        jobs.enqueue_recording(
            session, path=str(SHORT_SPEECH), pbx=None, linkedid=None,
            call_id=None, language=KO,
        )  # fmt: skip
    app = make_celery(settings)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        first = dispatch_pending(app, factory, settings)
        assert [r.get(timeout=60) for r in first] == ["done"]
        # A message sent twice (a retry, a replay) finds the job done and does nothing.
        duplicate = app.send_task("hotline.transcription.transcribe_job", args=[1])
        assert duplicate.get(timeout=30) == "skipped"
    with factory() as session:
        job = session.scalars(select(TranscriptionJob)).one()
        assert job.status == JobStatus.DONE
        assert job.attempts == 1
        assert len(session.scalars(select(Transcript)).all()) == 1
