"""Persistence adapter: batched, idempotent upserts of call records, stays, periods and PBX health.

Sync SQLAlchemy, called from the listener through asyncio.to_thread. Rows are keyed by their natural
keys ((pbx, linkedid), (pbx, uniqueid, queue, entered_at) ...), so replaying a capture twice leaves
exactly the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.records import Changes, FinishedRecording
from hotline.jobs import enqueue_recording, mixmonitor_pair
from hotline.live import LiveView, publish
from hotline.models import Agent, AgentPeriod, Base, Call, Pbx, QueueEntry
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)

CHUNK = 200


@dataclass
class PbxHealth:
    name: str
    host: str
    connected: bool
    last_event_at: datetime | None
    events_total: int
    parse_errors_total: int
    reconnects_total: int
    asterisk_version: str | None = None
    connected_changed_at: datetime | None = None


def _upsert(session: Session, model: type[Base], rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), CHUNK):
        chunk = list(rows[start : start + CHUNK])
        statement = insert(model).values(chunk)
        columns = [c for c in chunk[0] if c not in keys]
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={c: statement.excluded[c] for c in columns}
        )
        session.execute(statement)


def _dedupe(rows: list[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    # One statement must not touch the same key twice (PostgreSQL refuses); the last version wins.
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        latest[tuple(row[k] for k in keys)] = row
    return list(latest.values())


class Store:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        recordings_enabled: bool = True,
        publisher: Callable[[LiveView], None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.recordings_enabled = recordings_enabled
        # Pushes each new live view to the API processes at once (Redis), ahead of the database write.
        self.publisher = publisher

    def write(
        self, pbx: str, changes: Sequence[Changes], health: PbxHealth | None, view: LiveView | None
    ) -> None:
        """One transaction: every change in order, the PBX health row and the live view."""
        calls = _dedupe([r for c in changes for r in c.calls], ("pbx", "linkedid"))
        stays = [s for c in changes for s in c.stays]
        periods = _dedupe(
            [r for c in changes for r in c.periods], ("pbx", "interface", "kind", "queue", "started_at")
        )
        agents = _dedupe([r for c in changes for r in c.agents], ("pbx", "interface"))
        recordings = [r for c in changes for r in c.recordings]
        with self.session_factory() as session, session.begin():
            _upsert(session, Call, calls, ("pbx", "linkedid"))
            if stays or recordings:
                ids = self._call_ids(session, pbx, {s[0] for s in stays} | {r.linkedid for r in recordings})
                stay_rows = [{**row, "call_id": ids[linkedid]} for linkedid, row in stays if linkedid in ids]
                _upsert(
                    session,
                    QueueEntry,
                    _dedupe(stay_rows, ("pbx", "uniqueid", "queue", "entered_at")),
                    ("pbx", "uniqueid", "queue", "entered_at"),
                )
                for recording in recordings:
                    self._enqueue(session, pbx, recording, ids.get(recording.linkedid))
            _upsert(session, AgentPeriod, periods, ("pbx", "interface", "kind", "queue", "started_at"))
            _upsert(session, Agent, agents, ("pbx", "interface"))
            if health is not None:
                self._health(session, health)
            if view is not None:
                publish(session, view)

    @staticmethod
    def _call_ids(session: Session, pbx: str, linkedids: set[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        ordered = sorted(linkedids)
        for start in range(0, len(ordered), CHUNK):
            rows = session.execute(
                select(Call.linkedid, Call.id).where(
                    Call.pbx == pbx, Call.linkedid.in_(ordered[start : start + CHUNK])
                )
            )
            ids.update({linkedid: call_id for linkedid, call_id in rows})  # noqa: C416
        return ids

    def _enqueue(self, session: Session, pbx: str, recording: FinishedRecording, call_id: int | None) -> None:
        if not self.recordings_enabled:
            return
        # MIXMONITOR_FILENAME names the mixed file; the caller and operator sides lie next to it and
        # are what gets transcribed (per speaker), the mixed file stays for playback.
        rx_path, tx_path = mixmonitor_pair(recording.path)
        try:
            with session.begin_nested():
                enqueue_recording(
                    session,
                    path=recording.path,
                    pbx=pbx,
                    linkedid=recording.linkedid,
                    call_id=call_id,
                    language=recording.language,
                    rx_path=rx_path,
                    tx_path=tx_path,
                )
        except Exception:
            # The call record matters more than its transcription; log and keep the batch.
            log.exception("could not queue recording", extra={"pbx": pbx, "path": recording.path})

    @staticmethod
    def _health(session: Session, health: PbxHealth) -> None:
        row = session.scalar(select(Pbx).where(Pbx.name == health.name))
        if row is None:
            row = Pbx(name=health.name)
            session.add(row)
        changed = row.connected != health.connected
        row.host = health.host
        row.connected = health.connected
        row.last_event_at = health.last_event_at
        row.events_total = health.events_total
        row.parse_errors_total = health.parse_errors_total
        row.reconnects_total = health.reconnects_total
        if health.asterisk_version:
            row.asterisk_version = health.asterisk_version
        if changed or (row.last_connected_at is None and health.connected):
            if health.connected:
                row.last_connected_at = health.connected_changed_at or utcnow()
            else:
                row.last_disconnected_at = health.connected_changed_at or utcnow()
