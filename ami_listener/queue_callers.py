"""Callers in queues (pure): who waits where and in which order, and one stay record per caller
channel and queue, from QueueCallerJoin to the moment the caller is answered or leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ami_listener import event_types as ev
from ami_listener.calls import final_outcome
from ami_listener.ledger import Ledger
from ami_listener.records import CallRecord, StayRecord
from hotline.domain import CallOutcome


@dataclass(eq=False)
class Waiting:
    uniqueid: str
    linkedid: str
    caller_number: str | None
    caller_name: str | None
    topic: str | None
    joined_at: datetime


def seconds(start: datetime | None, end: datetime, reported: int | None) -> float | None:
    """Elapsed seconds from our event times, unless Asterisk's own per-call figure disagrees by >1.5 s
    (events replayed faster than real time, or received late after a stall)."""
    if start is None:
        return float(reported) if reported is not None else None
    measured = (end - start).total_seconds()
    if reported is not None and abs(measured - reported) > 1.5:
        return float(reported)
    return round(measured, 3)


class QueueCallers:
    def __init__(self, pbx: str, ledger: Ledger) -> None:
        self.pbx = pbx
        self.ledger = ledger
        self.stays: dict[tuple[str, str], StayRecord] = {}  # (uniqueid, queue) -> open stay
        self.waiting: dict[str, list[Waiting]] = {}  # queue -> callers in position order

    def join(self, e: ev.CallerJoined, call: CallRecord) -> None:
        call.caller_uniqueid = e.uniqueid
        call.caller_number = call.caller_number or e.caller_number
        call.caller_name = call.caller_name or e.caller_name
        call.ivr_topic = call.ivr_topic or e.topic
        call.queue = e.queue
        call.queue_entered_at = e.at
        call.initial_position = e.position
        call.outcome = CallOutcome.IN_PROGRESS
        call.abandoned = False
        call.wait_s = None
        stay = StayRecord(self.pbx, e.linkedid, e.uniqueid, e.queue, e.at, e.position)
        self.stays[(e.uniqueid, e.queue)] = stay
        self.ledger.stay(stay)
        self.ledger.call(call)
        waiting = self.waiting.setdefault(e.queue, [])
        waiting[:] = [w for w in waiting if w.uniqueid != e.uniqueid]
        entry = Waiting(e.uniqueid, e.linkedid, call.caller_number, call.caller_name, call.ivr_topic, e.at)
        waiting.insert(min(max(e.position - 1, 0), len(waiting)), entry)

    def stop_waiting(self, queue: str, uniqueid: str) -> None:
        waiting = self.waiting.get(queue)
        if waiting:
            waiting[:] = [w for w in waiting if w.uniqueid != uniqueid]

    def leave(self, e: ev.CallerLeft, call: CallRecord | None) -> None:
        self.stop_waiting(e.queue, e.uniqueid)
        stay = self.stays.get((e.uniqueid, e.queue))
        if stay is not None and stay.left_at is None:
            stay.left_at = e.at
            self.ledger.stay(stay)
        waiting = call is not None and call.outcome is CallOutcome.IN_PROGRESS and not call.abandoned
        if call is not None and waiting and call.queue == e.queue:
            # Answered calls get AgentConnect right after this; others keep the wait up to here.
            call.wait_s = seconds(call.queue_entered_at, e.at, None)
            call.ringing = False
            self.ledger.call(call)

    def abandon(self, e: ev.CallerAbandoned, call: CallRecord | None) -> None:
        # Asterisk 22 sends QueueCallerAbandon for a queue timeout too, before the Hangup whose
        # QUEUESTATUS=TIMEOUT tells them apart: the outcome is decided when the call ends.
        self.stop_waiting(e.queue, e.uniqueid)
        stay = self.stays.get((e.uniqueid, e.queue))
        if stay is not None:
            stay.left_at = e.at
            stay.abandoned = True
            stay.wait_s = seconds(stay.entered_at, e.at, e.hold_time)
            self.ledger.stay(stay)
        if call is not None:
            call.abandoned = True
            call.wait_s = seconds(call.queue_entered_at, e.at, e.hold_time)
            call.ringing = False
            self.ledger.call(call)

    def connect(self, e: ev.AgentConnected, call: CallRecord) -> None:
        stay = self.stays.get((e.uniqueid, e.queue))
        call.ringing = False
        entered = stay.entered_at if stay else call.queue_entered_at
        wait = seconds(entered, e.at, e.hold_time)
        if stay is not None:
            stay.left_at = stay.left_at or e.at
            stay.outcome = CallOutcome.ANSWERED
            stay.agent = e.member_name
            stay.wait_s = wait
            self.ledger.stay(stay)
        call.outcome = CallOutcome.ANSWERED
        call.answered_at = e.at
        call.agent = e.member_name
        call.agent_interface = e.interface
        call.wait_s = wait
        self.ledger.call(call)

    def complete(self, e: ev.AgentCompleted, call: CallRecord | None) -> None:
        talk = seconds(call.answered_at if call else None, e.at, e.talk_time)
        if call is not None:
            call.talk_s = talk
            call.completed = True
            self.ledger.call(call)
        uniqueid = e.uniqueid
        if uniqueid is None:  # only the member's fields came: the call's stay in this queue
            uniqueid = next(
                (u for (u, q), s in self.stays.items() if q == e.queue and s.linkedid == e.linkedid), ""
            )
        stay = self.stays.pop((uniqueid, e.queue), None)
        if stay is not None:
            stay.talk_s = talk
            self.ledger.stay(stay)

    def close_call(self, call: CallRecord, at: datetime, forced: CallOutcome | None) -> None:
        """The call ended: close its open stays and take it off every waiting list."""
        for stay_key, stay in list(self.stays.items()):
            if stay.linkedid == call.linkedid:
                self._close_stay(stay, at, call, forced)
                del self.stays[stay_key]
        for queue_waiting in self.waiting.values():
            queue_waiting[:] = [w for w in queue_waiting if w.linkedid != call.linkedid]

    def _close_stay(
        self, stay: StayRecord, at: datetime, call: CallRecord, forced: CallOutcome | None
    ) -> None:
        if stay.left_at is None:
            stay.left_at = at
        if stay.outcome is CallOutcome.IN_PROGRESS:
            if stay.abandoned:
                timed_out = call.queue_status == "TIMEOUT" and call.queue == stay.queue
                stay.outcome = CallOutcome.TIMEOUT if timed_out else CallOutcome.ABANDONED
            elif forced is not None:
                stay.outcome = forced
            elif call.queue == stay.queue:
                stay.outcome = final_outcome(call)
            else:
                stay.outcome = CallOutcome.TIMEOUT
            if stay.wait_s is None:
                stay.wait_s = seconds(stay.entered_at, stay.left_at, None)
        self.ledger.stay(stay)
