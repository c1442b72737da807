"""The one table of AMI events: name → parser (and the event type it makes) → state handler.

Every event name the listener knows is listed here once. Events we read have a parser and, when they
change live state, a LiveState handler; list items (QueueStatus, CoreShowChannels) are collected by
the processor instead. Events we do not need are listed as ignored (so they are not counted as
unknown), and the commonest of them as `noise`, dropped from the byte stream before decoding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ami_listener import events as p
from ami_listener.event_types import BadEvent, Event, Headers
from ami_listener.state import LiveState

Handler = Callable[[LiveState, Any], None]


@dataclass(frozen=True, slots=True)
class Route:
    name: str  # as Asterisk spells it
    parse: p.Parser | None = None  # None: ignored
    handler: Handler | None = None
    noise: bool = False  # ignored and common: dropped before decoding


def _ignored(*names: str, noise: bool = False) -> list[Route]:
    return [Route(name, noise=noise) for name in names]


ROUTES: tuple[Route, ...] = (
    # calls
    Route("Newchannel", p.new_channel, LiveState.on_channel),
    Route("NewCallerid", p.new_callerid, LiveState.on_callerid),
    Route("VarSet", p.var_set, LiveState.on_variable),
    Route("Hangup", p.hangup, LiveState.on_hangup),
    Route("BridgeEnter", p.bridge_enter, LiveState.on_bridge),
    Route("BridgeLeave", p.bridge_leave, LiveState.on_bridge),
    # queue callers
    Route("QueueCallerJoin", p.caller_join, LiveState.on_join),
    Route("QueueCallerLeave", p.caller_leave, LiveState.on_leave),
    Route("QueueCallerAbandon", p.caller_abandon, LiveState.on_abandon),
    Route("AgentCalled", p.agent_called, LiveState.on_agent_called),
    Route("AgentRingNoAnswer", p.agent_ring_no_answer, LiveState.on_ring_no_answer),
    Route("AgentConnect", p.agent_connect, LiveState.on_connect),
    Route("AgentComplete", p.agent_complete, LiveState.on_complete),
    # members
    Route("QueueMemberAdded", p.member("added"), LiveState.on_member),
    Route("QueueMemberRemoved", p.member("removed"), LiveState.on_member),
    Route("QueueMemberStatus", p.member("status"), LiveState.on_member),
    Route("QueueMemberPause", p.member("pause"), LiveState.on_member),
    Route("QueueMemberPaused", p.member("pause"), LiveState.on_member),
    Route("QueueMemberPenalty", p.member("penalty"), LiveState.on_member),
    Route("QueueMemberRinginuse", p.member("ringinuse"), LiveState.on_member),
    # PBX
    Route("FullyBooted", p.fully_booted),
    Route("Shutdown", p.shutdown, LiveState.on_shutdown),
    Route("OriginateResponse", p.originate_response, LiveState.on_originate),
    # snapshot list items (collected by the processor, applied by resync)
    Route("QueueParams", p.queue_params),
    Route("QueueMember", p.member("snapshot")),
    Route("QueueEntry", p.queue_entry),
    Route("CoreShowChannel", p.core_show_channel),
    Route("QueueStatusComplete", p.list_complete),
    Route("CoreShowChannelsComplete", p.list_complete),
    *_ignored(
        "Newexten",
        "Newstate",
        "NewConnectedLine",
        "DeviceStateChange",
        "SoftHangupRequest",
        "HangupRequest",
        "LocalBridge",
        "DialBegin",
        "DialEnd",
        "DialState",
        "MusicOnHoldStart",
        "MusicOnHoldStop",
        "AGIExecStart",
        "AGIExecEnd",
        "DTMFBegin",
        "DTMFEnd",
        "Cdr",
        "CEL",
        "SuccessfulAuth",
        "BridgeCreate",
        "BridgeDestroy",
        "MixMonitorStart",
        "RTCPSent",
        "RTCPReceived",
        noise=True,
    ),
    *_ignored(
        "AsyncAGIStart",
        "AsyncAGIExec",
        "AsyncAGIEnd",
        "ChallengeSent",
        "MixMonitorStop",
        "Reload",
        "QueueSummary",
        "QueueSummaryComplete",
        "QueueMemberStatusComplete",
        "Status",
        "StatusComplete",
        "DeviceStateListComplete",
        "NewAccountCode",
        "UserEvent",
        "PeerStatus",
        "Registry",
        "AgentDump",
        "Hold",
        "Unhold",
        "AttendedTransfer",
        "BlindTransfer",
        "MusicOnHold",
    ),
)

_BY_NAME = {route.name.lower(): route for route in ROUTES}
IGNORED_EVENTS = frozenset(name for name, route in _BY_NAME.items() if route.parse is None)
KNOWN_EVENTS = frozenset(_BY_NAME)  # lower-case names; anything else is counted as unknown
NOISE_PREFIXES = tuple(f"Event: {route.name}\r\n" for route in ROUTES if route.noise)


def parse_routed(
    headers: Headers, received_at: datetime, *, topic_variables: tuple[str, ...] = ()
) -> tuple[Event | None, Handler | None]:
    """The typed event for one AMI message (None when we do not use it) and the handler that applies
    it (None when it changes no live state). Raises BadEvent."""
    name = headers.get("event")
    if not isinstance(name, str):
        raise BadEvent("not an event")
    kind = name.lower()
    route = _BY_NAME.get(kind)
    at = p.event_time(headers, received_at)
    if route is None:
        # Any other list's end (a list action we did not expect) is still a list end.
        return (p.list_complete(headers, at, topic_variables) if kind.endswith("complete") else None), None
    if route.parse is None:
        return None, None
    return route.parse(headers, at, topic_variables), route.handler


def parse_event(
    headers: Headers, received_at: datetime, *, topic_variables: tuple[str, ...] = ()
) -> Event | None:
    """The typed event for one AMI message, or None when we do not use it. Raises BadEvent."""
    return parse_routed(headers, received_at, topic_variables=topic_variables)[0]


def noise_filter(topic_variables: tuple[str, ...]) -> Callable[[bytes], bool]:
    """A test for raw frames (bytes) we would ignore anyway, judged from their first lines.

    About three quarters of the stream (VarSet, Newexten, DeviceStateChange ...) is dropped this way
    before it is decoded or parsed.
    """
    wanted = {name.encode() for name in p.wanted_variables(topic_variables)}
    prefixes = tuple(prefix.encode() for prefix in NOISE_PREFIXES)

    def is_noise(frame: bytes) -> bool:
        if frame.startswith(prefixes):
            return True
        if frame.startswith(b"Event: VarSet\r\n"):
            start = frame.find(b"\r\nVariable: ")
            if start < 0:
                return False  # malformed: let the parser count it
            start += 12
            stop = frame.find(b"\r\n", start)
            variable = (frame[start:] if stop < 0 else frame[start:stop]).lstrip(b"_")
            return variable not in wanted
        return False

    return is_noise
