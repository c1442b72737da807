"""Persistence adapter: batched, idempotent upserts of call records, stays, periods and PBX health.

Sync SQLAlchemy, called from the listener through asyncio.to_thread. Rows are keyed by their natural
keys ((pbx, linkedid), (pbx, uniqueid, queue, entered_at) ...), so replaying a capture twice leaves
exactly the same rows. An upsert never replaces a known value with NULL (a listener restarted in
the middle of a call knows less than the one before it).

Bad values never stop saving: text is cleaned where it enters (NUL bytes stripped, cut to the
column size, counted); a batch the database still refuses is written again row by row, and a row
that fails alone is set aside with its reason (logged, counted, reported) while the others are saved.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import String, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.pbx_health import PbxHealth, write_health
from ami_listener.records import Changes, FinishedRecording
from hotline.jobs import RecordingToQueue, enqueue_recording, enqueue_recordings, mixmonitor_pair
from hotline.live import LiveView, publish
from hotline.models import Agent, AgentPeriod, Base, Call, IvrVisit, QueueEntry

log = logging.getLogger(__name__)

CHUNK = 200
REPORTED_MAX = 10_000
CALL_KEYS = ("pbx", "linkedid")
STAY_KEYS = ("pbx", "uniqueid", "queue", "entered_at")
PERIOD_KEYS = ("pbx", "interface", "kind", "queue", "started_at")
AGENT_KEYS = ("pbx", "interface")


@dataclass
class Rejected:
    table: str
    key: tuple[Any, ...]
    reason: str


@dataclass(frozen=True)
class Cleaned:
    """One value changed before saving, and how (the report says what was cut)."""

    table: str
    key: tuple[Any, ...]
    column: str
    how: str  # "NUL bytes stripped" | "cut from N to M characters" | both


@dataclass
class WriteReport:
    """What one write had to change or leave out (the caller counts and reports it)."""

    cleaned: list[Cleaned] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def _limits(model: type[Base]) -> dict[str, int]:
    return {
        column.key: column.type.length
        for column in model.__table__.columns
        if isinstance(column.type, String) and column.type.length
    }


_LIMITS: dict[type[Base], dict[str, int]] = {m: _limits(m) for m in (Call, QueueEntry, AgentPeriod, Agent)}


def clean_rows(model: type[Base], rows: list[dict[str, Any]], keys: Sequence[str]) -> list[Cleaned]:
    """Strip NUL bytes (PostgreSQL refuses them) and cut text to its column's size; returns what was
    changed."""
    limits = _LIMITS[model]
    changed: list[Cleaned] = []
    for row in rows:
        for column, value in row.items():
            if not isinstance(value, str):
                continue
            how = []
            cleaned = value
            if "\x00" in cleaned:
                cleaned = cleaned.replace("\x00", "")
                how.append("NUL bytes stripped")
            limit = limits.get(column)
            if limit is not None and len(cleaned) > limit:
                how.append(f"cut from {len(cleaned)} to {limit} characters")
                cleaned = cleaned[:limit]
            if how:
                row[column] = cleaned
                key = tuple(row.get(k) for k in keys)
                changed.append(Cleaned(model.__tablename__, key, column, ", ".join(how)))
    return changed


@functools.lru_cache(maxsize=64)
def _upsert_statement(
    dialect: str, model: type[Base], columns: tuple[str, ...], keys: tuple[str, ...]
) -> Any:
    """One compiled-once statement per shape: rows are then sent as one executemany (the
    driver batches them), instead of a fresh multi-row VALUES statement compiled per chunk."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, model.__table__)
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={
            c: func.coalesce(statement.excluded[c], table.c[c])
            if table.c[c].nullable
            else statement.excluded[c]
            for c in columns
            if c not in keys
        },
    )


