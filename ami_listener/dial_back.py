"""Telling the legs the PBX placed with AMI Originate (the dial-back) from citizens' calls (pure).

Facts from the `callback_dial` capture (Asterisk 22): `OriginateResponse` is broadcast to every `call`
reader. A failed Originate answers `Response: Failure` with `Channel` = the requested dial string
(`Local/<number>@<context>/n`) and no Uniqueid, and usually only after the channels it created
(`Local/<number>@<context>-<seq>;1/;2`) have hung up; Asterisk then also runs a channel named
`OutgoingSpoolFailed` (exten `failed`) in the Originate's context. A successful one answers `Success`
with the originated `;1` channel's Uniqueid (= the call's linkedid).

The dialer's own legs are known sooner, by name: their first channel is a Local channel into the
dialer's context (`Local/<number>@<dialer.dial_context>-<seq>;1`), announced while it still rings.
"""

from __future__ import annotations

import re

from ami_listener.records import CallRecord

OUTGOING_SPOOL_FAILED = "OutgoingSpoolFailed"
RECENT_MEMORY = 1_000  # calls ended without a queue, kept for a failure reported after their hangup
_INSTANCE = re.compile(r"-[0-9a-fA-F]+(;\d)?$")


def dialled(channel: str) -> str:
    """What a channel was dialled as: `Local/x@ctx-000000b1;1` → `Local/x@ctx`, `PJSIP/op101-0000002a` →
    `PJSIP/op101` (Asterisk appends the instance number, and `;1`/`;2` for the halves of a Local)."""
    return _INSTANCE.sub("", channel)


def requested(dial_string: str) -> str:
    """An Originate's or a queue member's dial string without its options: `Local/x@ctx/n` → `Local/x@ctx`."""
    tech, _, rest = dial_string.partition("/")
    return f"{tech}/{rest.split('/', 1)[0]}" if rest else dial_string


def local_into(channel: str, context: str) -> bool:
    """Whether a channel is a Local channel into `context`: `Local/x@ctx-000000b0;1` is one into `ctx`."""
    tech, _, rest = dialled(channel).partition("/")
    return tech == "Local" and rest.rpartition("@")[2] == context


class UnqueuedCalls:
    """Calls that ended without reaching a queue, by what their first channel dialled (newest last)."""

    def __init__(self) -> None:
        self._calls: dict[str, CallRecord] = {}  # linkedid -> call

    def remember(self, call: CallRecord) -> None:
        self._calls[call.linkedid] = call
        if len(self._calls) > RECENT_MEMORY:
            del self._calls[next(iter(self._calls))]

    def take(self, dial: str) -> CallRecord | None:
        """The oldest remembered call whose first channel was dialled as `dial` (forgotten then)."""
        for linkedid, call in self._calls.items():
            if call.origin_channel is not None and dialled(call.origin_channel) == dial:
                del self._calls[linkedid]
                return call
        return None
