"""Queued recordings become transcripts; bad files fail alone; a killed worker's job is retried."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline import db, jobs
from hotline.db import transaction
from hotline.models import JobStatus, Recording, Speaker, Transcript, TranscriptionJob, TranscriptSegment
from hotline.settings import DatabaseSettings
from tests.ivr import live
from transcription.audio import split_pair
from transcription.pipeline import run_pending

from .conftest import KO, SHORT_SPEECH, engine_settings, short_copy, short_split_call

pytestmark = pytest.mark.vosk


def _enqueue(factory: sessionmaker[Session], path: Path, language: str = KO) -> None:
    rx, tx = split_pair(path)
    with transaction(factory) as session:
        jobs.enqueue_recording(
            session,
            path=str(path),
            pbx=None,
            linkedid=None,
            call_id=None,
            language=language,
            rx_path=str(rx) if rx else None,
            tx_path=str(tx) if tx else None,
        )


def test_good_files_are_transcribed_and_broken_ones_fail_alone(
    session_factory: sessionmaker[Session], db_url: str, tmp_path: Path, ko_model_dir: Path, ko_models: Any
) -> None:
    # Long enough for the caller's first words (3.7-7.2 s) as well as the operator's greeting.
    split_call = short_split_call(tmp_path / "split", 8.0)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00")
    missing = tmp_path / "gone.wav"
    for path in (SHORT_SPEECH, broken, split_call, missing):
        _enqueue(session_factory, path)
    _enqueue(session_factory, SHORT_SPEECH)  # the same file again

    settings = engine_settings(db_url, tmp_path, ko_model_dir)
    summary = run_pending(settings, session_factory, models=ko_models)

    assert (summary.done, summary.failed) == (2, 2)
    assert summary.audio_s == pytest.approx(2.0 + 8.0, abs=0.1)
    with session_factory() as session:
        failures = dict(
            session.execute(
                select(Recording.path, TranscriptionJob.error)
                .join(TranscriptionJob)
                .where(TranscriptionJob.status == JobStatus.FAILED)
            ).all()
        )
        assert "not a readable audio file" in failures[str(broken)]
        assert "file not found" in failures[str(missing)]
        assert session.scalar(select(func.count()).select_from(Transcript)) == 2
        split = session.scalar(select(Transcript).join(Recording).where(Recording.path == str(split_call)))
        assert split is not None
        assert split.model == "model"
        assert split.decode_s > 0
        assert split.audio_duration_s == pytest.approx(8.0, abs=0.01)
        speakers = set(
            session.scalars(
                select(TranscriptSegment.speaker).where(TranscriptSegment.transcript_id == split.id)
            )
        )
        assert {s.value for s in speakers} == {"caller", "agent"}
        recording = session.scalar(select(Recording).where(Recording.path == str(split_call)))
        assert recording is not None
        assert (recording.sample_rate, recording.channels) == (8000, 2)
        assert recording.sha256 is not None


def test_a_language_without_a_model_fails_alone_and_the_rest_go_on(
    sqlite_engine: object, tmp_path: Path, ko_model_dir: Path, ko_models: Any
) -> None:
    """One job in `ru` (no model configured) used to stop every run with 38 good jobs left queued."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    factory = db.make_session_factory(db.make_engine(DatabaseSettings(url=url)))
    _enqueue(factory, SHORT_SPEECH, language="ru")
    _enqueue(factory, short_copy(SHORT_SPEECH, tmp_path / "ko", 1.5, skip=7))
    settings = engine_settings(url, tmp_path, ko_model_dir)
    summary = run_pending(settings, factory, models=ko_models)
    assert (summary.done, summary.failed) == (1, 1)
    with factory() as session:
        by_language = {job.language: job for job in session.scalars(select(TranscriptionJob))}
        assert by_language[KO].status == JobStatus.DONE
        assert by_language["ru"].status == JobStatus.FAILED
        assert "hotline models download vosk-model-small-ru" in (by_language["ru"].error or "")
        assert jobs.waiting_for_model(session, settings.transcription) == {"ru": {"queued": 0, "failed": 1}}


