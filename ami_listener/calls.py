"""Call lifecycle of one PBX, keyed by Linkedid (pure): channels come and go, the caller is named,
IVR variables arrive, and the call ends when its last channel hangs up."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath

from ami_listener import event_types as ev
from ami_listener.dial_back import OUTGOING_SPOOL_FAILED, UnqueuedCalls, dialled, local_into, requested
from ami_listener.ledger import Ledger
from ami_listener.records import CallRecord, FinishedRecording
from hotline.domain import CallOutcome

FINISHED_MEMORY = 20_000  # finished calls remembered, so late events never reopen them
_EXIT_EMPTY = {"JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "FULL"}
_IVR_OUTCOMES = {
    "after_hours": CallOutcome.AFTER_HOURS,
    "callback": CallOutcome.CALLBACK_REQUESTED,
    "callback_requested": CallOutcome.CALLBACK_REQUESTED,
}


def final_outcome(call: CallRecord) -> CallOutcome:
    """The outcome of a call that ends still `in_progress` (never answered nor abandoned)."""
    if call.queue is None:
        if call.dial_back is not None:
            return call.dial_back
        return _IVR_OUTCOMES.get(call.ivr_outcome or "", CallOutcome.IVR_ONLY)
    if call.queue_status in _EXIT_EMPTY:
        return CallOutcome.EXIT_EMPTY
    if call.queue_status == "TIMEOUT":
        return CallOutcome.TIMEOUT
    if call.abandoned:
        return CallOutcome.ABANDONED
    # Left the queue with neither an agent nor a hangup while waiting: the queue let it go.
    return CallOutcome.TIMEOUT if call.wait_s is not None else CallOutcome.ABANDONED


class Calls:
    def __init__(
        self,
        pbx: str,
        ledger: Ledger,
        *,
        topic_variables: tuple[str, ...] = (),
        recordings_dir: PurePath | None = None,
        dial_context: str | None = None,
    ) -> None:
        self.pbx = pbx
        self.dial_context = dial_context  # where our dialer dials citizens (dialer.dial_context)
        self.ledger = ledger
        self.topic_variables = topic_variables
        self.recordings_dir = recordings_dir
        self.open: dict[str, CallRecord] = {}  # linkedid -> call still up
        self.channel_call: dict[str, str] = {}  # uniqueid -> linkedid
        self.bridges: dict[str, set[str]] = {}
        self._finished: dict[str, None] = {}  # recently finished linkedids, oldest first
        self.unqueued = UnqueuedCalls()

    def finished(self, linkedid: str) -> bool:
        return linkedid in self._finished

    def get_or_open(self, linkedid: str, at: datetime) -> CallRecord:
        call = self.open.get(linkedid)
        if call is None:
            call = CallRecord(pbx=self.pbx, linkedid=linkedid, started_at=at)
            self.open[linkedid] = call
            self.ledger.call(call)
        return call

    def add_channel(self, call: CallRecord, uniqueid: str) -> None:
        call.channels.add(uniqueid)
        self.channel_call[uniqueid] = call.linkedid

    def on_channel(self, e: ev.ChannelCreated) -> None:
        if e.linkedid in self._finished:
            return  # a late leg of a call already recorded: never reopen (and overwrite) its record
        new = e.linkedid not in self.open
        call = self.get_or_open(e.linkedid, e.at)
        self.add_channel(call, e.uniqueid)
        if e.uniqueid == e.linkedid:
            self.set_origin(call, e.channel)
        if new or e.uniqueid == e.linkedid:
            call.caller_number = call.caller_number or e.caller_number
            call.caller_name = call.caller_name or e.caller_name
            call.dialed_number = call.dialed_number or e.exten
            call.language = call.language or e.language
            self.ledger.call(call)

    def set_origin(self, call: CallRecord, channel: str) -> None:
        call.origin_channel = channel
        if channel == OUTGOING_SPOOL_FAILED:
            call.dial_back = CallOutcome.DIAL_BACK_FAILED
        elif self.is_dial_leg(call):
            # Our dialer calling a citizen: a failed dial-back unless the citizen answers.
            call.dial_back = CallOutcome.DIAL_BACK_FAILED

    def is_dial_leg(self, call: CallRecord) -> bool:
        """Whether the call is our dialer's leg to a citizen (its first channel dials the dial context)."""
        return (
            self.dial_context is not None
            and call.origin_channel is not None
            and local_into(call.origin_channel, self.dial_context)
        )

    def note_answered(self, call: CallRecord) -> None:
        """The call's first channel was answered: for our dialer's leg, the citizen answered."""
        if self.is_dial_leg(call):
            call.dial_back = CallOutcome.DIAL_BACK  # its outcome unless it is queued

    def originate_failed(self, dial_string: str) -> None:
        """The Originate of `dial_string` failed: the call its channels made is a failed dial-back."""
        dial = requested(dial_string)
        for call in self.open.values():
            if call.origin_channel is not None and dialled(call.origin_channel) == dial:
                call.dial_back = CallOutcome.DIAL_BACK_FAILED
                return
        ended = self.unqueued.take(dial)  # the usual order: its channels hung up before the response
        if ended is not None and ended.queue is None:
            ended.dial_back = ended.outcome = CallOutcome.DIAL_BACK_FAILED
            self.ledger.call(ended)

    def on_callerid(self, e: ev.CallerIdChanged) -> None:
        linkedid = self.channel_call.get(e.uniqueid)
        if linkedid != e.uniqueid or linkedid not in self.open:
            return  # only the originating channel names the caller
        call = self.open[linkedid]
        if call.queue_entered_at is None:
            call.caller_number = e.caller_number or call.caller_number
            call.caller_name = e.caller_name or call.caller_name
            self.ledger.call(call)

    def on_variable(self, e: ev.VariableSet) -> None:
        call = self.open.get(e.linkedid)
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
        elif e.variable == ev.LANGUAGE_VARIABLE:
            if e.value:
                call.language = e.value[:8]
                call.chosen_language = True
        elif e.variable == ev.VISIT_VARIABLE:
            call.ivr_visit_id = int(e.value) if e.value.isdigit() else call.ivr_visit_id
        self.ledger.call(call)

    def _recording_path(self, value: str) -> str:
        # Asterisk names the file on its own disk; we read recordings from our configured folder.
        if self.recordings_dir is None:
            return value
        path = PurePath(value)
        if path.is_absolute() and path.is_relative_to(self.recordings_dir):
            return str(path)
        return str(self.recordings_dir / path.name)

    def on_hangup(self, e: ev.ChannelHungUp) -> CallRecord | None:
        """Drop the channel; returns the call when that was its last channel (the caller closes it)."""
        linkedid = self.channel_call.pop(e.uniqueid, e.linkedid)
        call = self.open.get(linkedid)
        if call is None:
            return None
        call.channels.discard(e.uniqueid)
        for variable, value in e.variables:
            self.on_variable(ev.VariableSet(e.at, e.uniqueid, linkedid, variable, value))
        if e.answered and e.uniqueid == call.linkedid:
            self.note_answered(call)
        if e.uniqueid in (call.caller_uniqueid, call.linkedid) and (
            call.hangup_cause is None or e.uniqueid == call.caller_uniqueid
        ):
            call.hangup_cause = e.cause
            call.hangup_cause_text = e.cause_text
            if e.language and not call.chosen_language:
                # The IVR switches CHANNEL(language) to the caller's choice; the end shows it.
                call.language = e.language
            self.ledger.call(call)
        return None if call.channels else call

    def on_bridge(self, e: ev.BridgeChanged) -> None:
        members = self.bridges.setdefault(e.bridge_id, set())
        if e.entered:
            members.add(e.uniqueid)
        else:
            members.discard(e.uniqueid)
            if not members:
                del self.bridges[e.bridge_id]

    def close(self, call: CallRecord, at: datetime, forced: CallOutcome | None) -> None:
        """End the call record (its queue stays and talk periods are closed by their owners)."""
        if forced is not None:
            call.outcome = forced
        elif call.outcome is CallOutcome.IN_PROGRESS:
            call.outcome = final_outcome(call)
        call.ended_at = at
        self._finished[call.linkedid] = None
        if len(self._finished) > FINISHED_MEMORY:
            del self._finished[next(iter(self._finished))]
        for uniqueid in call.channels:
            self.channel_call.pop(uniqueid, None)
        call.channels.clear()
        self.open.pop(call.linkedid, None)
        self.ledger.call(call)
        if call.queue is None and call.dial_back is None:
            self.unqueued.remember(call)
        if call.recording_file:
            self.ledger.recording(
                FinishedRecording(call.linkedid, call.recording_file, call.language or "ru")
            )
