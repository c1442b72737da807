"""A call with a recording and its transcript, stored the way the transcription worker stores them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.models import Call, CallOutcome, Recording, Speaker
from hotline.settings import Settings
from tests.conftest import CAPTURES
from transcription.audio import AudioMeta
from transcription.engine import Decoded, Segment, Word
from transcription.store import Analysis, catalogue_keywords, default_lexicon, save_transcript

PHONE_WORDS = "восемь девять один шесть один два три четыре пять шесть семь"


@dataclass
class Stored:
    call_id: int
    recording_id: int
    transcript_id: int
    wav: Path


def _segment(speaker: Speaker, start: float, text: str) -> Segment:
    words = []
    at = start
    for word in text.split():
        words.append(Word(word, at, at + 0.4, 0.9))
        at += 0.5
    return Segment(speaker, start, at, text, 0.9, tuple(words))


def store_call(factory: sessionmaker[Session], settings: Settings, started_at: datetime) -> Stored:
    source = sorted(CAPTURES.glob("split_recording/recordings/**/*.wav"))[0]
    wav = settings.recordings.dir / "lab" / "call-1.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, wav)
    decoded = Decoded(
        segments=[
            _segment(Speaker.CALLER, 0.5, "здравствуйте у нас во дворе не вывезли мусор"),
            _segment(Speaker.AGENT, 4.0, "назовите пожалуйста ваш телефон"),
            _segment(Speaker.CALLER, 6.0, PHONE_WORDS),
            _segment(Speaker.CALLER, 12.5, "контейнеры переполнены мусором уже неделю"),
        ]
    )
    analysis = Analysis(keywords=catalogue_keywords(settings.agi.catalogue_path), lexicon=default_lexicon())
    with transaction(factory) as session:
        call = Call(
            pbx="lab",
            linkedid="1795316951.12",
            caller_number="+79497260626",
            started_at=started_at,
            queue="other",
            queue_entered_at=started_at,
            answered_at=started_at,
            outcome=CallOutcome.ANSWERED,
            agent="Павел Лебедев",
        )
        session.add(call)
        session.flush()
        recording = Recording(path="lab/call-1.wav", pbx="lab", linkedid=call.linkedid, call_id=call.id)
        session.add(recording)
        session.flush()
        transcript = save_transcript(
            session,
            recording_id=recording.id,
            language="ru",
            model="test",
            audio=AudioMeta(duration_s=20.0, rate=8000, channels=1, size_bytes=wav.stat().st_size),
            decoded=decoded,
            analysis=analysis,
        )
        return Stored(call.id, recording.id, transcript.id, wav)
