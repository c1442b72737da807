"""Rebuild a PBX's live state from the snapshot lists asked for after every (re)connect (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ami_listener import event_types as ev
from ami_listener.gap import GapCall
from ami_listener.members import removed
from ami_listener.queue_callers import Waiting
from ami_listener.state import LiveState
from hotline.domain import CallOutcome


@dataclass
class Snapshot:
    """What QueueStatus and CoreShowChannels returned after a (re)connect; None = not received."""

    at: datetime
    queues: list[ev.QueueParams] | None = None
    members: list[ev.MemberChanged] = field(default_factory=list)
    entries: list[ev.QueueEntryItem] = field(default_factory=list)
    channels: list[ev.ChannelItem] | None = None


def apply_snapshot(state: LiveState, snap: Snapshot) -> None:
    """Rebuild live state from one snapshot list (channels or queues), as of the list's end.

    Calls none of whose channels exist are closed by `close_vanished` once both lists are in.
    """
    if snap.channels is not None:
        _resync_channels(state, snap, snap.channels)
    if snap.queues is not None:
        _resync_queues(state, snap, snap.queues)
    state.members.note_agent_states(snap.at)


def _call_starts(snap: Snapshot, channels: list[ev.ChannelItem]) -> dict[str, datetime]:
    """Per Linkedid: when the caller's channel (Uniqueid = Linkedid) began, else the oldest one."""
    starts: dict[str, datetime] = {}
    for item in sorted(channels, key=lambda i: (i.uniqueid != i.linkedid, -i.duration_s)):
        starts.setdefault(item.linkedid, snap.at - timedelta(seconds=item.duration_s))
    return starts


def _resync_channels(state: LiveState, snap: Snapshot, channels: list[ev.ChannelItem]) -> None:
    calls = state.calls
    alive = {item.uniqueid: item for item in channels}
    for call in list(calls.open.values()):
        call.channels &= alive.keys()
    calls.channel_call = {
        uniqueid: linkedid for uniqueid, linkedid in calls.channel_call.items() if uniqueid in alive
    }
    starts = _call_starts(snap, channels)
    for item in channels:
        if item.uniqueid in calls.channel_call:
            continue
        call = calls.get_or_open(item.linkedid, starts[item.linkedid])
        calls.add_channel(call, item.uniqueid)
        if item.uniqueid == item.linkedid:
            calls.set_origin(call, item.channel)
            call.caller_number = call.caller_number or item.caller_number
            call.caller_name = call.caller_name or item.caller_name
            call.dialed_number = call.dialed_number or item.exten
        call.ivr_topic = call.ivr_topic or item.topic


def _resync_queues(state: LiveState, snap: Snapshot, queues: list[ev.QueueParams]) -> None:
    members = state.members
    listed = {q.queue for q in queues}
    for params in queues:
        members.strategies[params.queue] = params.strategy
    present: dict[str, set[str]] = {q: set() for q in listed}
    for member_item in snap.members:
        present.setdefault(member_item.queue, set()).add(member_item.interface)
        members.changed(member_item)
    for queue in listed:
        for interface in list(members.by_queue.get(queue, {})):
            if interface not in present[queue]:
                members.changed(removed(members.by_queue[queue][interface], snap.at))
    for params in queues:
        _resync_waiting(state, snap, params.queue)


