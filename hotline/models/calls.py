"""PBX and live state, calls and queues, agents, IVR visits, citizen requests and callbacks."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.domain import (
    AgentPeriodKind,
    CallbackStatus,
    CallOutcome,
    IvrOutcome,
    RequestStatus,
)
from hotline.models.base import Base, stored_enum
from hotline.timeutil import utcnow

if TYPE_CHECKING:
    from hotline.models.routing import Department


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
    outcome: Mapped[CallOutcome] = mapped_column(stored_enum(CallOutcome), default=CallOutcome.IN_PROGRESS)
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
    outcome: Mapped[CallOutcome] = mapped_column(stored_enum(CallOutcome), default=CallOutcome.IN_PROGRESS)
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
    kind: Mapped[AgentPeriodKind] = mapped_column(stored_enum(AgentPeriodKind))
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
    outcome: Mapped[IvrOutcome] = mapped_column(stored_enum(IvrOutcome), default=IvrOutcome.IN_PROGRESS)
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
    status: Mapped[RequestStatus] = mapped_column(
        stored_enum(RequestStatus), default=RequestStatus.REGISTERED
    )
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expected_at: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    # Routing (revision 0006): the competent department, who took it there, and its answer.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    assignee: Mapped[str | None] = mapped_column(String(64))
    answer_text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship(lazy="joined")
    history: Mapped[list[RequestStatusChange]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestStatusChange.changed_at"
    )


class RequestStatusChange(Base):
    __tablename__ = "request_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("citizen_request.id", ondelete="CASCADE"), index=True)
    status: Mapped[RequestStatus] = mapped_column(stored_enum(RequestStatus))
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
    status: Mapped[CallbackStatus] = mapped_column(
        stored_enum(CallbackStatus), default=CallbackStatus.PENDING
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    # Dial-back (revision 0006): attempts so far, when the next may start, why it was given up.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    give_up_reason: Mapped[str | None] = mapped_column(String(255))