def _upsert(session: Session, model: type[Base], rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    if not rows:
        return
    connection = session.connection()
    statement = _upsert_statement(connection.dialect.name, model, tuple(rows[0]), tuple(keys))
    connection.execute(statement, list(rows))


def _dedupe(rows: list[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    # One statement must not touch the same key twice (PostgreSQL refuses); the last version wins.
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        latest[tuple(row[k] for k in keys)] = row
    return list(latest.values())


@dataclass
class _Batch:
    calls: list[dict[str, Any]]
    stays: list[tuple[str, dict[str, Any]]]
    periods: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    recordings: list[FinishedRecording]


class Store:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        recordings_enabled: bool = True,
        publisher: Callable[[LiveView], Awaitable[bool]] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.recordings_enabled = recordings_enabled
        # Pushes each new live view to the API processes at once (Redis), ahead of the database write;
        # False when it could not.
        self.publisher = publisher
        # A record is written again with every change: report each cleaned value once, not per write.
        self._reported: dict[Cleaned, None] = {}
        self._reported_lock = threading.Lock()
        # SQLite has one writer: a write that finds another one's lock sleeps in its busy handler (up to
        # 100 ms a try), so the live view would wait behind a records write far longer than it takes.
        # Taking turns here makes it wait exactly that long.
        bind = session_factory.kw.get("bind")
        self._one_writer = threading.Lock() if bind is not None and bind.dialect.name == "sqlite" else None

    def _first_time(self, cleaned: list[Cleaned]) -> list[Cleaned]:
        with self._reported_lock:
            new = [c for c in dict.fromkeys(cleaned) if c not in self._reported]
            self._reported.update(dict.fromkeys(new))
            while len(self._reported) > REPORTED_MAX:
                del self._reported[next(iter(self._reported))]
        return new

    def write(
        self, pbx: str, changes: Sequence[Changes], health: PbxHealth | None, view: LiveView | None
    ) -> WriteReport:
        """One transaction: every change in order, the PBX health row and the live view.

        Raises only when the database cannot be reached (the caller keeps the rows and retries)."""
        batch = _Batch(
            calls=_dedupe([r for c in changes for r in c.calls], CALL_KEYS),
            stays=[s for c in changes for s in c.stays],
            periods=_dedupe([r for c in changes for r in c.periods], PERIOD_KEYS),
            agents=_dedupe([r for c in changes for r in c.agents], AGENT_KEYS),
            recordings=[r for c in changes for r in c.recordings],
        )
        report = WriteReport()
        cleaned = clean_rows(Call, batch.calls, CALL_KEYS)
        cleaned += clean_rows(QueueEntry, [row for _, row in batch.stays], STAY_KEYS)
        cleaned += clean_rows(AgentPeriod, batch.periods, PERIOD_KEYS)
        cleaned += clean_rows(Agent, batch.agents, AGENT_KEYS)
        report.cleaned = self._first_time(cleaned)
        with self._one_writer or contextlib.nullcontext():
            self._write(pbx, batch, health, view, report)
        return report

    def _write(
        self, pbx: str, batch: _Batch, health: PbxHealth | None, view: LiveView | None, report: WriteReport
    ) -> None:
        try:
            with self.session_factory() as session, session.begin():
                self._write_batch(session, pbx, batch, None)
                self._finish(session, health, view, report)
        except OperationalError:
            raise
        except DBAPIError as exc:
            log.warning(
                "batch refused (%s); writing it row by row", type(exc.orig).__name__, extra={"pbx": pbx}
            )
            with self.session_factory() as session, session.begin():
                self._write_batch(session, pbx, batch, report)
                self._finish(session, health, view, report)

    @staticmethod
    def _finish(
        session: Session, health: PbxHealth | None, view: LiveView | None, report: WriteReport
    ) -> None:
        if health is not None:
            health.values_cleaned_total += len(report.cleaned)
            health.rows_rejected_total += len(report.rejected)
            write_health(session, health)
        if view is not None:
            publish(session, view)

    def _write_batch(self, session: Session, pbx: str, batch: _Batch, report: WriteReport | None) -> None:
        """Write everything; with a report, each row alone (in a savepoint) and refused rows set aside."""
        self._known_visits(session, batch.calls)
        self._rows(session, Call, batch.calls, CALL_KEYS, report)
        if batch.stays or batch.recordings:
            linkedids = {s[0] for s in batch.stays} | {r.linkedid for r in batch.recordings}
            ids = self._call_ids(session, pbx, linkedids)
            stay_rows = [
                {**row, "call_id": ids[linkedid]} for linkedid, row in batch.stays if linkedid in ids
            ]
            self._rows(session, QueueEntry, _dedupe(stay_rows, STAY_KEYS), STAY_KEYS, report)
            self._enqueue_all(session, pbx, batch.recordings, ids)
        self._rows(session, AgentPeriod, batch.periods, PERIOD_KEYS, report)
        self._rows(session, Agent, batch.agents, AGENT_KEYS, report)

    @staticmethod
    def _rows(
        session: Session,
        model: type[Base],
        rows: list[dict[str, Any]],
        keys: Sequence[str],
        report: WriteReport | None,
    ) -> None:
        if report is None:
            _upsert(session, model, rows, keys)
            return
        for row in rows:
            try:
                with session.begin_nested():
                    _upsert(session, model, [row], keys)
            except OperationalError:
                raise
            except DBAPIError as exc:
                key = tuple(row.get(k) for k in keys)
                reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
                report.rejected.append(Rejected(model.__tablename__, key, reason))
                log.error(
                    "row refused by the database, set aside: %s %s: %s",
                    model.__tablename__,
                    key,
                    reason,
                    extra={
                        "columns": sorted(k for k, v in row.items() if v is not None)
                    },  # no values: personal data
                )

    @staticmethod
    def _known_visits(session: Session, calls: list[dict[str, Any]]) -> None:
        # HOTLINE_VISIT names the IVR's visit row; one from another database must not break the FK.
        wanted = {row["ivr_visit_id"] for row in calls if row.get("ivr_visit_id") is not None}
        if not wanted:
            return
        known = set(session.scalars(select(IvrVisit.id).where(IvrVisit.id.in_(sorted(wanted)))))
        for row in calls:
            if row.get("ivr_visit_id") is not None and row["ivr_visit_id"] not in known:
                row["ivr_visit_id"] = None

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

    def _enqueue_all(
        self, session: Session, pbx: str, recordings: list[FinishedRecording], ids: dict[str, int]
    ) -> None:
        """Queue the batch's recordings together (one savepoint, two inserts); if that fails, one
        savepoint each, so only the failing one is left out."""
        if not self.recordings_enabled or not recordings:
            return
        try:
            with session.begin_nested():
                enqueue_recordings(
                    session,
                    [
                        RecordingToQueue(
                            r.path, pbx, r.linkedid, ids.get(r.linkedid), r.language, *mixmonitor_pair(r.path)
                        )
                        for r in recordings
                    ],
                )
            return
        except OperationalError:
            raise
        except Exception:
            log.warning("queueing recordings failed; one by one", extra={"pbx": pbx})
        for recording in recordings:
            try:
                with session.begin_nested():
                    self._enqueue(session, pbx, recording, ids.get(recording.linkedid))
            except OperationalError:
                raise
            except Exception:
                # The call record matters more than its transcription; log and keep the batch.
                log.exception("could not queue recording", extra={"pbx": pbx, "path": recording.path})

    @staticmethod
    def _enqueue(session: Session, pbx: str, recording: FinishedRecording, call_id: int | None) -> None:
        # MIXMONITOR_FILENAME names the mixed file; the caller and operator sides lie next to it and
        # are what gets transcribed (per speaker), the mixed file stays for playback.
        rx_path, tx_path = mixmonitor_pair(recording.path)
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
