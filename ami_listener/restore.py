"""A starting listener picks up where the previous one stopped: the PBX's open calls, queue stays and
agent periods are read back from the database (DB read; `restore` itself is pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.records import CallRecord, PeriodRecord, StayRecord
from ami_listener.state import LiveState
from hotline.domain import CallOutcome
from hotline.models import AgentPeriod, Call, Pbx, QueueEntry

_CALL_FIELDS = (
    "caller_number",
    "caller_name",
    "dialed_number",
    "ivr_topic",
    "language",
    "queue",
    "queue_entered_at",
    "initial_position",
    "answered_at",
    "outcome",
    "agent",
    "agent_interface",
    "wait_s",
    "talk_s",
    "hangup_cause",
    "hangup_cause_text",
    "recording_file",
    "ivr_visit_id",
)


@dataclass
class OpenRecords:
    calls: list[CallRecord] = field(default_factory=list)
    stays: list[StayRecord] = field(default_factory=list)
    periods: list[PeriodRecord] = field(default_factory=list)
    last_event_at: datetime | None = None


def load_open(session_factory: sessionmaker[Session], pbx: str) -> OpenRecords:
    found = OpenRecords()
    with session_factory() as session:
        found.last_event_at = session.scalar(select(Pbx.last_event_at).where(Pbx.name == pbx))
        for row in session.scalars(select(Call).where(Call.pbx == pbx, Call.ended_at.is_(None))):
            call = CallRecord(pbx=pbx, linkedid=row.linkedid, started_at=row.started_at)
            for name in _CALL_FIELDS:
                setattr(call, name, getattr(row, name))
            call.completed = row.talk_s is not None
            found.calls.append(call)
        stays = session.execute(
            select(QueueEntry, Call.linkedid)
            .join(Call, QueueEntry.call_id == Call.id)
            .where(
                QueueEntry.pbx == pbx,
                Call.ended_at.is_(None),
                or_(QueueEntry.outcome == CallOutcome.IN_PROGRESS, QueueEntry.talk_s.is_(None)),
            )
        )
        for entry, linkedid in stays:
            stay = StayRecord(
                pbx, linkedid, entry.uniqueid, entry.queue, entry.entered_at, entry.initial_position
            )
            stay.left_at, stay.outcome, stay.agent = entry.left_at, entry.outcome, entry.agent
            stay.wait_s, stay.talk_s = entry.wait_s, entry.talk_s
            found.stays.append(stay)
        for p in session.scalars(
            select(AgentPeriod).where(AgentPeriod.pbx == pbx, AgentPeriod.ended_at.is_(None))
        ):
            found.periods.append(
                PeriodRecord(
                    pbx, p.interface, p.agent_name, p.kind, p.queue, p.started_at, p.reason, p.linkedid
                )
            )
    return found


def restore(state: LiveState, records: OpenRecords) -> None:
    """Put the previous listener's open records back; the first snapshot then reconciles them."""
    for call in records.calls:
        state.calls.open[call.linkedid] = call
    for stay in records.stays:
        if stay.outcome is CallOutcome.IN_PROGRESS or stay.talk_s is None:
            state.queues.stays[(stay.uniqueid, stay.queue)] = stay
            owner = state.calls.open.get(stay.linkedid)
            if owner is not None and owner.queue == stay.queue:
                owner.caller_uniqueid = stay.uniqueid
    for period in records.periods:
        state.members.periods[(period.interface, period.kind, period.queue, period.linkedid or "")] = period
    state.last_event_at = records.last_event_at
