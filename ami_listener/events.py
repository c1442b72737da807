"""AMI message headers → typed events: one small parser per event (pure).

Each parser takes the headers of one message (lower-cased keys, as produced by `headers_of`), the
event time and the configured topic variables, and returns the typed event, None when the message
carries nothing we use, or raises BadEvent when a field we rely on is missing or malformed. Which
AMI event goes to which parser and handler is stated once, in `event_table.py`. No I/O, no clock:
the receive time is passed in, and an Asterisk `Timestamp:` header (manager.conf
timestampevents=yes) takes precedence over it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache

from ami_listener.event_types import (
    IVR_OUTCOME_VARIABLE,
    LANGUAGE_VARIABLE,
    QUEUE_STATUS_VARIABLE,
    RECORDING_VARIABLE,
    VISIT_VARIABLE,
    AgentCalled,
    AgentCompleted,
    AgentConnected,
    AgentRingNoAnswer,
    BadEvent,
    BridgeChanged,
    CallerAbandoned,
    CallerIdChanged,
    CallerJoined,
    CallerLeft,
    ChannelCreated,
    ChannelHungUp,
    ChannelItem,
    Event,
    Headers,
    ListComplete,
    MemberChange,
    MemberChanged,
    OriginateAnswered,
    PbxBooted,
    PbxShutdown,
    QueueEntryItem,
    QueueParams,
    VariableSet,
)
from hotline.timeutil import from_epoch

Parser = Callable[[Headers, datetime, tuple[str, ...]], Event | None]
CHANNEL_STATE_UP = "6"  # Asterisk's AST_STATE_UP: answered (`ChannelStateDesc: Up`)


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


# ---------------------------------------------------------------- field readers
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


def chan_variables(headers: Headers, key: str = "chanvariable") -> dict[str, str]:
    """The `channelvars` variables of a channel snapshot ({name: value}, empty values left out).

    `key` picks the snapshot: `chanvariable` for the channel, `destchanvariable` for the second one.
    """
    raw = headers.get(key)
    if raw is None:
        return {}
    found: dict[str, str] = {}
    for item in raw if isinstance(raw, list) else [raw]:
        name, sep, value = item.partition("=")
        value = value.strip()
        if sep and value:
            found[name] = value
    return found


def _topic(variables: Mapping[str, str], topic_variables: tuple[str, ...]) -> str | None:
    return next((variables[name] for name in topic_variables if name in variables), None)


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
    if isinstance(stamp, list):
        stamp = stamp[0]  # Asterisk's own header comes first
    if isinstance(stamp, str):
        try:
            return from_epoch(float(stamp))
        except ValueError:
            pass
    return received_at


@lru_cache(maxsize=8)
def wanted_variables(topic_variables: tuple[str, ...]) -> frozenset[str]:
    """Every channel variable the listener reads (for VarSet filtering and manager.conf eventfilter)."""
    return frozenset(
        (
            *topic_variables,
            RECORDING_VARIABLE,
            QUEUE_STATUS_VARIABLE,
            IVR_OUTCOME_VARIABLE,
            LANGUAGE_VARIABLE,
            VISIT_VARIABLE,
        )
    )


# ---------------------------------------------------------------- one parser per event
def var_set(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> VariableSet | None:
    variable = _opt(headers, "variable")
    if variable is None:
        raise BadEvent("VarSet without Variable")
    variable = variable.lstrip("_")
    if variable not in wanted_variables(topic_variables) or _opt(headers, "uniqueid") is None:
        return None  # globals (Channel: none) and variables we do not read
    value = _opt(headers, "value") or ""
    return VariableSet(at, _text(headers, "uniqueid"), _text(headers, "linkedid"), variable, value)


def new_channel(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> ChannelCreated:
    return ChannelCreated(at, *_channel(headers))


def new_callerid(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> CallerIdChanged:
    return CallerIdChanged(
        at, _text(headers, "uniqueid"), _opt(headers, "calleridnum"), _opt(headers, "calleridname")
    )


def hangup(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> ChannelHungUp:
    wanted = wanted_variables(topic_variables)
    variables = tuple((k, v) for k, v in chan_variables(headers).items() if k in wanted)
    return ChannelHungUp(
        at,
        _text(headers, "uniqueid"),
        _text(headers, "linkedid"),
        _opt_int(headers, "cause"),
        _opt(headers, "cause-txt"),
        variables,
        _opt(headers, "language"),
        _opt(headers, "channelstate") == CHANNEL_STATE_UP,
    )


def bridge_enter(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> BridgeChanged:
    return BridgeChanged(at, _text(headers, "bridgeuniqueid"), _text(headers, "uniqueid"), True)


def bridge_leave(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> BridgeChanged:
    return BridgeChanged(at, _text(headers, "bridgeuniqueid"), _text(headers, "uniqueid"), False)


def caller_join(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> CallerJoined:
    return CallerJoined(
        at,
        _text(headers, "queue"),
        _int(headers, "position"),
        _text(headers, "uniqueid"),
        _text(headers, "linkedid"),
        _opt(headers, "calleridnum"),
        _opt(headers, "calleridname"),
        _topic(chan_variables(headers), topic_variables),
    )


def caller_leave(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> CallerLeft:
    return CallerLeft(
        at,
        _text(headers, "queue"),
        _int(headers, "position", 0),
        _text(headers, "uniqueid"),
        _text(headers, "linkedid"),
    )


def caller_abandon(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> CallerAbandoned:
    return CallerAbandoned(at, *_queue_leg(headers), _opt_int(headers, "holdtime"))


def agent_called(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> AgentCalled:
    return AgentCalled(at, *_agent_leg(headers))


def agent_ring_no_answer(
    headers: Headers, at: datetime, topic_variables: tuple[str, ...]
) -> AgentRingNoAnswer:
    return AgentRingNoAnswer(
        at, _text(headers, "queue"), _text(headers, "uniqueid"), _text(headers, "interface")
    )


def agent_connect(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> AgentConnected:
    return AgentConnected(at, *_agent_leg(headers), _opt_int(headers, "holdtime"))


def agent_complete(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> AgentCompleted:
    # Asterisk 22 sometimes leaves out every caller field (burst capture, call B03); the member's
    # channel is in the same call, so DestLinkedid names it, and Queue + Interface name the stay.
    # After the caller hung up first it may send neither (callback_dial, Db1): the Hangup has closed
    # the call and counted its talk time, so nothing is left to name ("").
    linkedid = _opt(headers, "linkedid") or _opt(headers, "destlinkedid") or ""
    interface = _text(headers, "interface")
    return AgentCompleted(
        at,
        _text(headers, "queue"),
        _opt(headers, "uniqueid"),
        linkedid,
        interface,
        _opt(headers, "membername") or interface,
        _opt_int(headers, "talktime"),
        _opt(headers, "reason"),
    )


def queue_params(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> QueueParams:
    return QueueParams(at, _text(headers, "queue"), _opt(headers, "strategy"))


def queue_entry(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> QueueEntryItem:
    return QueueEntryItem(
        at,
        _text(headers, "queue"),
        _int(headers, "position"),
        _text(headers, "uniqueid"),
        _opt(headers, "calleridnum"),
        _opt(headers, "calleridname"),
        _int(headers, "wait", 0),
    )


def core_show_channel(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> ChannelItem:
    return ChannelItem(
        at,
        *_channel(headers),
        _opt(headers, "application"),
        _duration(_opt(headers, "duration")),
        _opt(headers, "bridgeid"),
        _topic(chan_variables(headers), topic_variables),
    )


def list_complete(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> ListComplete | None:
    if _opt(headers, "eventlist") is None:
        return None
    return ListComplete(at, _opt(headers, "actionid") or "", str(headers.get("event", "")).lower())


def fully_booted(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> PbxBooted:
    return PbxBooted(at)


def shutdown(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> PbxShutdown:
    return PbxShutdown(at, (_opt(headers, "restart") or "").lower() == "true")


def originate_response(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> OriginateAnswered:
    uniqueid = _opt(headers, "uniqueid")
    return OriginateAnswered(
        at,
        (_opt(headers, "response") or "").lower() == "success",
        _text(headers, "channel"),
        None if uniqueid in (None, "<unknown>") else uniqueid,
    )


def member(change: MemberChange) -> Parser:
    """The parser of one queue member event (or QueueStatus item), tagged with what changed."""

    def parse(headers: Headers, at: datetime, topic_variables: tuple[str, ...]) -> MemberChanged:
        # QueueStatus items name the fields Name/Location; the member events MemberName/Interface.
        interface = _opt(headers, "interface") or _opt(headers, "location")
        if interface is None:
            raise BadEvent(f"queue member {change} without Interface")
        return MemberChanged(
            at=at,
            change=change,
            queue=_text(headers, "queue"),
            interface=interface,
            name=_opt(headers, "membername") or _opt(headers, "name") or interface,
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

    return parse
