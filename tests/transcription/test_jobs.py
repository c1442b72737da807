"""Jobs: one job per recording, claims never collide, dead workers' jobs come back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline import jobs
from hotline.db import transaction
from hotline.models import JobStatus, Recording, TranscriptionJob
from hotline.timeutil import utcnow


def _enqueue(factory: sessionmaker[Session], path: str, **kw: object) -> int | None:
    with transaction(factory) as session:
        job = jobs.enqueue_recording(
            session,
            path=path,
            pbx="pbx1",
            linkedid=None,
            call_id=None,
            language="ru",
            **kw,  # type: ignore[arg-type]
        )
        return None if job is None else job.id


def test_same_recording_twice_gives_one_job(session_factory: sessionmaker[Session]) -> None:
    first = _enqueue(session_factory, "/rec/a.wav")
    assert first is not None
    assert _enqueue(session_factory, "/rec/a.wav") is None
    # Same content under another name (an import of a copied folder) is recognised by its hash.
    assert _enqueue(session_factory, "/rec/b.wav", sha256="ab" * 32) is not None
    assert _enqueue(session_factory, "/copy/b.wav", sha256="ab" * 32) is None
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Recording)) == 2
        assert session.scalar(select(func.count()).select_from(TranscriptionJob)) == 2


def test_claims_hand_out_each_job_once_in_queue_order(session_factory: sessionmaker[Session]) -> None:
    ids = [_enqueue(session_factory, f"/rec/{n}.wav") for n in range(3)]
    claimed = []
    while True:
        with transaction(session_factory) as session:
            job = jobs.claim_next(session, worker="w1")
        if job is None:
            break
        claimed.append(job.job_id)
        assert job.attempt == 1
    assert claimed == ids
    with transaction(session_factory) as session:
        jobs.mark_done(session, claimed[0])
        jobs.mark_failed(session, claimed[1], "cannot read\nthe file")
    with session_factory() as session:
        states = dict(session.execute(select(TranscriptionJob.id, TranscriptionJob.status)).all())
        failed = session.get(TranscriptionJob, claimed[1])
        assert failed is not None
        assert failed.error == "cannot read the file"
    assert states == {claimed[0]: JobStatus.DONE, claimed[1]: JobStatus.FAILED, claimed[2]: JobStatus.RUNNING}


def test_pool_claims_take_long_recordings_first(session_factory: sessionmaker[Session]) -> None:
    # A pool that leaves a long file for last ends with one worker busy and the others idle.
    lengths = {"/rec/short.wav": 20.0, "/rec/unknown.wav": None, "/rec/long.wav": 600.0, "/rec/mid.wav": 60.0}
    for path, length in lengths.items():
        _enqueue(session_factory, path)
        with transaction(session_factory) as session:
            recording = session.scalar(select(Recording).where(Recording.path == path))
            assert recording is not None
            recording.duration_s = length
    claimed = []
    while True:
        with transaction(session_factory) as session:
            job = jobs.claim_next(session, longest_first=True)
        if job is None:
            break
        claimed.append(job.path)
    assert claimed == ["/rec/long.wav", "/rec/mid.wav", "/rec/short.wav", "/rec/unknown.wav"]


def test_job_of_a_dead_worker_is_retried_then_given_up(session_factory: sessionmaker[Session]) -> None:
    job_id = _enqueue(session_factory, "/rec/killer.wav")
    for attempt in (1, 2):
        with transaction(session_factory) as session:
            claimed = jobs.claim_next(session, worker="dead")
            assert claimed is not None
            assert claimed.attempt == attempt
            # The worker died: its job stays "running" with an old start time.
            session.execute(update(TranscriptionJob).values(started_at=utcnow() - timedelta(hours=2)))
        with transaction(session_factory) as session:
            requeued, failed = jobs.requeue_stale(session, stale_after_s=3600, max_attempts=2)
        assert (requeued, failed) == ((1, 0) if attempt == 1 else (0, 1))
    with session_factory() as session:
        job = session.get(TranscriptionJob, job_id)
        assert job is not None
        assert job.status == JobStatus.FAILED
        assert "2 attempts" in (job.error or "")


def test_fresh_running_job_is_not_taken_from_its_worker(session_factory: sessionmaker[Session]) -> None:
    _enqueue(session_factory, "/rec/busy.wav")
    with transaction(session_factory) as session:
        assert jobs.claim_next(session) is not None
    with transaction(session_factory) as session:
        assert jobs.requeue_stale(session, stale_after_s=3600, max_attempts=3) == (0, 0)
        assert jobs.claim_next(session) is None
