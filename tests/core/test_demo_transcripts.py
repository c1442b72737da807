"""Without a Vosk model the demo still has searchable calls: the capture's script, labelled as such."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from hotline import db
from hotline.jobs import enqueue_recording
from hotline.models import JobStatus, Transcript, TranscriptionJob
from hotline.text.search import search
from hotline_app.demo_transcripts import (
    NOT_SHIPPED,
    REFERENCE_MODEL,
    demo_manifest,
    model_missing,
    set_aside_unshipped,
    store_reference_transcripts,
)
from tests.conftest import demo_settings
from transcription.pipeline import load_analysis


def test_shipped_recordings_get_the_capture_script_and_become_searchable(
    engine: Engine, tmp_path: Path
) -> None:
    factory = db.make_session_factory(engine)
    manifest = demo_manifest()
    analysis = load_analysis(demo_settings(str(engine.url), tmp_path))
    shipped = next(name for name in manifest if name.startswith("other-"))  # the rubbish-collection call
    with db.transaction(factory) as session:
        for path in (f"/demo/recordings/{shipped}", "/demo/recordings/passes-ce999-1795317199.9.wav"):
            enqueue_recording(session, path=path, pbx="demo", linkedid=None, call_id=None, language="ru")

    assert set_aside_unshipped(factory, manifest) == 1
    assert store_reference_transcripts(factory, manifest, analysis) == 1
    assert store_reference_transcripts(factory, manifest, analysis) == 0  # done once, not again

    with factory() as session:
        jobs = session.execute(select(TranscriptionJob.status, TranscriptionJob.error)).all()
        assert sorted(jobs) == [(JobStatus.DONE, None), (JobStatus.FAILED, NOT_SHIPPED)]
        transcript = session.scalars(select(Transcript)).one()
        assert transcript.model == REFERENCE_MODEL
        page = search(session, query="мусора")
    spoken = {hit.snippet for hit in page.hits}
    assert page.total == 2, spoken  # "когда вывезут мусор", "вывоз мусора … запланирован"
    caller = next(hit for hit in page.hits if hit.speaker == "caller")
    assert 3.7 <= caller.start_s <= 6.7  # within the caller's utterance of the script


def test_a_downloaded_model_counts_as_available(tmp_path: Path) -> None:
    """`hotline models download` unpacks into models_dir: the demo must then transcribe, not advise it."""
    settings = demo_settings("sqlite://", tmp_path, transcription={"models_dir": str(tmp_path / "models")})
    missing = model_missing(settings)
    assert missing is not None
    assert "hotline models download vosk-model-small-ru" in missing
    (tmp_path / "models" / "vosk-model-small-ru-0.22" / "am").mkdir(parents=True)
    assert model_missing(settings) is None
