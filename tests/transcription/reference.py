"""Transcripts built from the captures' reference manifests (what the TTS really said, and when).

Word times are spread over each utterance in proportion to word length (the demo's own reference
transcripts, hotline_app.demo_transcripts): close to where the words really are, which is what search
offsets and keyword times are checked against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from hotline.models import Call, CallOutcome, Recording
from hotline_app.demo_transcripts import decoded_from_utterances
from tests.conftest import CAPTURES
from transcription.audio import AudioMeta
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
    decoded = decoded_from_utterances(utterances)
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
