"""The wallboard's picture of one PBX, projected from its LiveState (pure: reads, never writes)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ami_listener.members import STATE_PRIORITY, member_state
from ami_listener.records import CallRecord
from hotline.domain import CallOutcome
from hotline.live import (
    AgentState,
    AgentView,
    CallState,
    CallView,
    LiveView,
    QueueMemberView,
    QueueView,
    WaitingCaller,
)

if TYPE_CHECKING:
    from ami_listener.state import LiveState

DEVICE_STATUS = {
    0: "UNKNOWN",
    1: "NOT_INUSE",
    2: "INUSE",
    3: "BUSY",
    4: "INVALID",
    5: "UNAVAILABLE",
    6: "RINGING",
    7: "RINGINUSE",
    8: "ONHOLD",
}


def call_state(c: CallRecord) -> CallState:
    if c.outcome is CallOutcome.ANSWERED and not c.completed:
        return CallState.TALKING
    if c.queue is None:
        # A leg the PBX placed itself is nobody in the IVR (known from the first channel of our
        # dialer's legs, else once its Originate answered).
        return CallState.IVR if c.dial_back is None else CallState.OTHER
    if c.outcome is CallOutcome.IN_PROGRESS and c.wait_s is None:
        return CallState.RINGING if c.ringing else CallState.QUEUED
    return CallState.OTHER


def _queues(state: LiveState) -> list[QueueView]:
    members = state.members
    waiting_by_queue = state.queues.waiting
    queues = []
    for name in sorted(set(members.by_queue) | set(waiting_by_queue) | set(members.strategies)):
        waiting = [
            WaitingCaller(
                uniqueid=w.uniqueid,
                linkedid=w.linkedid,
                caller_number=w.caller_number,
                caller_name=w.caller_name,
                topic=w.topic,
                position=index + 1,
                joined_at=w.joined_at,
            )
            for index, w in enumerate(waiting_by_queue.get(name, []))
        ]
        member_views = [
            QueueMemberView(
                interface=m.interface,
                name=m.name,
                state=member_state(m),
                paused=m.paused,
                pause_reason=m.pause_reason,
                in_call=m.in_call,
                calls_taken=m.calls_taken,
                penalty=m.penalty,
                device_status=m.status,
                device_status_text=DEVICE_STATUS.get(m.status, "UNKNOWN"),
                last_call_at=m.last_call,
            )
            for m in sorted(members.by_queue.get(name, {}).values(), key=lambda m: m.name)
        ]
        queues.append(
            QueueView(name=name, waiting=waiting, members=member_views, strategy=members.strategies.get(name))
        )
    return queues


def _agents(state: LiveState) -> list[AgentView]:
    talking_to = {
        c.agent_interface: c.caller_number or c.linkedid
        for c in state.calls.open.values()
        if c.agent_interface and c.outcome is CallOutcome.ANSWERED and not c.completed
    }
    views = []
    for interface, members in state.members.by_interface().items():
        states = {member_state(m) for m in members}
        agent_state = next((s for s in STATE_PRIORITY if s in states), AgentState.FREE)
        since = state.members.agent_since.get(interface)
        reasons = [m.pause_reason for m in members if m.paused and m.pause_reason]
        views.append(
            AgentView(
                interface=interface,
                name=members[0].name,
                state=agent_state,
                pause_reason=reasons[0] if agent_state is AgentState.PAUSED and reasons else None,
                queues=sorted(m.queue for m in members),
                calls_taken=sum(m.calls_taken for m in members),
                state_since=since[1] if since is not None and since[0] is agent_state else None,
                talking_to=talking_to.get(interface),
            )
        )
    return sorted(views, key=lambda a: a.name)


def live_view(state: LiveState, *, connected: bool, at: datetime) -> LiveView:
    calls = [
        CallView(
            linkedid=c.linkedid,
            caller_number=c.caller_number,
            caller_name=c.caller_name,
            started_at=c.started_at,
            state=call_state(c),
            topic=c.ivr_topic,
            queue=c.queue,
            agent=c.agent,
            answered_at=c.answered_at,
        )
        for c in sorted(state.calls.open.values(), key=lambda c: c.started_at)
    ]
    return LiveView(
        pbx=state.pbx, connected=connected, at=at, queues=_queues(state), calls=calls, agents=_agents(state)
    )
