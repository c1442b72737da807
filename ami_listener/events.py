"""Typed AMI events: the pure layer between panoramisk messages and the state machine.

`parse_event(headers, received_at)` takes the headers of one message (lower-cased keys, as produced by
`headers_of`) and returns the event we use, None for events we do not need, or raises BadEvent when a
field we rely on is missing or malformed. No I/O, no clock: the receive time is passed in, and an
Asterisk `Timestamp:` header (manager.conf timestampevents=yes) takes precedence over it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Literal

from hotline.timeutil import from_epoch

Headers = Mapping[str, "str | list[str]"]

# Channel variables the listener reads (everything else in VarSet is noise).
RECORDING_VARIABLE = "MIXMONITOR_FILENAME"
QUEUE_STATUS_VARIABLE = "QUEUESTATUS"
IVR_OUTCOME_VARIABLE = "HOTLINE_OUTCOME"


class BadEvent(ValueError):
    """A message we need cannot be understood (missing or malformed field)."""


@dataclass(frozen=True, slots=True)
class ChannelCreated:
    at: datetime
    uniqueid: str
    linkedid: str
    channel: str
    caller_number: str | None
    caller_name: str | None
    exten: str | None
    language: str | None


@dataclass(frozen=True, slots=True)
class CallerIdChanged:
    at: datetime
    uniqueid: str
    caller_number: str | None
    caller_name: str | None


@dataclass(frozen=True, slots=True)
class VariableSet:
    at: datetime
    uniqueid: str
    linkedid: str
    variable: str
    value: str


@dataclass(frozen=True, slots=True)
class ChannelHungUp:
    at: datetime
    uniqueid: str
    linkedid: str
    cause: int | None
    cause_text: str | None
    # Final values of the variables we read, when manager.conf `channelvars` lists them (this is
    # how the listener works with VarSet filtered out entirely).
    variables: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class BridgeChanged:
    at: datetime
    bridge_id: str
    uniqueid: str
    entered: bool


@dataclass(frozen=True, slots=True)
class CallerJoined:
    at: datetime
    queue: str
    position: int
    uniqueid: str
    linkedid: str
    caller_number: str | None
    caller_name: str | None
    topic: str | None


@dataclass(frozen=True, slots=True)
class CallerLeft:
    at: datetime
    queue: str
    position: int
    uniqueid: str
    linkedid: str


@dataclass(frozen=True, slots=True)
class CallerAbandoned:
    at: datetime
    queue: str
    uniqueid: str
    linkedid: str
    hold_time: int | None


@dataclass(frozen=True, slots=True)
class AgentCalled:
    at: datetime
    queue: str
    uniqueid: str
    linkedid: str
    interface: str
    member_name: str


@dataclass(frozen=True, slots=True)
class AgentRingNoAnswer:
    at: datetime
    queue: str
    uniqueid: str
    interface: str


@dataclass(frozen=True, slots=True)
class AgentConnected:
    at: datetime
    queue: str
    uniqueid: str
    linkedid: str
    interface: str
    member_name: str
    hold_time: int | None


@dataclass(frozen=True, slots=True)
class AgentCompleted:
    at: datetime
    queue: str
    uniqueid: str
    linkedid: str
    interface: str
    member_name: str
    talk_time: int | None
    reason: str | None


MemberChange = Literal["added", "removed", "status", "pause", "penalty", "ringinuse", "snapshot"]


@dataclass(frozen=True, slots=True)
class MemberChanged:
    at: datetime
    change: MemberChange
    queue: str
    interface: str
    name: str
    state_interface: str | None
    dynamic: bool
    penalty: int
    calls_taken: int
    last_call: datetime | None
    login_time: datetime | None
    in_call: bool
    status: int
    paused: bool
    pause_reason: str | None


@dataclass(frozen=True, slots=True)
class QueueParams:
    at: datetime
    queue: str
    strategy: str | None


@dataclass(frozen=True, slots=True)
class QueueEntryItem:
    """A waiting caller as QueueStatus lists it (snapshot)."""

    at: datetime
    queue: str
    position: int
    uniqueid: str
    caller_number: str | None
    caller_name: str | None
    wait_s: int


@dataclass(frozen=True, slots=True)
class ChannelItem:
    """A live channel as CoreShowChannels lists it (snapshot)."""

    at: datetime
    uniqueid: str
    linkedid: str
    channel: str
    caller_number: str | None
    caller_name: str | None
    exten: str | None
    language: str | None
    application: str | None
    duration_s: int
    bridge_id: str | None
    topic: str | None


@dataclass(frozen=True, slots=True)
class ListComplete:
    at: datetime
    action_id: str
    name: str


@dataclass(frozen=True, slots=True)
class PbxBooted:
    at: datetime


@dataclass(frozen=True, slots=True)
class PbxShutdown:
    at: datetime
    restart: bool


Event = (
    ChannelCreated
    | CallerIdChanged
    | VariableSet
    | ChannelHungUp
    | BridgeChanged
    | CallerJoined
    | CallerLeft
    | CallerAbandoned
    | AgentCalled
    | AgentRingNoAnswer
    | AgentConnected
    | AgentCompleted
    | MemberChanged
    | QueueParams
    | QueueEntryItem
    | ChannelItem
    | ListComplete
    | PbxBooted
    | PbxShutdown
)

# Events that carry nothing we need; recognised so they are not counted as unknown.
IGNORED_EVENTS = frozenset(
    {
        "newexten",
        "newstate",
        "newconnectedline",
        "devicestatechange",
        "softhanguprequest",
        "hanguprequest",
        "localbridge",
        "dialbegin",
        "dialend",
        "dialstate",
        "musiconholdstart",
        "musiconholdstop",
        "agiexecstart",
        "agiexecend",
        "asyncagistart",
        "asyncagiexec",
        "asyncagiend",
        "dtmfbegin",
        "dtmfend",
        "cdr",
        "cel",
        "originateresponse",
        "successfulauth",
        "challengesent",
        "bridgecreate",
        "bridgedestroy",
        "mixmonitorstart",
        "mixmonitorstop",
        "reload",
        "queuesummary",
        "queuesummarycomplete",
        "status",
        "statuscomplete",
        "devicestatelistcomplete",
        "newaccountcode",
        "rtcpsent",
        "rtcpreceived",
        "varset",
        "userevent",
        "peerstatus",
        "registry",
        "agentdump",
        "hold",
        "unhold",
        "attendedtransfer",
        "blindtransfer",
        "musiconhold",
    }
)


# The commonest noise, recognised by its first line alone (str.startswith with a tuple runs in C).
_NOISE_PREFIXES = tuple(
    f"Event: {name}\r\n"
    for name in (
        "Newexten",
        "DeviceStateChange",
        "AGIExecStart",
        "AGIExecEnd",
        "Newstate",
        "NewConnectedLine",
        "SoftHangupRequest",
        "HangupRequest",
        "Cdr",
        "DialBegin",
        "DialEnd",
        "DialState",
        "LocalBridge",
        "MusicOnHoldStart",
        "MusicOnHoldStop",
        "DTMFBegin",
        "DTMFEnd",
        "OriginateResponse",
        "BridgeCreate",
        "BridgeDestroy",
        "MixMonitorStart",
        "SuccessfulAuth",
        "RTCPSent",
        "RTCPReceived",
        "CEL",
    )
)


def headers_of(message: Mapping[str, object]) -> dict[str, str | list[str]]:
    """Lower-cased header dict of a panoramisk Message (or any mapping of header → value)."""
    store = getattr(message, "_store", None)
    if isinstance(store, dict):
        # panoramisk's CaseInsensitiveDict keeps {lower key: (key, value)}; reading it directly is
        # several times faster than its Mapping interface (this runs for every message).
        return {key: value for key, (_, value) in store.items()}
    result: dict[str, str | list[str]] = {}
    for key, value in message.items():
        if isinstance(value, list):
            result[key.lower()] = [str(v) for v in value]
        else:
            result[key.lower()] = str(value)
    return result


def noise_filter(topic_variables: tuple[str, ...]) -> Callable[[bytes], bool]:
    """A test for raw frames (bytes) we would ignore anyway, judged from their first lines.

    About three quarters of the stream (VarSet, Newexten, DeviceStateChange ...) is dropped this way
    before it is decoded or parsed.
    """
    wanted = {name.encode() for name in wanted_variables(topic_variables)}
    prefixes = tuple(p.encode() for p in _NOISE_PREFIXES)

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


def _text(headers: Headers, key: str) -> str:
    value = headers.get(key)
    if value is None:
        raise BadEvent(f"missing field {key}")
    if isinstance(value, list):
        value = value[-1]
    return value


def _opt(headers: Headers, key: str) -> str | None:
    value = headers.get(key)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[-1]
    value = value.strip()
    if not value or value == "<unknown>":
        return None
    return value


def _opt_int(headers: Headers, key: str) -> int | None:
    value = _opt(headers, key)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadEvent(f"field {key} is not a number: {value!r}") from None


def _int(headers: Headers, key: str, default: int | None = None) -> int:
    value = _opt_int(headers, key)
    if value is not None:
        return value
    if default is None:
        raise BadEvent(f"missing field {key}")
    return default


def _epoch(headers: Headers, key: str) -> datetime | None:
    value = _opt_int(headers, key)
    return from_epoch(value) if value else None


def _duration(value: str | None) -> int:
    if not value:
        return 0
    try:
        parts = [int(p) for p in value.split(":")]
    except ValueError:
        raise BadEvent(f"bad duration {value!r}") from None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def chan_variable(headers: Headers, name: str, key: str = "chanvariable") -> str | None:
    """Value of a `channelvars` variable carried in a channel snapshot (None when empty/absent)."""
    raw = headers.get(key)
    if raw is None:
        return None
    values = raw if isinstance(raw, list) else [raw]
    prefix = name + "="
    for item in values:
        if item.startswith(prefix):
            return item[len(prefix) :].strip() or None
    return None


def _chan_variables(headers: Headers, wanted: frozenset[str]) -> tuple[tuple[str, str], ...]:
    raw = headers.get("chanvariable")
    if raw is None:
        return ()
    found = []
    for item in raw if isinstance(raw, list) else [raw]:
        name, sep, value = item.partition("=")
        if sep and value and name in wanted:
            found.append((name, value))
    return tuple(found)


def _topic(headers: Headers, variables: tuple[str, ...]) -> str | None:
    for name in variables:
        value = chan_variable(headers, name)
        if value:
            return value
    return None


def _channel(headers: Headers) -> tuple[str, str, str, str | None, str | None, str | None, str | None]:
    """Uniqueid, Linkedid, Channel, caller number and name, Exten, Language (Newchannel, CoreShowChannel)."""
    return (
        _text(headers, "uniqueid"),
        _text(headers, "linkedid"),
        _text(headers, "channel"),
        _opt(headers, "calleridnum"),
        _opt(headers, "calleridname"),
        _opt(headers, "exten"),
        _opt(headers, "language"),
    )


def _queue_leg(headers: Headers) -> tuple[str, str, str]:
    """Queue, Uniqueid and Linkedid: the caller leg that a queue event is about."""
    return _text(headers, "queue"), _text(headers, "uniqueid"), _text(headers, "linkedid")


def _agent_leg(headers: Headers) -> tuple[str, str, str, str, str]:
    """The queue leg, the member's Interface, and its MemberName (the interface when it has none)."""
    queue, uniqueid, linkedid = _queue_leg(headers)
    interface = _text(headers, "interface")
    return queue, uniqueid, linkedid, interface, _opt(headers, "membername") or interface


