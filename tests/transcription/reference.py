"""Transcripts built from the captures' reference manifests (what the TTS really said, and when).

Word times are spread over each utterance in proportion to word length: close to where the words
really are, which is what search offsets and keyword times are checked against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from hotline.models import Call, CallOutcome, Recording, Speaker
from tests.conftest import CAPTURES
from transcription.audio import AudioMeta
from transcription.engine import Decoded, Segment, Word
from transcription.store import Analysis, catalogue_keywords, default_lexicon, save_transcript

MANIFESTS = [
    CAPTURES / s / "recordings" / "manifest.json" for s in ("ivr_to_agent", "load", "split_recording")
]


@dataclass(frozen=True)
class ReferenceCall:
    call_id: int
    file: str
    queue: str
    agent: str
    utterances: list[dict[str, Any]]


def reference_entries() -> list[dict[str, Any]]:
    entries = []
    for manifest in MANIFESTS:
        for entry in json.loads(manifest.read_text("utf-8")):
            if not entry["file"].endswith(("-rx.wav", "-tx.wav")):
                entries.append(entry)
    return entries


def decoded_from(utterances: list[dict[str, Any]]) -> Decoded:
    segments = []
    for utterance in utterances:
        texts = utterance["text"].split()
        span = utterance["end_s"] - utterance["start_s"]
        total = sum(len(t) + 1 for t in texts)
        clock = utterance["start_s"]
        words = []
        for token in texts:
            length = span * (len(token) + 1) / total
            words.append(Word(token.strip(".,?!"), round(clock, 3), round(clock + length * 0.9, 3), 0.9))
            clock += length
        segments.append(
            Segment(Speaker(utterance["speaker"]), words[0].start_s, words[-1].end_s,
                    " ".join(w.word for w in words), 0.9, tuple(words))
        )  # fmt: skip
    return Decoded(segments, decode_s=1.0)


@lru_cache(maxsize=1)
def analysis() -> Analysis:
    return Analysis(keywords=catalogue_keywords(None), lexicon=default_lexicon())


def add_call(
    session: Session,
    *,
    linkedid: str,
    started_at: datetime,
    queue: str,
    agent: str | None,
    utterances: list[dict[str, Any]],
    pbx: str = "lab",
    outcome: CallOutcome = CallOutcome.ANSWERED,
    language: str = "ru",
) -> int:
    call = Call(
        pbx=pbx, linkedid=linkedid, started_at=started_at, queue=queue, agent=agent, outcome=outcome,
        answered_at=started_at + timedelta(seconds=5),
    )  # fmt: skip
    session.add(call)
    session.flush()
    recording = Recording(
        path=f"/recordings/{pbx}/{linkedid}.wav", pbx=pbx, linkedid=linkedid, call_id=call.id
    )
    session.add(recording)
    session.flush()
    decoded = decoded_from(utterances)
    save_transcript(
        session, recording_id=recording.id, language=language, model="reference",
        audio=AudioMeta(decoded.segments[-1].end_s, 8000, 1, 0), decoded=decoded, analysis=analysis(),
    )  # fmt: skip
    return call.id


def load_reference_calls(session: Session, start: datetime) -> list[ReferenceCall]:
    """The 7 recorded calls of the captures, one minute apart from `start`."""
    calls = []
    for index, entry in enumerate(reference_entries()):
        call_id = add_call(
            session,
            linkedid=entry["caller_uniqueid"],
            started_at=start + timedelta(minutes=index),
            queue=entry["queue"],
            agent=entry["agent_member"],
            utterances=entry["utterances"],
        )
        calls.append(
            ReferenceCall(call_id, entry["file"], entry["queue"], entry["agent_member"], entry["utterances"])
        )
    return calls