def _resync_waiting(state: LiveState, snap: Snapshot, queue: str) -> None:
    calls = state.calls
    entries = sorted((e for e in snap.entries if e.queue == queue), key=lambda e: e.position)
    rebuilt: list[Waiting] = []
    for entry in entries:
        linkedid = calls.channel_call.get(entry.uniqueid, entry.uniqueid)
        joined = snap.at - timedelta(seconds=entry.wait_s)
        call = calls.get_or_open(linkedid, joined)
        known_stay = (entry.uniqueid, entry.queue) in state.queues.stays or (
            call.caller_uniqueid == entry.uniqueid and call.queue == entry.queue
        )
        if not known_stay:
            state.on_join(
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
        known = next((w for w in state.queues.waiting.get(queue, []) if w.uniqueid == entry.uniqueid), None)
        rebuilt.append(
            known
            or Waiting(
                entry.uniqueid, linkedid, entry.caller_number, entry.caller_name, call.ivr_topic, joined
            )
        )
    state.queues.waiting[queue] = rebuilt


def close_vanished(
    state: LiveState, at: datetime, gap: dict[str, GapCall] | None, last_seen: datetime | None = None
) -> list[str]:
    """After a snapshot: fill what the gap's records tell, close calls none of whose channels exist
    (from the records when they say how it ended, else as lost), and add calls that began and ended
    entirely in the gap. Returns the linkedids closed as lost during disconnect."""
    lost: list[str] = []
    gap = gap or {}
    for call in list(state.calls.open.values()):
        facts = gap.get(call.linkedid) or gap.get(call.caller_uniqueid or "")
        if facts is not None:
            _fill(state, call.linkedid, facts)
        if call.channels:
            continue
        if facts is not None and facts.ended_at is not None:
            call.recovered = True
            state.finish(call, facts.ended_at, None)
        else:
            # Ended between the last event we saw and now: the earliest possible end, never later.
            state.finish(call, last_seen or state.last_event_at or at, CallOutcome.LOST_DURING_DISCONNECT)
            lost.append(call.linkedid)
    for linkedid, facts in gap.items():
        if state.calls.finished(linkedid) or linkedid in state.calls.open:
            continue
        if facts.started_at is None or facts.ended_at is None or facts.ended_at > at:
            continue
        call = state.calls.get_or_open(linkedid, facts.started_at)
        call.caller_number, call.caller_name = facts.caller_number, facts.caller_name
        call.recovered = True
        if facts.origin_channel is not None:
            # A failed Originate's OutgoingSpoolFailed, or our dialer's leg: no citizen in the IVR.
            state.calls.set_origin(call, facts.origin_channel)
            if facts.cdr_answered:
                state.calls.note_answered(call)
        _fill(state, linkedid, facts)
        state.finish(call, facts.ended_at, None)
    return lost


def _fill(state: LiveState, linkedid: str, facts: GapCall) -> None:
    """Apply the queue_log facts the listener missed (it never replaces what it saw itself)."""
    call = state.calls.open[linkedid]
    if facts.queue and facts.entered_at and call.queue is None:
        state.on_join(
            ev.CallerJoined(
                facts.entered_at, facts.queue, facts.position or 1, linkedid, linkedid, None, None, None
            )
        )
        state.queues.stop_waiting(facts.queue, linkedid)
    stay = next((s for s in state.queues.stays.values() if s.linkedid == linkedid), None)
    if facts.outcome == "answered" and call.answered_at is None and facts.agent:
        call.outcome, call.agent, call.wait_s = CallOutcome.ANSWERED, facts.agent, facts.wait_s
        call.answered_at = facts.answered_at
        if stay is not None:
            stay.outcome, stay.agent, stay.wait_s = CallOutcome.ANSWERED, facts.agent, facts.wait_s
            stay.left_at = stay.left_at or facts.answered_at
            state.ledger.stay(stay)
    if facts.talk_s is not None and call.talk_s is None:
        call.talk_s, call.completed = facts.talk_s, True
        if stay is not None:
            stay.talk_s = facts.talk_s
            state.ledger.stay(stay)
            state.queues.stays.pop((stay.uniqueid, stay.queue), None)
        state.members.end_talks_of(
            linkedid, facts.completed_at or facts.ended_at or state.last_event_at or call.started_at
        )
    if facts.outcome in ("abandoned", "timeout") and call.outcome is CallOutcome.IN_PROGRESS:
        call.abandoned = facts.outcome == "abandoned"
        call.queue_status = "TIMEOUT" if facts.outcome == "timeout" else call.queue_status
        call.wait_s = facts.wait_s
        if stay is not None:
            stay.abandoned, stay.wait_s = True, facts.wait_s
    state.ledger.call(call)
