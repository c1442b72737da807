"""The pure state machine of one PBX: typed events in, live state and changed records out. No I/O.

Calls are keyed by Linkedid: every channel of a call shares it, and the call ends when its last
channel hangs up. Queue stays, agent periods and the live queue/member picture are kept alongside.
`take_changes()` hands the records changed since the last call to the persistence adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from ami_listener import events as ev
from ami_listener.records import CallRecord, Changes, FinishedRecording, PeriodRecord, StayRecord
from hotline.domain import AgentPeriodKind, CallOutcome
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
FINISHED_MEMORY = 20_000  # finished calls remembered, so late events never reopen them
_EXIT_EMPTY = {"JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "FULL"}
_IVR_OUTCOMES = {
    "after_hours": CallOutcome.AFTER_HOURS,
    "callback": CallOutcome.CALLBACK_REQUESTED,
    "callback_requested": CallOutcome.CALLBACK_REQUESTED,
}


@dataclass(eq=False)
class Member:
    queue: str
    interface: str
    name: str
    state_interface: str | None = None
    dynamic: bool = False
    penalty: int = 0
    calls_taken: int = 0
    last_call: datetime | None = None
    in_call: bool = False
    status: int = 0
    paused: bool = False
    pause_reason: str | None = None
    ringing_for: str | None = None  # uniqueid of the caller this member is being rung for


@dataclass(eq=False)
class Waiting:
    uniqueid: str
    linkedid: str
    caller_number: str | None
    caller_name: str | None
    topic: str | None
    joined_at: datetime


@dataclass
class Snapshot:
    """What QueueStatus and CoreShowChannels returned after a (re)connect; None = not received."""

    at: datetime
    queues: list[ev.QueueParams] | None = None
    members: list[ev.MemberChanged] = field(default_factory=list)
    entries: list[ev.QueueEntryItem] = field(default_factory=list)
    channels: list[ev.ChannelItem] | None = None


def _seconds(start: datetime | None, end: datetime, reported: int | None) -> float | None:
    """Elapsed seconds from our event times, unless Asterisk's own per-call figure disagrees by >1.5 s
    (events replayed faster than real time, or received late after a stall)."""
    if start is None:
        return float(reported) if reported is not None else None
    measured = (end - start).total_seconds()
    if reported is not None and abs(measured - reported) > 1.5:
        return float(reported)
    return round(measured, 3)


class LiveState:
    """Live calls, queues and members of one PBX, and the records they produce."""

    def __init__(
        self, pbx: str, *, topic_variables: tuple[str, ...] = (), recordings_dir: PurePath | None = None
    ) -> None:
        self.pbx = pbx
        self.topic_variables = topic_variables
        self.recordings_dir = recordings_dir
        self.calls: dict[str, CallRecord] = {}
        self.channel_call: dict[str, str] = {}  # uniqueid -> linkedid
        self.stays: dict[tuple[str, str], StayRecord] = {}  # (uniqueid, queue) -> open stay
        self.waiting: dict[str, list[Waiting]] = {}  # queue -> callers in position order
        self.members: dict[str, dict[str, Member]] = {}  # queue -> interface -> member
        self.strategies: dict[str, str | None] = {}
        self.periods: dict[tuple[str, AgentPeriodKind, str, str], PeriodRecord] = {}
        self.bridges: dict[str, set[str]] = {}
        self.agent_since: dict[str, tuple[AgentState, datetime]] = {}
        self.last_event_at: datetime | None = None
        self._dirty_calls: dict[str, CallRecord] = {}
        self._dirty_stays: dict[int, StayRecord] = {}
        self._dirty_periods: dict[int, PeriodRecord] = {}
        self._dirty_agents: dict[str, dict[str, object]] = {}
        self._recordings: list[FinishedRecording] = []
        self._finished: dict[str, None] = {}  # recently finished linkedids, oldest first

    # ------------------------------------------------------------------ changes out
    def take_changes(self) -> Changes:
        changes = Changes(
            calls=[call.row() for call in self._dirty_calls.values()],
            stays=[(stay.linkedid, stay.row()) for stay in self._dirty_stays.values()],
            periods=[period.row() for period in self._dirty_periods.values()],
            agents=list(self._dirty_agents.values()),
            recordings=self._recordings,
        )
        self._dirty_calls = {}
        self._dirty_stays = {}
        self._dirty_periods = {}
        self._dirty_agents = {}
        self._recordings = []
        return changes

    def _touch(self, call: CallRecord) -> None:
        self._dirty_calls[call.linkedid] = call

    def _touch_stay(self, stay: StayRecord) -> None:
        self._dirty_stays[id(stay)] = stay

    def _touch_period(self, period: PeriodRecord) -> None:
        self._dirty_periods[id(period)] = period

    # ------------------------------------------------------------------ events in
    def apply(self, event: ev.Event) -> None:
        self.last_event_at = event.at
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _call(self, linkedid: str, at: datetime) -> CallRecord:
        call = self.calls.get(linkedid)
        if call is None:
            call = CallRecord(pbx=self.pbx, linkedid=linkedid, started_at=at)
            self.calls[linkedid] = call
            self._touch(call)
        return call

    def _on_channel(self, e: ev.ChannelCreated) -> None:
        if e.linkedid in self._finished:
            return  # a late leg of a call already recorded: never reopen (and overwrite) its record
        new = e.linkedid not in self.calls
        call = self._call(e.linkedid, e.at)
        call.channels.add(e.uniqueid)
        self.channel_call[e.uniqueid] = e.linkedid
        if new or e.uniqueid == e.linkedid:
            call.caller_number = call.caller_number or e.caller_number
            call.caller_name = call.caller_name or e.caller_name
            call.dialed_number = call.dialed_number or e.exten
            call.language = call.language or e.language
            self._touch(call)

    def _on_callerid(self, e: ev.CallerIdChanged) -> None:
        linkedid = self.channel_call.get(e.uniqueid)
        if linkedid != e.uniqueid or linkedid not in self.calls:
            return  # only the originating channel names the caller
        call = self.calls[linkedid]
        if call.queue_entered_at is None:
            call.caller_number = e.caller_number or call.caller_number
            call.caller_name = e.caller_name or call.caller_name
            self._touch(call)

    def _on_variable(self, e: ev.VariableSet) -> None:
        call = self.calls.get(e.linkedid)
        if call is None:
            return
        if e.variable in self.topic_variables:
            if e.value:
                call.ivr_topic = e.value
        elif e.variable == ev.RECORDING_VARIABLE:
            call.recording_file = self._recording_path(e.value) if e.value else None
        elif e.variable == ev.QUEUE_STATUS_VARIABLE:
            call.queue_status = e.value.upper()
        elif e.variable == ev.IVR_OUTCOME_VARIABLE:
            call.ivr_outcome = e.value.lower()
        self._touch(call)

    def _recording_path(self, value: str) -> str:
        # Asterisk names the file on its own disk; we read recordings from our configured folder.
        if self.recordings_dir is None:
            return value
        path = PurePath(value)
        if path.is_absolute() and path.is_relative_to(self.recordings_dir):
            return str(path)
        return str(self.recordings_dir / path.name)

    def _on_hangup(self, e: ev.ChannelHungUp) -> None:
        linkedid = self.channel_call.pop(e.uniqueid, e.linkedid)
        call = self.calls.get(linkedid)
        if call is None:
            return
        call.channels.discard(e.uniqueid)
        for variable, value in e.variables:
            self._on_variable(ev.VariableSet(e.at, e.uniqueid, linkedid, variable, value))
        if e.uniqueid in (call.caller_uniqueid, call.linkedid) and (
            call.hangup_cause is None or e.uniqueid == call.caller_uniqueid
        ):
            call.hangup_cause = e.cause
            call.hangup_cause_text = e.cause_text
            self._touch(call)
        if not call.channels:
            self._finish(call, e.at, None)

    def _finish(self, call: CallRecord, at: datetime, forced: CallOutcome | None) -> None:
        for stay_key, stay in list(self.stays.items()):
            if stay.linkedid == call.linkedid:
                self._close_stay(stay, at, call, forced)
                del self.stays[stay_key]
        for queue_waiting in self.waiting.values():
            queue_waiting[:] = [w for w in queue_waiting if w.linkedid != call.linkedid]
        for key, period in list(self.periods.items()):
            if period.kind is AgentPeriodKind.TALK and period.linkedid == call.linkedid:
                period.ended_at = at
                self._touch_period(period)
                del self.periods[key]
        if forced is not None:
            call.outcome = forced
        elif call.outcome is CallOutcome.IN_PROGRESS:
            call.outcome = self._final_outcome(call)
        call.ended_at = at
        self._finished[call.linkedid] = None
        if len(self._finished) > FINISHED_MEMORY:
            del self._finished[next(iter(self._finished))]
        for uniqueid in call.channels:
            self.channel_call.pop(uniqueid, None)
        call.channels.clear()
        self.calls.pop(call.linkedid, None)
        self._touch(call)
        if call.recording_file:
            self._recordings.append(
                FinishedRecording(call.linkedid, call.recording_file, call.language or "ru")
            )

    def _final_outcome(self, call: CallRecord) -> CallOutcome:
        if call.queue is None:
            return _IVR_OUTCOMES.get(call.ivr_outcome or "", CallOutcome.IVR_ONLY)
        if call.queue_status in _EXIT_EMPTY:
            return CallOutcome.EXIT_EMPTY
        if call.queue_status == "TIMEOUT":
            return CallOutcome.TIMEOUT
        # Left the queue with neither an agent nor a hangup while waiting: the queue let it go.
        return CallOutcome.TIMEOUT if call.wait_s is not None else CallOutcome.ABANDONED

    def _close_stay(
        self, stay: StayRecord, at: datetime, call: CallRecord, forced: CallOutcome | None
    ) -> None:
        if stay.left_at is None:
            stay.left_at = at
        if stay.outcome is CallOutcome.IN_PROGRESS:
            if forced is not None:
                stay.outcome = forced
            elif call.queue == stay.queue:
                stay.outcome = self._final_outcome(call)
            else:
                stay.outcome = CallOutcome.TIMEOUT
            stay.wait_s = _seconds(stay.entered_at, stay.left_at, None)
        self._touch_stay(stay)

    # ---- queue callers
    def _on_join(self, e: ev.CallerJoined) -> None:
        if e.linkedid in self._finished:
            return
        call = self._call(e.linkedid, e.at)
        if e.uniqueid not in self.channel_call:
            self.channel_call[e.uniqueid] = e.linkedid
            call.channels.add(e.uniqueid)
        call.caller_uniqueid = e.uniqueid
        call.caller_number = call.caller_number or e.caller_number
        call.caller_name = call.caller_name or e.caller_name
        call.ivr_topic = call.ivr_topic or e.topic
        call.queue = e.queue
        call.queue_entered_at = e.at
        call.initial_position = e.position
        call.outcome = CallOutcome.IN_PROGRESS
        call.wait_s = None
        stay = StayRecord(self.pbx, e.linkedid, e.uniqueid, e.queue, e.at, e.position)
        self.stays[(e.uniqueid, e.queue)] = stay
        self._touch_stay(stay)
        self._touch(call)
        waiting = self.waiting.setdefault(e.queue, [])
        waiting[:] = [w for w in waiting if w.uniqueid != e.uniqueid]
        entry = Waiting(e.uniqueid, e.linkedid, call.caller_number, call.caller_name, call.ivr_topic, e.at)
        waiting.insert(min(max(e.position - 1, 0), len(waiting)), entry)

    def _leave_waiting(self, queue: str, uniqueid: str) -> None:
        waiting = self.waiting.get(queue)
        if waiting:
            waiting[:] = [w for w in waiting if w.uniqueid != uniqueid]
        self._stop_ringing(uniqueid=uniqueid)

    def _on_leave(self, e: ev.CallerLeft) -> None:
        self._leave_waiting(e.queue, e.uniqueid)
        stay = self.stays.get((e.uniqueid, e.queue))
        if stay is not None and stay.left_at is None:
            stay.left_at = e.at
            self._touch_stay(stay)
        call = self.calls.get(e.linkedid)
        if call is not None and call.outcome is CallOutcome.IN_PROGRESS and call.queue == e.queue:
            # Answered calls get AgentConnect right after this; others keep the wait up to here.
            call.wait_s = _seconds(call.queue_entered_at, e.at, None)
            call.ringing = False
            self._touch(call)

    def _on_abandon(self, e: ev.CallerAbandoned) -> None:
        self._leave_waiting(e.queue, e.uniqueid)
        stay = self.stays.pop((e.uniqueid, e.queue), None)
        if stay is not None:
            stay.left_at = e.at
            stay.outcome = CallOutcome.ABANDONED
            stay.wait_s = _seconds(stay.entered_at, e.at, e.hold_time)
            self._touch_stay(stay)
        call = self.calls.get(e.linkedid)
        if call is not None:
            call.outcome = CallOutcome.ABANDONED
            call.wait_s = _seconds(call.queue_entered_at, e.at, e.hold_time)
            call.ringing = False
            self._touch(call)

    def _stop_ringing(self, *, uniqueid: str | None = None, interface: str | None = None) -> None:
        for queue_members in self.members.values():
            for member in queue_members.values():
                if member.ringing_for is None:
                    continue
                if member.ringing_for == uniqueid or member.interface == interface:
                    member.ringing_for = None

    def _on_agent_called(self, e: ev.AgentCalled) -> None:
        queue_members = self.members.setdefault(e.queue, {})
        member = queue_members.get(e.interface)
        if member is None:  # not listed yet (no snapshot so far): the event names it
            member = queue_members[e.interface] = Member(e.queue, e.interface, e.member_name)
        member.ringing_for = e.uniqueid
        call = self.calls.get(e.linkedid)
        if call is not None:
            call.ringing = True

    def _on_ring_no_answer(self, e: ev.AgentRingNoAnswer) -> None:
        self._stop_ringing(interface=e.interface)

    def _on_connect(self, e: ev.AgentConnected) -> None:
        self._stop_ringing(uniqueid=e.uniqueid)
        stay = self.stays.get((e.uniqueid, e.queue))
        call = self._call(e.linkedid, e.at)
        call.ringing = False
        entered = stay.entered_at if stay else call.queue_entered_at
        wait = _seconds(entered, e.at, e.hold_time)
        if stay is not None:
            stay.left_at = stay.left_at or e.at
            stay.outcome = CallOutcome.ANSWERED
            stay.agent = e.member_name
            stay.wait_s = wait
            self._touch_stay(stay)
        call.outcome = CallOutcome.ANSWERED
        call.answered_at = e.at
        call.agent = e.member_name
        call.agent_interface = e.interface
        call.wait_s = wait
        self._touch(call)
        period = PeriodRecord(
            self.pbx, e.interface, e.member_name, AgentPeriodKind.TALK, e.queue, e.at, linkedid=e.linkedid
        )
        self.periods[(e.interface, AgentPeriodKind.TALK, e.queue, e.linkedid)] = period
        self._touch_period(period)

    def _on_complete(self, e: ev.AgentCompleted) -> None:
        call = self.calls.get(e.linkedid)
        talk = _seconds(call.answered_at if call else None, e.at, e.talk_time)
        if call is not None:
            call.talk_s = talk
            call.completed = True
            self._touch(call)
        stay = self.stays.pop((e.uniqueid, e.queue), None)
        if stay is not None:
            stay.talk_s = talk
            self._touch_stay(stay)
        period = self.periods.pop((e.interface, AgentPeriodKind.TALK, e.queue, e.linkedid), None)
        if period is not None:
            period.ended_at = e.at
            self._touch_period(period)

    # ---- members
    def _on_member(self, e: ev.MemberChanged) -> None:
        queue_members = self.members.setdefault(e.queue, {})
        if e.change == "removed":
            queue_members.pop(e.interface, None)
            self._end_period(e.interface, AgentPeriodKind.PAUSED, e.queue, e.at)
            self._end_period(e.interface, AgentPeriodKind.LOGGED_IN, e.queue, e.at)
            return
        member = queue_members.get(e.interface)
        if member is None:
            member = Member(e.queue, e.interface, e.name)
            queue_members[e.interface] = member
        # Asterisk's LoginTime makes the period's start exact and the same on every replay.
        start = e.login_time if e.login_time and e.change != "added" else e.at
        self._start_period(e, AgentPeriodKind.LOGGED_IN, start, None)
        if member.name != e.name or e.interface not in self._dirty_agents:
            self._dirty_agents[e.interface] = {
                "pbx": self.pbx,
                "interface": e.interface,
                "name": e.name,
                "state_interface": e.state_interface,
                "last_seen_at": e.at,
            }
        member.name = e.name
        member.state_interface = e.state_interface
        member.dynamic = e.dynamic
        member.penalty = e.penalty
        member.calls_taken = e.calls_taken
        member.last_call = e.last_call
        member.in_call = e.in_call
        member.status = e.status
        if e.in_call:
            member.ringing_for = None
        reason_changed = e.paused and member.paused and member.pause_reason != e.pause_reason
        if member.paused and (not e.paused or reason_changed):
            self._end_period(e.interface, AgentPeriodKind.PAUSED, e.queue, e.at)
        if e.paused and (not member.paused or reason_changed):
            self._start_period(e, AgentPeriodKind.PAUSED, e.at, e.pause_reason)
        member.paused = e.paused
        member.pause_reason = e.pause_reason if e.paused else None

    def _start_period(
        self, e: ev.MemberChanged, kind: AgentPeriodKind, at: datetime, reason: str | None
    ) -> None:
        key = (e.interface, kind, e.queue, "")
        if key in self.periods:
            return
        period = PeriodRecord(self.pbx, e.interface, e.name, kind, e.queue, at, reason=reason)
        self.periods[key] = period
        self._touch_period(period)

    def _end_period(self, interface: str, kind: AgentPeriodKind, queue: str, at: datetime) -> None:
        period = self.periods.pop((interface, kind, queue, ""), None)
        if period is not None:
            period.ended_at = at
            self._touch_period(period)

    def _on_bridge(self, e: ev.BridgeChanged) -> None:
        members = self.bridges.setdefault(e.bridge_id, set())
        if e.entered:
            members.add(e.uniqueid)
        else:
            members.discard(e.uniqueid)
            if not members:
                del self.bridges[e.bridge_id]

    def _on_params(self, e: ev.QueueParams) -> None:
        self.strategies[e.queue] = e.strategy

    def _on_shutdown(self, e: ev.PbxShutdown) -> None:
        # Nothing to close yet: the snapshot after reconnecting tells which calls survived.
        self.last_event_at = e.at

    # ------------------------------------------------------------------ resync
    def apply_snapshot(self, snap: Snapshot) -> list[str]:
        """Rebuild live state from one snapshot list (channels or queues), as of the list's end.

        Returns the linkedids closed as lost during disconnect (calls none of whose channels exist).
        """
        lost: list[str] = []
        if snap.channels is not None:
            alive = {item.uniqueid: item for item in snap.channels}
            for call in list(self.calls.values()):
                call.channels &= alive.keys()
                if not call.channels:
                    self._finish(call, self.last_event_at or snap.at, CallOutcome.LOST_DURING_DISCONNECT)
                    lost.append(call.linkedid)
            self.channel_call = {
                uniqueid: linkedid for uniqueid, linkedid in self.channel_call.items() if uniqueid in alive
            }
            for item in snap.channels:
                if item.uniqueid in self.channel_call:
                    continue
                started = snap.at - timedelta(seconds=item.duration_s)
                call = self._call(item.linkedid, started)
                call.channels.add(item.uniqueid)
                self.channel_call[item.uniqueid] = item.linkedid
                if item.uniqueid == item.linkedid:
                    call.caller_number = call.caller_number or item.caller_number
                    call.caller_name = call.caller_name or item.caller_name
                    call.dialed_number = call.dialed_number or item.exten
                call.ivr_topic = call.ivr_topic or item.topic
        if snap.queues is not None:
            listed = {q.queue for q in snap.queues}
            for params in snap.queues:
                self.strategies[params.queue] = params.strategy
            present: dict[str, set[str]] = {q: set() for q in listed}
            for member_item in snap.members:
                present.setdefault(member_item.queue, set()).add(member_item.interface)
                self._on_member(member_item)
            for queue in listed:
                for interface in list(self.members.get(queue, {})):
                    if interface not in present[queue]:
                        self._on_member(_removed(self.members[queue][interface], snap.at))
            self._resync_waiting(snap)
        return lost

    def _resync_waiting(self, snap: Snapshot) -> None:
        assert snap.queues is not None
        for params in snap.queues:
            entries = sorted((e for e in snap.entries if e.queue == params.queue), key=lambda e: e.position)
            rebuilt: list[Waiting] = []
            for entry in entries:
                linkedid = self.channel_call.get(entry.uniqueid, entry.uniqueid)
                call = self._call(linkedid, snap.at - timedelta(seconds=entry.wait_s))
                joined = snap.at - timedelta(seconds=entry.wait_s)
                known_stay = (entry.uniqueid, entry.queue) in self.stays or (
                    call.caller_uniqueid == entry.uniqueid and call.queue == entry.queue
                )
                if not known_stay:
                    self._on_join(
                        ev.CallerJoined(
                            joined,
                            entry.queue,
                            entry.position,
                            entry.uniqueid,
                            linkedid,
                            entry.caller_number,
                            entry.caller_name,
                            call.ivr_topic,
                        )
                    )
                known = next(
                    (w for w in self.waiting.get(params.queue, []) if w.uniqueid == entry.uniqueid), None
                )
                rebuilt.append(
                    known
                    or Waiting(
                        entry.uniqueid,
                        linkedid,
                        entry.caller_number,
                        entry.caller_name,
                        call.ivr_topic,
                        joined,
                    )
                )
            self.waiting[params.queue] = rebuilt

    # ------------------------------------------------------------------ live view
    def view(self, *, connected: bool, at: datetime) -> LiveView:
        queues = []
        for name in sorted(set(self.members) | set(self.waiting) | set(self.strategies)):
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
                for index, w in enumerate(self.waiting.get(name, []))
            ]
            members = [
                QueueMemberView(
                    interface=m.interface,
                    name=m.name,
                    state=_member_state(m),
                    paused=m.paused,
                    pause_reason=m.pause_reason,
                    in_call=m.in_call,
                    calls_taken=m.calls_taken,
                    penalty=m.penalty,
                    device_status=m.status,
                    device_status_text=DEVICE_STATUS.get(m.status, "UNKNOWN"),
                    last_call_at=m.last_call,
                )
                for m in sorted(self.members.get(name, {}).values(), key=lambda m: m.name)
            ]
            queues.append(
                QueueView(name=name, waiting=waiting, members=members, strategy=self.strategies.get(name))
            )
        calls = [
            CallView(
                linkedid=c.linkedid,
                caller_number=c.caller_number,
                caller_name=c.caller_name,
                started_at=c.started_at,
                state=_call_state(c),
                topic=c.ivr_topic,
                queue=c.queue,
                agent=c.agent,
                answered_at=c.answered_at,
            )
            for c in sorted(self.calls.values(), key=lambda c: c.started_at)
        ]
        return LiveView(
            pbx=self.pbx, connected=connected, at=at, queues=queues, calls=calls, agents=self._agents(at)
        )

    def _agents(self, at: datetime) -> list[AgentView]:
        by_interface: dict[str, list[Member]] = {}
        for queue_members in self.members.values():
            for member in queue_members.values():
                by_interface.setdefault(member.interface, []).append(member)
        talking_to = {
            c.agent_interface: c.caller_number or c.linkedid
            for c in self.calls.values()
            if c.agent_interface and c.outcome is CallOutcome.ANSWERED and not c.completed
        }
        views = []
        for interface, members in by_interface.items():
            states = {_member_state(m) for m in members}
            state = next((s for s in _STATE_PRIORITY if s in states), AgentState.FREE)
            previous = self.agent_since.get(interface)
            if previous is None or previous[0] is not state:
                self.agent_since[interface] = (state, at)
            reasons = [m.pause_reason for m in members if m.paused and m.pause_reason]
            views.append(
                AgentView(
                    interface=interface,
                    name=members[0].name,
                    state=state,
                    pause_reason=reasons[0] if state is AgentState.PAUSED and reasons else None,
                    queues=sorted(m.queue for m in members),
                    calls_taken=sum(m.calls_taken for m in members),
                    state_since=self.agent_since[interface][1],
                    talking_to=talking_to.get(interface),
                )
            )
        return sorted(views, key=lambda a: a.name)


_STATE_PRIORITY = (
    AgentState.TALKING,
    AgentState.RINGING,
    AgentState.PAUSED,
    AgentState.UNAVAILABLE,
    AgentState.FREE,
)


def _member_state(m: Member) -> AgentState:
    if m.in_call or m.status in (2, 3, 8):
        return AgentState.TALKING
    if m.ringing_for is not None or m.status in (6, 7):
        return AgentState.RINGING
    if m.paused:
        return AgentState.PAUSED
    if m.status in (4, 5):
        return AgentState.UNAVAILABLE
    return AgentState.FREE


def _call_state(c: CallRecord) -> CallState:
    if c.outcome is CallOutcome.ANSWERED and not c.completed:
        return CallState.TALKING
    if c.queue is None:
        return CallState.IVR
    if c.outcome is CallOutcome.IN_PROGRESS and c.wait_s is None:
        return CallState.RINGING if c.ringing else CallState.QUEUED
    return CallState.OTHER


def _removed(member: Member, at: datetime) -> ev.MemberChanged:
    return ev.MemberChanged(
        at=at,
        change="removed",
        queue=member.queue,
        interface=member.interface,
        name=member.name,
        state_interface=member.state_interface,
        dynamic=member.dynamic,
        penalty=member.penalty,
        calls_taken=member.calls_taken,
        last_call=member.last_call,
        login_time=None,
        in_call=False,
        status=member.status,
        paused=False,
        pause_reason=None,
    )


_HANDLERS: dict[type[Any], Callable[[LiveState, Any], None]] = {
    ev.ChannelCreated: LiveState._on_channel,
    ev.CallerIdChanged: LiveState._on_callerid,
    ev.VariableSet: LiveState._on_variable,
    ev.ChannelHungUp: LiveState._on_hangup,
    ev.BridgeChanged: LiveState._on_bridge,
    ev.CallerJoined: LiveState._on_join,
    ev.CallerLeft: LiveState._on_leave,
    ev.CallerAbandoned: LiveState._on_abandon,
    ev.AgentCalled: LiveState._on_agent_called,
    ev.AgentRingNoAnswer: LiveState._on_ring_no_answer,
    ev.AgentConnected: LiveState._on_connect,
    ev.AgentCompleted: LiveState._on_complete,
    ev.MemberChanged: LiveState._on_member,
    ev.QueueParams: LiveState._on_params,
    ev.PbxShutdown: LiveState._on_shutdown,
}
