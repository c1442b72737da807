"""Queue members and agent periods (pure): who is logged in where, paused and why, ringing or
talking, and the logged-in / paused / talk periods that make the agent reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ami_listener import event_types as ev
from ami_listener.dial_back import requested
from ami_listener.ledger import Ledger
from ami_listener.records import PeriodRecord
from hotline.domain import AgentPeriodKind
from hotline.live import AgentState

PeriodKey = tuple[str, AgentPeriodKind, str, str]  # interface, kind, queue, linkedid ("" = not a talk)


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


STATE_PRIORITY = (
    AgentState.TALKING,
    AgentState.RINGING,
    AgentState.PAUSED,
    AgentState.UNAVAILABLE,
    AgentState.FREE,
)


def member_state(m: Member) -> AgentState:
    if m.in_call or m.status in (2, 3, 8):
        return AgentState.TALKING
    if m.ringing_for is not None or m.status in (6, 7):
        return AgentState.RINGING
    if m.paused:
        return AgentState.PAUSED
    if m.status in (4, 5):
        return AgentState.UNAVAILABLE
    return AgentState.FREE


def removed(member: Member, at: datetime) -> ev.MemberChanged:
    """The QueueMemberRemoved this member would get (used when a snapshot no longer lists it)."""
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


class Members:
    def __init__(self, pbx: str, ledger: Ledger) -> None:
        self.pbx = pbx
        self.ledger = ledger
        self.by_queue: dict[str, dict[str, Member]] = {}  # queue -> interface -> member
        self.strategies: dict[str, str | None] = {}
        self.periods: dict[PeriodKey, PeriodRecord] = {}
        # interface -> (state, since): kept as events arrive, so the wallboard never depends on
        # when it was rendered.
        self.agent_since: dict[str, tuple[AgentState, datetime]] = {}

    def by_interface(self) -> dict[str, list[Member]]:
        agents: dict[str, list[Member]] = {}
        for queue_members in self.by_queue.values():
            for member in queue_members.values():
                agents.setdefault(member.interface, []).append(member)
        return agents

    def note_agent_states(self, at: datetime) -> None:
        """Record when each agent's combined state last changed (call after member changes)."""
        current = self.by_interface()
        for interface, members in current.items():
            states = {member_state(m) for m in members}
            state = next((s for s in STATE_PRIORITY if s in states), AgentState.FREE)
            previous = self.agent_since.get(interface)
            if previous is None or previous[0] is not state:
                self.agent_since[interface] = (state, at)
        for interface in list(self.agent_since):
            if interface not in current:
                del self.agent_since[interface]

    # ---- ringing
    def is_member_line(self, dial: str) -> bool:
        """Whether `dial` (a channel as dialled, see dial_back.dialled) is a queue member's line."""
        return any(
            dial in (requested(m.interface), m.state_interface)
            for members in self.by_queue.values()
            for m in members.values()
        )

    def called(self, e: ev.AgentCalled) -> None:
        queue_members = self.by_queue.setdefault(e.queue, {})
        member = queue_members.get(e.interface)
        if member is None:  # not listed yet (no snapshot so far): the event names it
            member = queue_members[e.interface] = Member(e.queue, e.interface, e.member_name)
        member.ringing_for = e.uniqueid

    def stop_ringing(self, *, uniqueid: str | None = None, interface: str | None = None) -> None:
        for queue_members in self.by_queue.values():
            for member in queue_members.values():
                if member.ringing_for is None:
                    continue
                if member.ringing_for == uniqueid or member.interface == interface:
                    member.ringing_for = None

    # ---- talk periods
    def start_talk(self, e: ev.AgentConnected) -> None:
        period = PeriodRecord(
            self.pbx, e.interface, e.member_name, AgentPeriodKind.TALK, e.queue, e.at, linkedid=e.linkedid
        )
        self.periods[(e.interface, AgentPeriodKind.TALK, e.queue, e.linkedid)] = period
        self.ledger.period(period)

    def end_talk(self, e: ev.AgentCompleted) -> None:
        period = self.periods.pop((e.interface, AgentPeriodKind.TALK, e.queue, e.linkedid), None)
        if period is not None:
            period.ended_at = e.at
            self.ledger.period(period)

    def end_talks_of(self, linkedid: str, at: datetime) -> None:
        for key, period in list(self.periods.items()):
            if period.kind is AgentPeriodKind.TALK and period.linkedid == linkedid:
                period.ended_at = at
                self.ledger.period(period)
                del self.periods[key]

    # ---- membership, status and pauses
    def changed(self, e: ev.MemberChanged) -> None:
        queue_members = self.by_queue.setdefault(e.queue, {})
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
        if member.name != e.name or not self.ledger.has_agent(e.interface):
            self.ledger.agent(
                e.interface,
                {
                    "pbx": self.pbx,
                    "interface": e.interface,
                    "name": e.name,
                    "state_interface": e.state_interface,
                    "last_seen_at": e.at,
                },
            )
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
        self.ledger.period(period)

    def _end_period(self, interface: str, kind: AgentPeriodKind, queue: str, at: datetime) -> None:
        period = self.periods.pop((interface, kind, queue, ""), None)
        if period is not None:
            period.ended_at = at
            self.ledger.period(period)

    def params(self, e: ev.QueueParams) -> None:
        self.strategies[e.queue] = e.strategy
