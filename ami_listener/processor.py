"""Applies AMI messages of one PBX, in order, to its LiveState; collects resync snapshots (pure).

Counts what it cannot use instead of failing: a malformed frame, a missing field or an unknown event
is logged and counted, and the next message is applied as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePath

from ami_listener import event_types as ev
from ami_listener.event_table import KNOWN_EVENTS, parse_event, parse_routed
from ami_listener.gap import GapCall, gap_calls
from ami_listener.resync import Snapshot, apply_snapshot, close_vanished
from ami_listener.state import LiveState

log = logging.getLogger(__name__)

QUEUES_LIST = "queues"
CHANNELS_LIST = "channels"


class Processor:
    def __init__(
        self,
        pbx: str,
        *,
        topic_variables: tuple[str, ...] = (),
        recordings_dir: PurePath | None = None,
        dial_context: str | None = None,
    ) -> None:
        self.pbx = pbx
        self.topic_variables = topic_variables
        self.state = LiveState(
            pbx, topic_variables=topic_variables, recordings_dir=recordings_dir, dial_context=dial_context
        )
        self.events_total = 0
        self.parse_errors_total = 0
        self.state_errors_total = 0  # the state machine failed on a well-formed event: a bug
        self.snapshots_applied = 0
        # Asterisk's queue_log and CDR text read at the last (re)connect, to recover the gap.
        self.gap_records: tuple[str, str] | None = None
        self.gap_since: datetime | None = None  # the last event seen before the (re)connect
        self.unknown_events_total = 0
        self.lost_total = 0
        self._unknown_seen: set[str] = set()
        self._lists: dict[str, str] = {}  # pending snapshot action id -> list kind
        self._snapshot: Snapshot | None = None

    # ---------------------------------------------------------------- snapshots
    @property
    def snapshot_pending(self) -> bool:
        return self._snapshot is not None

    def begin_snapshot(self, at: datetime, action_ids: Mapping[str, str]) -> None:
        """Expect the list responses for these action ids ({id: QUEUES_LIST|CHANNELS_LIST})."""
        self._lists = dict(action_ids)
        self._snapshot = Snapshot(at=at)

    def _snapshot_message(self, headers: ev.Headers, action_id: str, received_at: datetime) -> None:
        snap = self._snapshot
        assert snap is not None
        kind = self._lists[action_id]
        response = headers.get("response")
        if isinstance(response, str):
            if response.lower() != "success":
                log.warning(
                    "resync list refused", extra={"pbx": self.pbx, "list": kind, "response": dict(headers)}
                )
                self._list_done(action_id)
            elif kind == QUEUES_LIST:
                snap.queues = []
            else:
                snap.channels = []
            return
        event = parse_event(headers, received_at, topic_variables=self.topic_variables)
        if isinstance(event, ev.ListComplete):
            snap.at = event.at  # the list describes the PBX as of its end
            self._list_done(action_id)
        elif isinstance(event, ev.QueueParams) and snap.queues is not None:
            snap.queues.append(event)
        elif isinstance(event, ev.MemberChanged):
            snap.members.append(event)
        elif isinstance(event, ev.QueueEntryItem):
            snap.entries.append(event)
        elif isinstance(event, ev.ChannelItem) and snap.channels is not None:
            snap.channels.append(event)

    def _list_done(self, action_id: str) -> None:
        # Each list is applied as soon as it ends: events after it already reflect later changes.
        kind = self._lists.pop(action_id, None)
        snap = self._snapshot
        if snap is None:
            return
        if kind == CHANNELS_LIST:
            part = Snapshot(at=snap.at, channels=snap.channels)
        else:
            part = Snapshot(at=snap.at, queues=snap.queues, members=snap.members, entries=snap.entries)
        apply_snapshot(self.state, part)
        lost: list[str] = []
        if not self._lists:
            self._snapshot = None
            lost = close_vanished(self.state, snap.at, self._gap(snap.at), self.gap_since)
            self.gap_records = None
            self.snapshots_applied += 1
        self.lost_total += len(lost)
        log.info(
            "live state rebuilt from snapshot",
            extra={
                "pbx": self.pbx,
                "queues": None if snap.queues is None else len(snap.queues),
                "channels": None if snap.channels is None else len(snap.channels),
                "lost_during_disconnect": len(lost),
            },
        )

    def _gap(self, until: datetime) -> dict[str, GapCall] | None:
        since = self.gap_since
        if self.gap_records is None or since is None:
            return None
        known = frozenset(self.state.calls.open)
        return gap_calls(*self.gap_records, since, until, known)

    def abort_snapshot(self) -> None:
        self._lists = {}
        self._snapshot = None

    # ---------------------------------------------------------------- messages
    def bad_frame(self, reason: str, sample: str) -> None:
        self.parse_errors_total += 1
        log.warning("bad AMI frame: %s", reason, extra={"pbx": self.pbx, "sample": sample[:200]})

    def handle(self, headers: ev.Headers, received_at: datetime) -> ev.Event | None:
        """Apply one message; returns the event applied (None if nothing changed)."""
        action_id = headers.get("actionid")
        if isinstance(action_id, str) and action_id in self._lists:
            try:
                self._snapshot_message(headers, action_id, received_at)
            except ev.BadEvent as exc:
                self.bad_frame(f"snapshot item: {exc}", repr(dict(headers)))
            return None
        if "event" not in headers:
            return None  # responses to our own Ping/Login are handled by the connection
        self.events_total += 1
        try:
            event, handler = parse_routed(headers, received_at, topic_variables=self.topic_variables)
        except ev.BadEvent as exc:
            self.bad_frame(str(exc), repr(dict(headers)))
            return None
        if event is None:
            name = str(headers.get("event")).lower()
            if name not in KNOWN_EVENTS:
                self.unknown_events_total += 1
                if name not in self._unknown_seen:
                    self._unknown_seen.add(name)
                    log.info("ignoring unknown AMI event %s", name, extra={"pbx": self.pbx})
            return None
        self.state.last_event_at = event.at
        if handler is None:
            return event
        try:
            handler(self.state, event)
        except Exception:
            # A state bug must not stop the stream: count it apart, keep the event in the log, go on.
            self.state_errors_total += 1
            log.exception("could not apply event", extra={"pbx": self.pbx, "event": repr(event)})
            return None
        return event
