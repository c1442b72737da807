"""The pure state machine of one PBX: typed events in, live state and changed records out. No I/O.

`LiveState` composes the parts and decides what one event means for each of them:
* `calls.Calls` — call lifecycle keyed by Linkedid (every channel of a call shares it; the call
  ends when its last channel hangs up);
* `queue_callers.QueueCallers` — waiting callers and queue stays;
* `members.Members` — queue members, agent states and agent periods;
* `resync.apply_snapshot` — rebuild after a (re)connect; `projection.live_view` — the wallboard.
`take_changes()` hands the records changed since the last call to the persistence adapter.
Which AMI event reaches which handler is stated once, in `event_table.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import PurePath

from ami_listener import event_types as ev
from ami_listener.calls import Calls
from ami_listener.dial_back import dialled
from ami_listener.ledger import Ledger
from ami_listener.members import Members
from ami_listener.projection import live_view
from ami_listener.queue_callers import QueueCallers
from ami_listener.records import CallRecord, Changes
from hotline.domain import CallOutcome
from hotline.live import LiveView


class LiveState:
    """Live calls, queues and members of one PBX, and the records they produce."""

    def __init__(
        self,
        pbx: str,
        *,
        topic_variables: tuple[str, ...] = (),
        recordings_dir: PurePath | None = None,
        dial_context: str | None = None,
    ) -> None:
        self.pbx = pbx
        self.ledger = Ledger()
        self.calls = Calls(
            pbx,
            self.ledger,
            topic_variables=topic_variables,
            recordings_dir=recordings_dir,
            dial_context=dial_context,
        )
        self.queues = QueueCallers(pbx, self.ledger)
        self.members = Members(pbx, self.ledger)
        self.last_event_at: datetime | None = None

    def take_changes(self) -> Changes:
        return self.ledger.take()

    def view(self, *, connected: bool, at: datetime) -> LiveView:
        return live_view(self, connected=connected, at=at)

    # ---------------------------------------------------------------- handlers (see event_table)
    def on_channel(self, e: ev.ChannelCreated) -> None:
        self.calls.on_channel(e)

    def on_callerid(self, e: ev.CallerIdChanged) -> None:
        self.calls.on_callerid(e)

    def on_variable(self, e: ev.VariableSet) -> None:
        self.calls.on_variable(e)

    def on_hangup(self, e: ev.ChannelHungUp) -> None:
        call = self.calls.on_hangup(e)
        if call is not None:
            self.finish(call, e.at, None)

    def on_bridge(self, e: ev.BridgeChanged) -> None:
        self.calls.on_bridge(e)

    def on_join(self, e: ev.CallerJoined) -> None:
        if self.calls.finished(e.linkedid):
            return
        call = self.calls.get_or_open(e.linkedid, e.at)
        if e.uniqueid not in self.calls.channel_call:
            self.calls.add_channel(call, e.uniqueid)
        self.queues.join(e, call)

    def on_leave(self, e: ev.CallerLeft) -> None:
        self.queues.leave(e, self.calls.open.get(e.linkedid))
        self.members.stop_ringing(uniqueid=e.uniqueid)
        self.members.note_agent_states(e.at)

    def _missed_join(
        self, queue: str, uniqueid: str, linkedid: str, at: datetime, hold_s: int | None
    ) -> None:
        """A stay whose QueueCallerJoin never came (a damaged frame, counted as a parse error) is opened
        from Asterisk's HoldTime, so the call still counts in its queue (position unknown: 1)."""
        call = self.calls.open.get(linkedid)
        if call is None or hold_s is None or call.queue == queue or (uniqueid, queue) in self.queues.stays:
            return
        self.on_join(
            ev.CallerJoined(at - timedelta(seconds=hold_s), queue, 1, uniqueid, linkedid, None, None, None)
        )
        self.queues.stop_waiting(queue, uniqueid)

    def on_abandon(self, e: ev.CallerAbandoned) -> None:
        self._missed_join(e.queue, e.uniqueid, e.linkedid, e.at, e.hold_time)
        self.queues.abandon(e, self.calls.open.get(e.linkedid))
        self.members.stop_ringing(uniqueid=e.uniqueid)
        self.members.note_agent_states(e.at)

    def on_agent_called(self, e: ev.AgentCalled) -> None:
        self.members.called(e)
        call = self.calls.open.get(e.linkedid)
        if call is not None:
            call.ringing = True
        self.members.note_agent_states(e.at)

    def on_ring_no_answer(self, e: ev.AgentRingNoAnswer) -> None:
        self.members.stop_ringing(interface=e.interface)
        self.members.note_agent_states(e.at)

    def on_connect(self, e: ev.AgentConnected) -> None:
        self._missed_join(e.queue, e.uniqueid, e.linkedid, e.at, e.hold_time)
        self.members.stop_ringing(uniqueid=e.uniqueid)
        self.queues.connect(e, self.calls.get_or_open(e.linkedid, e.at))
        self.members.start_talk(e)
        self.members.note_agent_states(e.at)

    def on_complete(self, e: ev.AgentCompleted) -> None:
        self.queues.complete(e, self.calls.open.get(e.linkedid))
        self.members.end_talk(e)

    def on_member(self, e: ev.MemberChanged) -> None:
        self.members.changed(e)
        self.members.note_agent_states(e.at)

    def on_params(self, e: ev.QueueParams) -> None:
        self.members.params(e)

    def on_originate(self, e: ev.OriginateAnswered) -> None:
        if not e.success:
            self.calls.originate_failed(e.channel)
            return
        # Answered: an operator-first dial-back (capture case Da: the operator's own line was
        # originated, then the citizen dialled from the dialplan, no queue), or our dialer's leg once
        # the citizen answered (it goes on into a queue, whose outcome then wins).
        call = self.calls.open.get(e.uniqueid or "")
        if call is None:
            return
        if call.origin_channel and self.members.is_member_line(dialled(call.origin_channel)):
            call.dial_back = CallOutcome.DIAL_BACK
        else:
            self.calls.note_answered(call)

    def on_shutdown(self, e: ev.PbxShutdown) -> None:
        # Nothing to close yet: the snapshot after reconnecting tells which calls survived.
        self.last_event_at = e.at

    # ---------------------------------------------------------------- endings
    def finish(self, call: CallRecord, at: datetime, forced: CallOutcome | None) -> None:
        """The call is over: close its queue stays, its agents' talk periods, then the record."""
        self.queues.close_call(call, at, forced)
        self.members.end_talks_of(call.linkedid, at)
        self.calls.close(call, at, forced)