def event_time(headers: Headers, received_at: datetime) -> datetime:
    stamp = headers.get("timestamp")
    if isinstance(stamp, str):
        try:
            return from_epoch(float(stamp))
        except ValueError:
            pass
    return received_at


@lru_cache(maxsize=8)
def wanted_variables(topic_variables: tuple[str, ...]) -> frozenset[str]:
    """Every channel variable the listener reads (for VarSet filtering and manager.conf eventfilter)."""
    return frozenset((*topic_variables, RECORDING_VARIABLE, QUEUE_STATUS_VARIABLE, IVR_OUTCOME_VARIABLE))


def parse_event(
    headers: Headers, received_at: datetime, *, topic_variables: tuple[str, ...] = ()
) -> Event | None:
    """The typed event for one AMI message, or None when we do not use it. Raises BadEvent."""
    name = headers.get("event")
    if not isinstance(name, str):
        raise BadEvent("not an event")
    kind = name.lower()
    at = event_time(headers, received_at)
    if kind == "varset":
        variable = _opt(headers, "variable")
        if variable is None:
            raise BadEvent("VarSet without Variable")
        variable = variable.lstrip("_")
        if variable not in wanted_variables(topic_variables) or _opt(headers, "uniqueid") is None:
            return None  # globals (Channel: none) and variables we do not read
        return VariableSet(
            at,
            _text(headers, "uniqueid"),
            _text(headers, "linkedid"),
            variable,
            (_opt(headers, "value") or ""),
        )
    if kind == "newchannel":
        return ChannelCreated(at, *_channel(headers))
    if kind == "newcallerid":
        return CallerIdChanged(
            at, _text(headers, "uniqueid"), _opt(headers, "calleridnum"), _opt(headers, "calleridname")
        )
    if kind == "hangup":
        return ChannelHungUp(
            at,
            _text(headers, "uniqueid"),
            _text(headers, "linkedid"),
            _opt_int(headers, "cause"),
            _opt(headers, "cause-txt"),
            _chan_variables(headers, wanted_variables(topic_variables)),
        )
    if kind in ("bridgeenter", "bridgeleave"):
        return BridgeChanged(
            at, _text(headers, "bridgeuniqueid"), _text(headers, "uniqueid"), kind == "bridgeenter"
        )
    if kind == "queuecallerjoin":
        return CallerJoined(
            at,
            _text(headers, "queue"),
            _int(headers, "position"),
            _text(headers, "uniqueid"),
            _text(headers, "linkedid"),
            _opt(headers, "calleridnum"),
            _opt(headers, "calleridname"),
            _topic(headers, topic_variables),
        )
    if kind == "queuecallerleave":
        return CallerLeft(
            at,
            _text(headers, "queue"),
            _int(headers, "position", 0),
            _text(headers, "uniqueid"),
            _text(headers, "linkedid"),
        )
    if kind == "queuecallerabandon":
        return CallerAbandoned(at, *_queue_leg(headers), _opt_int(headers, "holdtime"))
    if kind == "agentcalled":
        return AgentCalled(at, *_agent_leg(headers))
    if kind == "agentringnoanswer":
        return AgentRingNoAnswer(
            at, _text(headers, "queue"), _text(headers, "uniqueid"), _text(headers, "interface")
        )
    if kind == "agentconnect":
        return AgentConnected(at, *_agent_leg(headers), _opt_int(headers, "holdtime"))
    if kind == "agentcomplete":
        return AgentCompleted(
            at, *_agent_leg(headers), _opt_int(headers, "talktime"), _opt(headers, "reason")
        )
    if kind.startswith("queuemember") and kind != "queuememberstatuscomplete":
        return _member(headers, kind, at)
    if kind == "queueparams":
        return QueueParams(at, _text(headers, "queue"), _opt(headers, "strategy"))
    if kind == "queueentry":
        return QueueEntryItem(
            at,
            _text(headers, "queue"),
            _int(headers, "position"),
            _text(headers, "uniqueid"),
            _opt(headers, "calleridnum"),
            _opt(headers, "calleridname"),
            _int(headers, "wait", 0),
        )
    if kind == "coreshowchannel":
        return ChannelItem(
            at,
            *_channel(headers),
            _opt(headers, "application"),
            _duration(_opt(headers, "duration")),
            _opt(headers, "bridgeid"),
            _topic(headers, topic_variables),
        )
    if kind.endswith("complete") and _opt(headers, "eventlist") is not None:
        return ListComplete(at, _opt(headers, "actionid") or "", kind)
    if kind == "fullybooted":
        return PbxBooted(at)
    if kind == "shutdown":
        return PbxShutdown(at, (_opt(headers, "restart") or "").lower() == "true")
    return None