def test_only_the_given_jobs_are_transcribed(
    session_factory: sessionmaker[Session], db_url: str, tmp_path: Path, ko_model_dir: Path, ko_models: Any
) -> None:
    other = short_copy(SHORT_SPEECH, tmp_path / "other", 1.0, skip=3)
    _enqueue(session_factory, other)
    _enqueue(session_factory, short_copy(SHORT_SPEECH, tmp_path / "given", 1.0, skip=5))
    with session_factory() as session:
        given = jobs.queued_job_for(session, str(tmp_path / "given" / SHORT_SPEECH.name))
    assert given is not None
    settings = engine_settings(db_url, tmp_path, ko_model_dir)
    summary = run_pending(settings, session_factory, models=ko_models, job_ids=[given])
    assert summary.done == 1
    with session_factory() as session:
        assert jobs.queued_job_for(session, str(other)) is not None  # left for `--drain` or the worker


def test_live_recordings_are_transcribed_per_speaker_and_empty_ones_skipped(
    session_factory: sessionmaker[Session], db_url: str, tmp_path: Path, ko_model_dir: Path, ko_models: Any
) -> None:
    """Answered and abandoned calls MixMonitor recorded on the live PBX, registered as the listener does."""
    manifest = live.recordings_manifest("burst")
    mixed = [e for e in manifest if not e["file"].endswith(("-rx.wav", "-tx.wav"))]
    with transaction(session_factory) as session:
        for entry in mixed:
            path = str(live.LIVE / "burst" / entry["file"])
            rx, tx = jobs.mixmonitor_pair(path)
            jobs.enqueue_recording(
                session, path=path, pbx="lab", linkedid=entry["linkedid"], call_id=None, language=KO,
                rx_path=rx, tx_path=tx,
            )  # fmt: skip
    settings = engine_settings(db_url, tmp_path, ko_model_dir)
    summary = run_pending(settings, session_factory, models=ko_models)
    answered = [e for e in mixed if e["outcome"] == "answered"]
    abandoned = [e for e in mixed if e["outcome"] != "answered"]
    assert answered
    assert abandoned
    assert all(e["bytes"] == 44 for e in abandoned)
    assert (summary.done, summary.failed, summary.skipped) == (len(answered), 0, len(abandoned))
    with session_factory() as session:
        skipped = session.scalars(
            select(TranscriptionJob).where(TranscriptionJob.status == JobStatus.SKIPPED)
        )
        assert all("nothing recorded" in (job.error or "") for job in skipped)
        speakers = set(session.scalars(select(TranscriptSegment.speaker)))
    # The operator's phrase is on the -tx side; nothing is ever `mixed` when the pair exists.
    assert Speaker.MIXED not in speakers


WORKER = """
import sys
from hotline import db
from hotline.settings import load_settings
from transcription.pipeline import run_pending
settings = load_settings(None, demo=True, database={"url": sys.argv[1]},
                         transcription={"models": {"ko": sys.argv[2]}})
run_pending(settings, db.make_session_factory(db.make_engine(settings.database)))
"""


@pytest.mark.slow
def test_job_of_a_killed_worker_is_retried_and_finished(
    tmp_path: Path, ko_model_dir: Path, ko_models: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = db.make_engine(DatabaseSettings(url=url))
    db.upgrade(engine)
    factory = db.make_session_factory(engine)
    _enqueue(factory, SHORT_SPEECH)
    worker = subprocess.Popen([sys.executable, "-c", WORKER, url, str(ko_model_dir)], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with factory() as session:
                if session.scalar(select(TranscriptionJob.status)) == JobStatus.RUNNING:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the worker never claimed the job")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        worker.kill()
    with factory() as session:
        assert session.scalar(select(TranscriptionJob.status)) == JobStatus.RUNNING

    summary = run_pending(engine_settings(url, tmp_path, ko_model_dir), factory, models=ko_models)

    assert summary.done == 1
    with factory() as session:
        job = session.scalars(select(TranscriptionJob)).one()
        assert job.status == JobStatus.DONE
        assert job.attempts == 2
        assert session.scalar(select(func.count()).select_from(Transcript)) == 1
    engine.dispose()


@pytest.mark.slow
def test_process_pool_transcribes_every_job_once(tmp_path: Path, ko_model_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = db.make_engine(DatabaseSettings(url=url))
    db.upgrade(engine)
    factory = db.make_session_factory(engine)
    for n in range(4):
        _enqueue(factory, short_copy(SHORT_SPEECH, tmp_path / f"call-{n}", 2.0, skip=n * 80))

    summary = run_pending(engine_settings(url, tmp_path, ko_model_dir), factory, workers=2)

    assert (summary.done, summary.failed) == (4, 0)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Transcript)) == 4
        workers = set(session.scalars(select(TranscriptionJob.worker)))
        assert len(workers) == 1  # the parent claims; the pool only decodes
        assert {j.attempts for j in session.scalars(select(TranscriptionJob))} == {1}
    engine.dispose()
