"""Rebuild a PBX's live state from the snapshot lists asked for after every (re)connect (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ami_listener import event_types as ev
from ami_listener.members import removed
from ami_listener.queue_callers import Waiting
from ami_listener.state import LiveState
from hotline.models import CallOutcome


@dataclass
class Snapshot:
    """What QueueStatus and CoreShowChannels returned after a (re)connect; None = not received."""

    at: datetime
    queues: list[ev.QueueParams] | None = None
    members: list[ev.MemberChanged] = field(default_factory=list)
    entries: list[ev.QueueEntryItem] = field(default_factory=list)
    channels: list[ev.ChannelItem] | None = None


def apply_snapshot(state: LiveState, snap: Snapshot) -> list[str]:
    """Rebuild live state from one snapshot list (channels or queues), as of the list's end.

    Returns the linkedids closed as lost during disconnect (calls none of whose channels exist).
    """
    lost: list[str] = []
    if snap.channels is not None:
        lost = _resync_channels(state, snap, snap.channels)
    if snap.queues is not None:
        _resync_queues(state, snap, snap.queues)
    state.members.note_agent_states(snap.at)
    return lost


def _resync_channels(state: LiveState, snap: Snapshot, channels: list[ev.ChannelItem]) -> list[str]:
    calls = state.calls
    lost: list[str] = []
    alive = {item.uniqueid: item for item in channels}
    for call in list(calls.open.values()):
        call.channels &= alive.keys()
        if not call.channels:
            state.finish(call, state.last_event_at or snap.at, CallOutcome.LOST_DURING_DISCONNECT)
            lost.append(call.linkedid)
    calls.channel_call = {
        uniqueid: linkedid for uniqueid, linkedid in calls.channel_call.items() if uniqueid in alive
    }
    for item in channels:
        if item.uniqueid in calls.channel_call:
            continue
        started = snap.at - timedelta(seconds=item.duration_s)
        call = calls.get_or_open(item.linkedid, started)
        calls.add_channel(call, item.uniqueid)
        if item.uniqueid == item.linkedid:
            call.caller_number = call.caller_number or item.caller_number
            call.caller_name = call.caller_name or item.caller_name
            call.dialed_number = call.dialed_number or item.exten
        call.ivr_topic = call.ivr_topic or item.topic
    return lost


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
