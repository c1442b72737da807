"""Mutable in-memory records the state machine keeps; their `row()` is what the store upserts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hotline.domain import AgentPeriodKind, CallOutcome


@dataclass(eq=False)
class CallRecord:
    pbx: str
    linkedid: str
    started_at: datetime
    caller_number: str | None = None
    caller_name: str | None = None
    dialed_number: str | None = None
    ivr_topic: str | None = None
    language: str | None = None
    queue: str | None = None
    queue_entered_at: datetime | None = None
    initial_position: int | None = None
    answered_at: datetime | None = None
    outcome: CallOutcome = CallOutcome.IN_PROGRESS
    agent: str | None = None
    agent_interface: str | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    hangup_cause: int | None = None
    hangup_cause_text: str | None = None
    recording_file: str | None = None
    ended_at: datetime | None = None
    ivr_visit_id: int | None = None
    recovered: bool = False
    # Working state, not stored.
    channels: set[str] = field(default_factory=set)
    caller_uniqueid: str | None = None
    queue_status: str | None = None
    ivr_outcome: str | None = None
    ringing: bool = False
    completed: bool = False
    abandoned: bool = False  # QueueCallerAbandon seen; timeout or abandon is decided at the end
    chosen_language: bool = False  # language set from HOTLINE_LANG (wins over the channel's)
    origin_channel: str | None = None  # name of the channel that started the call (uniqueid = linkedid)
    dial_back: CallOutcome | None = None  # a leg the PBX placed itself: its outcome unless it is queued

    def row(self) -> dict[str, object]:
        return {
            "pbx": self.pbx,
            "linkedid": self.linkedid,
            "caller_number": self.caller_number,
            "caller_name": self.caller_name,
            "dialed_number": self.dialed_number,
            "started_at": self.started_at,
            "ivr_topic": self.ivr_topic,
            "language": self.language,
            "queue": self.queue,
            "queue_entered_at": self.queue_entered_at,
            "initial_position": self.initial_position,
            "answered_at": self.answered_at,
            "outcome": self.outcome,
            "agent": self.agent,
            "agent_interface": self.agent_interface,
            "wait_s": self.wait_s,
            "talk_s": self.talk_s,
            "hangup_cause": self.hangup_cause,
            "hangup_cause_text": self.hangup_cause_text,
            "recording_file": self.recording_file,
            "ended_at": self.ended_at,
            "ivr_visit_id": self.ivr_visit_id,
            "recovered": self.recovered,
        }


@dataclass(eq=False)
class StayRecord:
    """One stay of a caller channel in one queue."""

    pbx: str
    linkedid: str
    uniqueid: str
    queue: str
    entered_at: datetime
    initial_position: int | None
    left_at: datetime | None = None
    outcome: CallOutcome = CallOutcome.IN_PROGRESS
    agent: str | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    abandoned: bool = False  # working state: QueueCallerAbandon seen, outcome decided at the end

    def row(self) -> dict[str, object]:
        return {
            "pbx": self.pbx,
            "uniqueid": self.uniqueid,
            "queue": self.queue,
            "entered_at": self.entered_at,
            "initial_position": self.initial_position,
            "left_at": self.left_at,
            "outcome": self.outcome,
            "agent": self.agent,
            "wait_s": self.wait_s,
            "talk_s": self.talk_s,
        }


@dataclass(eq=False)
class PeriodRecord:
    pbx: str
    interface: str
    agent_name: str
    kind: AgentPeriodKind
    queue: str
    started_at: datetime
    reason: str | None = None
    linkedid: str | None = None
    ended_at: datetime | None = None

    def row(self) -> dict[str, object]:
        return {
            "pbx": self.pbx,
            "interface": self.interface,
            "agent_name": self.agent_name,
            "kind": self.kind,
            "queue": self.queue,
            "reason": self.reason,
            "linkedid": self.linkedid,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }


@dataclass(frozen=True)
class FinishedRecording:
    linkedid: str
    path: str
    language: str


@dataclass
class Changes:
    """Everything that changed since the last take: rows to upsert, recordings to enqueue."""

    calls: list[dict[str, object]] = field(default_factory=list)
    stays: list[tuple[str, dict[str, object]]] = field(default_factory=list)  # (linkedid, row)
    periods: list[dict[str, object]] = field(default_factory=list)
    agents: list[dict[str, object]] = field(default_factory=list)
    recordings: list[FinishedRecording] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.calls or self.stays or self.periods or self.agents or self.recordings)

    def rows(self) -> int:
        return len(self.calls) + len(self.stays) + len(self.periods) + len(self.agents) + len(self.recordings)
