"""The demo with a Vosk model: its shipped recordings go through the real engine, the others are set aside."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hotline import db
from hotline.jobs import enqueue_recording
from hotline.models import JobStatus, Transcript, TranscriptionJob, TranscriptSegment
from hotline_app.demo import prepare_folder
from hotline_app.demo_transcripts import NOT_SHIPPED, demo_manifest, set_aside_unshipped, transcribe_shipped
from tests.conftest import demo_settings
from transcription.pipeline import load_analysis

pytestmark = [pytest.mark.vosk, pytest.mark.slow]


def test_shipped_recording_is_transcribed_by_the_configured_model(
    engine: Engine, tmp_path: Path, ko_model_dir: Path
) -> None:
    folder = tmp_path / "demo"
    prepare_folder(folder)
    settings = demo_settings(str(engine.url), tmp_path, transcription={"models": {"ru": str(ko_model_dir)}})
    factory = db.make_session_factory(engine)
    shipped = min(demo_manifest(), key=lambda name: (folder / "recordings" / name).stat().st_size)
    with db.transaction(factory) as session:
        for name in (shipped, "passes-ce999-1795317199.9.wav"):
            enqueue_recording(
                session, path=str(folder / "recordings" / name), pbx="demo", linkedid=None, call_id=None,
                language="ru",
            )  # fmt: skip

    assert set_aside_unshipped(factory, demo_manifest()) == 1
    stopping = threading.Event()
    stopping.set()  # Ctrl-C: no new file is started
    analysis = load_analysis(settings)
    assert transcribe_shipped(settings, factory, demo_manifest(), analysis, stopping) == 0
    assert transcribe_shipped(settings, factory, demo_manifest(), analysis) == 1

    with factory() as session:
        jobs = sorted(session.execute(select(TranscriptionJob.status, TranscriptionJob.error)).all())
        transcript = session.scalars(select(Transcript)).one()
        segments = session.scalars(select(TranscriptSegment)).all()
    assert jobs == [(JobStatus.DONE, None), (JobStatus.FAILED, NOT_SHIPPED)]
    assert transcript.model == ko_model_dir.name  # the engine's own output, not the script
    assert transcript.audio_duration_s == pytest.approx(17.5, abs=0.5)
    assert segments  # the Korean model hears something in Russian speech; what, is not our concern