_MEMBER_CHANGES: dict[str, MemberChange] = {
    "queuememberadded": "added",
    "queuememberremoved": "removed",
    "queuememberstatus": "status",
    "queuememberpause": "pause",
    "queuememberpaused": "pause",
    "queuememberpenalty": "penalty",
    "queuememberringinuse": "ringinuse",
    "queuemember": "snapshot",
}


def _member(headers: Headers, kind: str, at: datetime) -> MemberChanged | None:
    change = _MEMBER_CHANGES.get(kind)
    if change is None:
        return None
    # QueueStatus items name the fields Name/Location; the member events MemberName/Interface.
    interface = _opt(headers, "interface") or _opt(headers, "location")
    if interface is None:
        raise BadEvent(f"{kind} without Interface")
    name = _opt(headers, "membername") or _opt(headers, "name") or interface
    return MemberChanged(
        at=at,
        change=change,
        queue=_text(headers, "queue"),
        interface=interface,
        name=name,
        state_interface=_opt(headers, "stateinterface"),
        dynamic=(_opt(headers, "membership") or "") == "dynamic",
        penalty=_int(headers, "penalty", 0),
        calls_taken=_int(headers, "callstaken", 0),
        last_call=_epoch(headers, "lastcall"),
        login_time=_epoch(headers, "logintime"),
        in_call=_int(headers, "incall", 0) == 1,
        status=_int(headers, "status", 0),
        paused=_int(headers, "paused", 0) == 1,
        pause_reason=_opt(headers, "pausedreason"),
    )
