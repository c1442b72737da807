"""What the demo does with the capture's recordings: transcribe them, or show their script.

With a Vosk model configured, the shipped recordings are transcribed like any other. The capture's
recordings were spoken by a speech synthesizer from a script, and the manifest shipped with them says
what was said and when. Without a model the demo stores that script as the transcript
of those recordings, under the model name `REFERENCE_MODEL`, so that search, topics and the player work
out of the box. It is never presented as a transcription: the model column and the demo's start-up line
say where the text came from.

The capture recorded every call, but the demo ships only a few of its recordings (size): jobs of the
others are set aside with that reason, rather than failing one by one as missing files.
"""

from __future__ import annotations

import json
import logging
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import db
from hotline.errors import TranscriptionError
from hotline.jobs import claim_job, mark_done, mark_failed
from hotline.models import JobStatus, Recording, Speaker, TranscriptionJob
from hotline.settings import Settings
from hotline.speech_models import model_path
from transcription.audio import AudioMeta
from transcription.engine import Decoded, Segment, Word
from transcription.pipeline import load_analysis, run_job
from transcription.store import Analysis, save_transcript

log = logging.getLogger(__name__)

REFERENCE_MODEL = "reference script of the capture (demo, no Vosk model)"
NOT_SHIPPED = "the demo ships only a few of the capture's recordings, and not this one"
Manifest = dict[str, list[dict[str, Any]]]  # file name -> utterances (start_s, end_s, speaker, text)


def demo_manifest() -> Manifest:
    """Utterances of each shipped recording, by file name."""
    text = (resources.files("hotline_app") / "demo_data" / "recordings" / "manifest.json").read_text("utf-8")
    return {Path(entry["file"]).name: entry["utterances"] for entry in json.loads(text)}


def decoded_from_utterances(utterances: list[dict[str, Any]]) -> Decoded:
    """One segment per utterance; word times spread over it in proportion to word length.

    That lands each word close to where it is really spoken, which is what search offsets need.
    """
    segments = []
    for utterance in utterances:
        texts = utterance["text"].split()
        span = utterance["end_s"] - utterance["start_s"]
        total = sum(len(token) + 1 for token in texts)
        clock = utterance["start_s"]
        words = []
        for token in texts:
            length = span * (len(token) + 1) / total
            words.append(Word(token.strip(".,?!"), round(clock, 3), round(clock + length * 0.9, 3), 0.9))
            clock += length
        segments.append(
            Segment(Speaker(utterance["speaker"]), words[0].start_s, words[-1].end_s,
                    " ".join(word.word for word in words), 0.9, tuple(words))
        )  # fmt: skip
    return Decoded(segments, decode_s=0.0)


def _queued(factory: sessionmaker[Session], manifest: Manifest) -> tuple[list[tuple[int, str]], list[int]]:
    """Queued jobs: (job id, file name) of shipped recordings, and the ids of the others."""
    with factory() as session:
        queued = session.execute(
            select(TranscriptionJob.id, Recording.path)
            .join(Recording, Recording.id == TranscriptionJob.recording_id)
            .where(TranscriptionJob.status == JobStatus.QUEUED)
            .order_by(TranscriptionJob.id)
        ).all()
    shipped = [(job_id, Path(path).name) for job_id, path in queued if Path(path).name in manifest]
    return shipped, [job_id for job_id, path in queued if Path(path).name not in manifest]


def set_aside_unshipped(factory: sessionmaker[Session], manifest: Manifest) -> int:
    """Fail the queued jobs of recordings the demo does not carry; returns how many."""
    _, unshipped = _queued(factory, manifest)
    with db.transaction(factory) as session:
        for job_id in unshipped:
            mark_failed(session, job_id, NOT_SHIPPED)
    return len(unshipped)


def model_missing(settings: Settings) -> str | None:
    """Why the demo cannot transcribe (no model configured or downloaded), in one line; None if it can."""
    try:
        model_path(settings.transcription, settings.transcription.default_language)
    except TranscriptionError as exc:
        return str(exc)
    return None


def transcribe_shipped(
    settings: Settings,
    factory: sessionmaker[Session],
    manifest: Manifest,
    analysis: Analysis,
    stop: threading.Event | None = None,
) -> int:
    """Transcribe the queued shipped recordings with the configured Vosk model; returns how many.

    `stop` is checked between files, so Ctrl-C waits for one file at most.
    """
    shipped, _ = _queued(factory, manifest)
    done = 0
    for job_id, _ in shipped:
        if stop is not None and stop.is_set():
            break
        done += run_job(settings, factory, job_id, analysis) == "done"
    return done


def store_reference_transcripts(
    factory: sessionmaker[Session], manifest: Manifest, analysis: Analysis
) -> int:
    """Give every queued job of a shipped recording its reference transcript; returns how many."""
    wanted, _ = _queued(factory, manifest)
    stored = 0
    for job_id, name in wanted:
        with db.transaction(factory) as session:
            job = claim_job(session, job_id, worker="demo-reference")
            if job is None:
                continue
            decoded = decoded_from_utterances(manifest[name])
            duration = max(segment.end_s for segment in decoded.segments)
            save_transcript(
                session, recording_id=job.recording_id, language=job.language, model=REFERENCE_MODEL,
                audio=AudioMeta(duration, 8000, 1, 0), decoded=decoded, analysis=analysis,
            )  # fmt: skip
            mark_done(session, job_id)
            stored += 1
    return stored


def demo_transcripts_in_thread(
    settings: Settings, factory: sessionmaker[Session], stop: threading.Event, *, with_model: bool
) -> None:
    """Until `stop`: as the listener queues recordings, transcribe (or script) the shipped ones."""
    manifest = demo_manifest()
    analysis = load_analysis(settings)
    while not stop.is_set():
        try:
            set_aside_unshipped(factory, manifest)
            if with_model:
                done = transcribe_shipped(settings, factory, manifest, analysis, stop)
            else:
                done = store_reference_transcripts(factory, manifest, analysis)
            if done:
                log.info("demo recordings transcribed", extra={"recordings": done, "with_model": with_model})
        except Exception:
            log.exception("demo transcription pass failed")
        stop.wait(5.0)
