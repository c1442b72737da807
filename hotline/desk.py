"""The operator's desk: the call they are on now (from the live view) and what we know of the caller.

An operator user is matched to their queue member by name: the user's full name is the member name
Asterisk reports (`MemberName`, e.g. "Оператор 101"). The caller's topic and language come from the
IVR visit of that call; earlier calls, requests and callbacks from the caller's number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.live import CallState, CallView, read_views
from hotline.models import Call, CallbackRequest, CitizenRequest, IvrVisit

HISTORY_LIMIT = 20


@dataclass(frozen=True)
class CurrentCall:
    pbx: str
    view: CallView


def current_call(session: Session, agent_name: str) -> CurrentCall | None:
    """The call `agent_name` is talking on now, per the live views (None when not on a call)."""
    for live in read_views(session):
        if not live.connected:
            continue  # a stale view must not show a call that may be over
        for call in live.calls:
            if call.agent == agent_name and call.state in (CallState.TALKING, CallState.RINGING):
                return CurrentCall(live.pbx, call)
    return None


def visit_of(session: Session, pbx: str, linkedid: str) -> IvrVisit | None:
    # The IVR's uniqueid is the caller channel's, which is the call's linkedid.
    return session.scalar(select(IvrVisit).where(IvrVisit.pbx == pbx, IvrVisit.uniqueid == linkedid))


def call_record(session: Session, pbx: str, linkedid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.pbx == pbx, Call.linkedid == linkedid))


def caller_history(session: Session, number: str, *, exclude_linkedid: str | None = None) -> dict[str, Any]:
    calls = session.scalars(
        select(Call)
        .where(Call.caller_number == number)
        .order_by(Call.started_at.desc())
        .limit(HISTORY_LIMIT + 1)
    ).all()
    requests = session.scalars(
        select(CitizenRequest)
        .where(CitizenRequest.caller_number == number)
        .order_by(CitizenRequest.created_at.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    callbacks = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.caller_number == number)
        .order_by(CallbackRequest.requested_at.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return {
        "calls": [
            {
                "started_at": call.started_at.isoformat(),
                "topic": call.ivr_topic,
                "queue": call.queue,
                "outcome": call.outcome.value,
                "agent": call.agent,
            }
            for call in calls
            if call.linkedid != exclude_linkedid
        ][:HISTORY_LIMIT],
        "requests": [
            {
                "number": row.number,
                "topic": row.topic,
                "status": row.status.value,
                "department": row.department.name if row.department else None,
                "expected_at": row.expected_at.isoformat(),
            }
            for row in requests
        ],
        "callbacks": [
            {
                "id": row.id,
                "topic": row.topic,
                "status": row.status.value,
                "requested_at": row.requested_at.isoformat(),
                "attempts": row.attempts,
            }
            for row in callbacks
        ],
    }


def spoken(number: str) -> str:
    """The number in groups of three, the way an operator reads it out."""
    return " ".join(number[i : i + 3] for i in range(0, len(number), 3))
