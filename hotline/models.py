"""The one database schema of hotline (SQLAlchemy 2.0, typed declarative).

Sections: PBX and live state · calls and queues · agents · IVR · citizen requests and callbacks ·
recordings and transcription · analytics · users, tokens and audit.
Every timestamp is an aware UTC datetime (UtcDateTime). Telephony rows are keyed by
(pbx, Asterisk id) because Linkedid and Uniqueid are only unique within one server.
Any change here goes into hotline/migrations/versions too (tests/core/test_migrations.py checks).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hotline.timeutil import UtcDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def _enum(kind: type[enum.Enum]) -> Enum:
    # Stored as VARCHAR (no native enum type), so adding a value needs no migration on PostgreSQL.
    return Enum(kind, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


# ---------------------------------------------------------------------------- enumerations
class CallOutcome(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMEOUT = "timeout"
    EXIT_EMPTY = "exit_empty"
    IVR_ONLY = "ivr_only"
    AFTER_HOURS = "after_hours"
    CALLBACK_REQUESTED = "callback_requested"
    LOST_DURING_DISCONNECT = "lost_during_disconnect"


class AgentPeriodKind(enum.StrEnum):
    LOGGED_IN = "logged_in"
    PAUSED = "paused"
    TALK = "talk"


class IvrOutcome(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    QUEUED = "queued"
    FAQ = "faq"
    STATUS_TOLD = "status_told"
    CALLBACK = "callback"
    AFTER_HOURS = "after_hours"
    OPERATOR_FALLBACK = "operator_fallback"
    HANGUP = "hangup"
    TIMED_OUT = "timed_out"
    ERROR = "error"


class RequestStatus(enum.StrEnum):
    REGISTERED = "registered"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"
    REJECTED = "rejected"


class CallbackStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Speaker(enum.StrEnum):
    CALLER = "caller"
    AGENT = "agent"
    MIXED = "mixed"


class HitKind(enum.StrEnum):
    KEYWORD = "keyword"
    ABUSE = "abuse"


class Role(enum.StrEnum):
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"


# ---------------------------------------------------------------------------- PBX and live state
class Pbx(Base):
    """A configured Asterisk server and its AMI connection health (read by /health in other processes)."""

    __tablename__ = "pbx"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    asterisk_version: Mapped[str | None] = mapped_column(String(128))
    last_connected_at: Mapped[datetime | None]
    last_disconnected_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]
    events_total: Mapped[int] = mapped_column(BigInteger, default=0)
    parse_errors_total: Mapped[int] = mapped_column(BigInteger, default=0)
    reconnects_total: Mapped[int] = mapped_column(Integer, default=0)
    # Written by the listener every few seconds, also when the PBX is idle: older than the API's
    # staleness limit means the listener is dead, whatever `connected` says.
    heartbeat_at: Mapped[datetime | None]
    state_errors_total: Mapped[int] = mapped_column(BigInteger, default=0)
    lost_calls_total: Mapped[int] = mapped_column(BigInteger, default=0)  # lost_during_disconnect
    values_cleaned_total: Mapped[int] = mapped_column(BigInteger, default=0)  # NUL stripped / cut
    rows_rejected_total: Mapped[int] = mapped_column(BigInteger, default=0)  # refused by the database
    records_lost_total: Mapped[int] = mapped_column(BigInteger, default=0)  # retry buffer overflow


class LiveSnapshot(Base):
    """Latest live state per PBX, published by the AMI listener for API processes (seq grows per change)."""

    __tablename__ = "live_snapshot"

    pbx: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------- calls and queues
class Call(Base):
    """One row per call (per PBX linkedid); the analyst's call record."""

    __tablename__ = "call"
    __table_args__ = (
        UniqueConstraint("pbx", "linkedid"),
        Index("ix_call_started_at", "started_at"),
        Index("ix_call_queue_started_at", "queue", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx: Mapped[str] = mapped_column(String(64))
    linkedid: Mapped[str] = mapped_column(String(64))
    caller_number: Mapped[str | None] = mapped_column(String(64), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(255))
    dialed_number: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    ivr_topic: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    queue: Mapped[str | None] = mapped_column(String(64))
    queue_entered_at: Mapped[datetime | None]
    initial_position: Mapped[int | None]
    answered_at: Mapped[datetime | None]
    outcome: Mapped[CallOutcome] = mapped_column(_enum(CallOutcome), default=CallOutcome.IN_PROGRESS)
    agent: Mapped[str | None] = mapped_column(String(255), index=True)
    agent_interface: Mapped[str | None] = mapped_column(String(255))
    wait_s: Mapped[float | None] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)
    hangup_cause: Mapped[int | None]
    hangup_cause_text: Mapped[str | None] = mapped_column(String(128))
    recording_file: Mapped[str | None] = mapped_column(String(1024))
    ivr_visit_id: Mapped[int | None] = mapped_column(ForeignKey("ivr_visit.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None]
    # Rebuilt after the fact from Asterisk's queue_log and CDR (the listener was down), not from AMI.
    recovered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    queue_entries: Mapped[list[QueueEntry]] = relationship(
        back_populates="call", cascade="all, delete-orphan"
    )


class QueueEntry(Base):
    """One stay of a caller in one queue (a call may pass through several queues)."""

    __tablename__ = "queue_entry"
    __table_args__ = (
        UniqueConstraint("pbx", "uniqueid", "queue", "entered_at"),
        Index("ix_queue_entry_queue_entered_at", "queue", "entered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    pbx: Mapped[str] = mapped_column(String(64))
    uniqueid: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime]
    initial_position: Mapped[int | None]
    left_at: Mapped[datetime | None]
    outcome: Mapped[CallOutcome] = mapped_column(_enum(CallOutcome), default=CallOutcome.IN_PROGRESS)
    agent: Mapped[str | None] = mapped_column(String(255))
    wait_s: Mapped[float | None] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)

    call: Mapped[Call] = relationship(back_populates="queue_entries")


# ---------------------------------------------------------------------------- agents
class Agent(Base):
    """A queue member as Asterisk knows it (interface), with its display name."""

    __tablename__ = "agent"
    __table_args__ = (UniqueConstraint("pbx", "interface"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx: Mapped[str] = mapped_column(String(64))
    interface: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    state_interface: Mapped[str | None] = mapped_column(String(255))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentPeriod(Base):
    """A span of one agent state: logged in to a queue, paused (with reason), or talking on a call."""

    __tablename__ = "agent_period"
    __table_args__ = (
        UniqueConstraint("pbx", "interface", "kind", "queue", "started_at"),
        Index("ix_agent_period_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx: Mapped[str] = mapped_column(String(64))
    interface: Mapped[str] = mapped_column(String(255))
    agent_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[AgentPeriodKind] = mapped_column(_enum(AgentPeriodKind))
    # '' (not NULL) when the period is not tied to one queue, so the unique key holds on every engine.
    queue: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str | None] = mapped_column(String(255))
    linkedid: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


# ---------------------------------------------------------------------------- IVR
class IvrVisit(Base):
    """One caller's walk through the voice menu, so analysts see where callers give up."""

    __tablename__ = "ivr_visit"
    __table_args__ = (UniqueConstraint("pbx", "uniqueid"), Index("ix_ivr_visit_started_at", "started_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx: Mapped[str] = mapped_column(String(64))
    uniqueid: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(255))
    caller_number: Mapped[str | None] = mapped_column(String(64), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="ru")
    key_path: Mapped[str] = mapped_column(String(255), default="")
    menu_path: Mapped[list[Any]] = mapped_column(default=list)
    topic: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[IvrOutcome] = mapped_column(_enum(IvrOutcome), default=IvrOutcome.IN_PROGRESS)
    invalid_inputs: Mapped[int] = mapped_column(Integer, default=0)
    timeouts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)


class CallerPreference(Base):
    """What we remember of a caller number between calls (the language they chose)."""

    __tablename__ = "caller_preference"

    caller_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusLookup(Base):
    """Request-status lookups by phone, kept to rate-limit guessing per caller number."""

    __tablename__ = "status_lookup"
    __table_args__ = (Index("ix_status_lookup_caller_at", "caller_number", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(64))
    number_tried: Mapped[str] = mapped_column(String(64))
    found: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------- citizen requests
class CitizenRequest(Base):
    """A citizen's request with its registration number; callers ask its status by phone (up to 45 days)."""

    __tablename__ = "citizen_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    caller_number: Mapped[str | None] = mapped_column(String(64), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(255))
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus), default=RequestStatus.REGISTERED)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expected_at: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    history: Mapped[list[RequestStatusChange]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestStatusChange.changed_at"
    )


class RequestStatusChange(Base):
    __tablename__ = "request_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("citizen_request.id", ondelete="CASCADE"), index=True)
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus))
    note: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[CitizenRequest] = relationship(back_populates="history")


class CallbackRequest(Base):
    """A caller asked to be called back instead of waiting (from the IVR or an operator)."""

    __tablename__ = "callback_request"
    __table_args__ = (Index("ix_callback_request_status_requested_at", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(255))
    topic: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="ru")
    source: Mapped[str] = mapped_column(String(16), default="ivr")
    pbx: Mapped[str | None] = mapped_column(String(64))
    ivr_visit_id: Mapped[int | None] = mapped_column(ForeignKey("ivr_visit.id", ondelete="SET NULL"))
    status: Mapped[CallbackStatus] = mapped_column(_enum(CallbackStatus), default=CallbackStatus.PENDING)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


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
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.QUEUED)
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
    speaker: Mapped[Speaker] = mapped_column(_enum(Speaker))
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
    kind: Mapped[HitKind] = mapped_column(_enum(HitKind))
    keyword: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str | None] = mapped_column(String(64))
    speaker: Mapped[Speaker] = mapped_column(_enum(Speaker))
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


# ---------------------------------------------------------------------------- users, tokens, audit
class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    language: Mapped[str] = mapped_column(String(8), default="ru")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class AuditLog(Base):
    """Who played, downloaded or viewed personal data (recordings, transcripts), and admin actions."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(128))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
