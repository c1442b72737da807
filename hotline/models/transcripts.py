"""Recordings, transcription jobs, transcripts and the analytics over them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.domain import (
    HitKind,
    JobStatus,
    Speaker,
)
from hotline.models.base import Base, stored_enum
from hotline.timeutil import utcnow


# ---------------------------------------------------------------------------- recordings, transcription
class Recording(Base):
    """One recorded call: a mixed mono file, a stereo file, or a caller/operator pair (rx/tx)."""

    __tablename__ = "recording"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    rx_path: Mapped[str | None] = mapped_column(String(1024))
    tx_path: Mapped[str | None] = mapped_column(String(1024))
    pbx: Mapped[str | None] = mapped_column(String(64))
    linkedid: Mapped[str | None] = mapped_column(String(64))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_s: Mapped[float | None] = mapped_column(Float)
    sample_rate: Mapped[int | None]
    channels: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranscriptionJob(Base):
    __tablename__ = "transcription_job"
    __table_args__ = (Index("ix_transcription_job_status_queued_at", "status", "queued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id", ondelete="CASCADE"), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="ru")
    status: Mapped[JobStatus] = mapped_column(stored_enum(JobStatus), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(128))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Transcript(Base):
    __tablename__ = "transcript"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id", ondelete="CASCADE"), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    model: Mapped[str] = mapped_column(String(255))
    audio_duration_s: Mapped[float] = mapped_column(Float)
    decode_s: Mapped[float] = mapped_column(Float)
    # Primary topic from the analytics (topic_score holds every score).
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    abusive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    segments: Mapped[list[TranscriptSegment]] = relationship(
        back_populates="transcript", cascade="all, delete-orphan", order_by="TranscriptSegment.start_s"
    )


class TranscriptSegment(Base):
    __tablename__ = "transcript_segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcript.id", ondelete="CASCADE"), index=True)
    speaker: Mapped[Speaker] = mapped_column(stored_enum(Speaker))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    # Space-separated lemmas of `text`; what the full-text index is built on.
    lemmas: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float | None] = mapped_column(Float)
    # Copies of what search filters on, so filtering needs no joins (revision 0003): the call's start
    # (else the recording's), queue, topic (the transcript's, else the IVR's), agent and PBX. Written by
    # transcription/store.py; triggers rewrite them when the call, recording or transcript changes.
    call_started_at: Mapped[datetime | None]
    call_queue: Mapped[str | None] = mapped_column(String(64))
    call_topic: Mapped[str | None] = mapped_column(String(64))
    call_agent: Mapped[str | None] = mapped_column(String(255))
    call_pbx: Mapped[str | None] = mapped_column(String(64))

    transcript: Mapped[Transcript] = relationship(back_populates="segments")
    words: Mapped[list[TranscriptWord]] = relationship(
        back_populates="segment", cascade="all, delete-orphan", order_by="TranscriptWord.start_s"
    )


class TranscriptWord(Base):
    __tablename__ = "transcript_word"

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(
        ForeignKey("transcript_segment.id", ondelete="CASCADE"), index=True
    )
    word: Mapped[str] = mapped_column(String(128))
    lemma: Mapped[str] = mapped_column(String(128), default="")
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)

    segment: Mapped[TranscriptSegment] = relationship(back_populates="words")


# ---------------------------------------------------------------------------- analytics
class KeywordHit(Base):
    """A catalogue keyword or an abusive word found in a transcript, with its time offset."""

    __tablename__ = "keyword_hit"
    __table_args__ = (Index("ix_keyword_hit_keyword", "keyword"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcript.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("transcript_segment.id", ondelete="CASCADE"))
    kind: Mapped[HitKind] = mapped_column(stored_enum(HitKind))
    keyword: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str | None] = mapped_column(String(64))
    speaker: Mapped[Speaker] = mapped_column(stored_enum(Speaker))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)


class TopicScore(Base):
    __tablename__ = "topic_score"
    __table_args__ = (UniqueConstraint("transcript_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcript.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[float] = mapped_column(Float)


class Incident(Base):
    """A burst of similar calls (same topic and address words within a few hours)."""

    __tablename__ = "incident"
    __table_args__ = (UniqueConstraint("topic", "key_words", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    key_words: Mapped[str] = mapped_column(String(512))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    call_count: Mapped[int] = mapped_column(Integer)
    call_ids: Mapped[list[Any]] = mapped_column(default=list)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
