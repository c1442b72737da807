"""Typed AMI events: what the parsers produce and the state machine consumes (plain data, no logic)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Headers = Mapping[str, "str | list[str]"]

# Channel variables the listener reads (everything else in VarSet is noise).
RECORDING_VARIABLE = "MIXMONITOR_FILENAME"
QUEUE_STATUS_VARIABLE = "QUEUESTATUS"
IVR_OUTCOME_VARIABLE = "HOTLINE_OUTCOME"
LANGUAGE_VARIABLE = "HOTLINE_LANG"  # the language the caller chose in the IVR
VISIT_VARIABLE = "HOTLINE_VISIT"  # the IVR's visit record id


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
    language: str | None = None  # the channel's language at the end (the IVR may have switched it)
    answered: bool = False  # the channel was up when it ended (ChannelState 6), not ringing or down


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
    uniqueid: str | None  # None: Asterisk 22 sometimes sends only the member's (Dest*) fields
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


@dataclass(frozen=True, slots=True)
class OriginateAnswered:
    """An Originate's result (OriginateResponse, broadcast whoever sent the Originate)."""

    at: datetime
    success: bool
    channel: str  # success: the originated channel; failure: the dial string as requested
    uniqueid: str | None  # success: the originated channel's (= the call's linkedid)


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
    | OriginateAnswered
)
