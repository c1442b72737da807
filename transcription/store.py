"""Saving one decoded recording: transcript, segments with lemmas, words, keyword and abuse hits."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hotline.models import (
    Call,
    HitKind,
    KeywordHit,
    Recording,
    TopicScore,
    Transcript,
    TranscriptSegment,
    TranscriptWord,
)
from hotline.text.analytics import (
    AbuseLexicon,
    SpokenWord,
    TopicKeywords,
    classify_topics,
    detect_abuse,
)
from hotline.text.lemmas import index_text, lemma, tokens
from transcription.audio import AudioMeta
from transcription.engine import Decoded


@dataclass(frozen=True)
class Analysis:
    """What the analytics need, loaded once per process."""

    keywords: TopicKeywords
    lexicon: AbuseLexicon


@lru_cache(maxsize=1)
def default_lexicon() -> AbuseLexicon:
    text = (resources.files("transcription") / "data" / "abuse_lexicon.yaml").read_text("utf-8")
    return AbuseLexicon.from_mapping(yaml.safe_load(text))


def catalogue_keywords(catalogue_path: Path | None) -> TopicKeywords:
    """Topic keywords from the IVR catalogue (the one list of topics for IVR and analytics)."""
    from hotline.catalogue import load_catalogue

    catalogue = load_catalogue(catalogue_path)
    return {
        topic.id: {lang: list(words) for lang, words in topic.keywords.items()} for topic in catalogue.topics
    }


def save_transcript(
    session: Session,
    *,
    recording_id: int,
    language: str,
    model: str,
    audio: AudioMeta,
    decoded: Decoded,
    analysis: Analysis,
    sha256: str | None = None,
) -> Transcript:
    """Replace any earlier transcript of the recording (a retried job) with this one."""
    session.execute(delete(Transcript).where(Transcript.recording_id == recording_id))
    values: dict[str, Any] = {
        "duration_s": audio.duration_s,
        "sample_rate": audio.rate,
        "channels": audio.channels,
        "size_bytes": audio.size_bytes,
    }
    if sha256 is not None:
        values["sha256"] = sha256
    session.execute(update(Recording).where(Recording.id == recording_id).values(**values))

    spoken: list[SpokenWord] = []
    transcript = Transcript(
        recording_id=recording_id,
        language=language,
        model=model,
        audio_duration_s=audio.duration_s,
        decode_s=decoded.decode_s,
    )
    for index, segment in enumerate(decoded.segments):
        row = TranscriptSegment(
            speaker=segment.speaker,
            start_s=segment.start_s,
            end_s=segment.end_s,
            text=segment.text,
            lemmas=index_text(tokens(segment.text), language),
            confidence=segment.confidence,
        )
        for word in segment.words:
            first = tokens(word.word)
            row.words.append(
                TranscriptWord(
                    word=word.word[:128],
                    lemma=(lemma(first[0], language) if first else word.word.lower())[:128],
                    start_s=word.start_s,
                    end_s=word.end_s,
                    confidence=word.confidence,
                )
            )
            spoken.append(SpokenWord(word.word, segment.speaker, word.start_s, word.end_s, index))
        transcript.segments.append(row)

    topics = classify_topics(spoken, analysis.keywords, language)
    abuse = detect_abuse(spoken, analysis.lexicon, language)
    transcript.topic = topics.primary
    transcript.abusive = bool(abuse)
    fields = call_fields(session, recording_id, transcript.topic)
    for row in transcript.segments:
        for name, value in fields.items():
            setattr(row, name, value)
    session.add(transcript)
    session.flush()

    segment_ids = [row.id for row in transcript.segments]
    session.add_all(
        TopicScore(transcript_id=transcript.id, topic=t, score=s) for t, s in topics.scores.items()
    )
    session.add_all(
        KeywordHit(
            transcript_id=transcript.id,
            segment_id=segment_ids[hit.segment],
            kind=HitKind.KEYWORD,
            keyword=hit.keyword[:128],
            topic=hit.topic,
            speaker=hit.speaker,
            start_s=hit.start_s,
            end_s=hit.end_s,
        )
        for hit in topics.hits
    )
    session.add_all(
        KeywordHit(
            transcript_id=transcript.id,
            segment_id=segment_ids[hit.segment],
            kind=HitKind.ABUSE,
            keyword=hit.word[:128],
            topic=None,
            speaker=hit.speaker,
            start_s=hit.start_s,
            end_s=hit.end_s,
        )
        for hit in abuse
    )
    return transcript


def call_fields(session: Session, recording_id: int, topic: str | None) -> dict[str, Any]:
    """What search filters a segment on, copied from its call (triggers of revision 0003 keep it right).

    The same coalesces as those triggers: a recording without a known call still has a time and a PBX.
    """
    row = session.execute(
        select(
            Recording.created_at,
            Recording.pbx,
            Call.started_at,
            Call.queue,
            Call.ivr_topic,
            Call.agent,
            Call.pbx,
        )
        .outerjoin(Call, Call.id == Recording.call_id)
        .where(Recording.id == recording_id)
    ).one()
    created_at, recording_pbx, started_at, queue, ivr_topic, agent, call_pbx = row
    return {
        "call_started_at": _coalesce(started_at, created_at),
        "call_queue": queue,
        "call_topic": _coalesce(topic, ivr_topic),
        "call_agent": agent,
        "call_pbx": _coalesce(recording_pbx, call_pbx),
    }


def _coalesce(first: Any, second: Any) -> Any:
    return first if first is not None else second
