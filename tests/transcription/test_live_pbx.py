"""The live PBX's burst scenario end to end: listener -> jobs -> per-speaker transcripts.

The production listener follows the captured AMI stream and registers each MixMonitor recording
with its -rx/-tx pair and the call's language; the worker then transcribes the answered calls per
speaker and skips the abandoned ones (header-only files), failing none.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline import db, jobs
from hotline.models import Call, JobStatus, Recording, Speaker, TranscriptionJob, TranscriptSegment
from tests.ami.support import lab_settings, replay_capture
from tests.ivr import live
from transcription.pipeline import run_pending

pytestmark = pytest.mark.vosk


async def test_burst_recordings_are_transcribed_per_speaker_in_the_calls_language(
    sqlite_engine: object, tmp_path: Path, ko_model_dir: Path
) -> None:
    factory = db.make_session_factory(sqlite_engine)  # type: ignore[arg-type]
    url = str(sqlite_engine.url)  # type: ignore[attr-defined]
    # The Korean model stands in for every language the calls chose.
    stand_in = dict.fromkeys(("ru", "uk", "en"), ko_model_dir)
    settings = lab_settings(url, tmp_path).model_copy(deep=True)
    settings = settings.model_copy(
        update={
            "transcription": settings.transcription.model_copy(update={"models": stand_in}),
        }
    )
    await replay_capture(live.LIVE / "burst" / "burst.ami", settings, factory)
    # The files the PBX wrote, where the listener's recordings folder expects them.
    folder = settings.recordings.dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for wav in (live.LIVE / "burst" / "recordings").glob("*.wav"):
        shutil.copy(wav, folder / wav.name)
    manifest = {Path(e["file"]).name: e for e in live.recordings_manifest("burst")}

    with factory() as session:
        rows = session.execute(
            select(Recording, TranscriptionJob, Call).join(TranscriptionJob).join(Call)
        ).all()
        shipped = [(r, j, c) for r, j, c in rows if Path(r.path).name in manifest]
        assert len(shipped) == len([name for name in manifest if not name.endswith(("-rx.wav", "-tx.wav"))])
        for recording, job, call in shipped:
            assert (recording.rx_path, recording.tx_path) == jobs.mixmonitor_pair(recording.path)
            assert job.language == call.language  # the job follows the call's language
        ids = [job.id for _r, job, _c in shipped]

    summary = run_pending(settings, factory, job_ids=ids)
    answered = [e for n, e in manifest.items() if not n.endswith(("-rx.wav", "-tx.wav")) and e["bytes"] > 44]
    abandoned = [
        e for n, e in manifest.items() if not n.endswith(("-rx.wav", "-tx.wav")) and e["bytes"] == 44
    ]
    assert (summary.done, summary.skipped, summary.failed) == (len(answered), len(abandoned), 0), (
        summary.failures
    )
    with factory() as session:
        statuses = {
            job.status
            for job in session.scalars(select(TranscriptionJob).where(TranscriptionJob.id.in_(ids)))
        }
        speakers = set(session.scalars(select(TranscriptSegment.speaker)))
    assert JobStatus.FAILED not in statuses
    assert speakers <= {Speaker.CALLER, Speaker.AGENT}
    assert Speaker.AGENT in speakers  # the operator's phrase, on the -tx side
