"""One PBX's link: connection supervisor and ordered consumer.

The connection (panoramisk) enqueues every message; one consumer task applies them in order to the
pure Processor/LiveState, and flushes changed records, PBX health and the live view in batches
through the RecordWriter (Store in a worker thread), so the event loop never waits on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ami_listener.asterisk_records import read_records
from ami_listener.connection import LIST_PREFIX, AmiConnection
from ami_listener.event_table import noise_filter
from ami_listener.event_types import PbxBooted
from ami_listener.events import headers_of
from ami_listener.pbx_health import PbxHealth
from ami_listener.processor import CHANNELS_LIST, QUEUES_LIST, Processor
from ami_listener.restore import OpenRecords, load_open, restore
from ami_listener.store import Store
from ami_listener.writer import RecordWriter, first_line
from hotline.errors import AmiError
from hotline.live import LiveView
from hotline.settings import PbxSettings, Settings
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)

OnChange = Callable[[LiveView], None]
PUBLISH_EVERY_S = 0.02  # at most ~50 live-view publishes per second per PBX
RECORDS_EVERY_S = 0.1  # records are written at most this often (unless a batch is full) and this soon


@dataclass
class _Item:
    # "message" | "frame_error" | "restore" | "login" | "login_failed" | "connected" | "lost" | "stop"
    kind: str
    at: datetime
    headers: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    payload: Any = None  # "restore": OpenRecords; "login": (queue_log, cdr) texts or None


def _dial_context(settings: Settings, pbx: PbxSettings) -> str | None:
    """The context our dialer dials citizens in, on the PBX it originates on (None elsewhere)."""
    dialer_pbx = settings.dialer_pbx()
    return settings.dialer.dial_context if dialer_pbx is not None and dialer_pbx.name == pbx.name else None


class PbxLink:
    """Connection supervisor and ordered consumer for one PBX."""

    def __init__(
        self, settings: Settings, pbx: PbxSettings, store: Store, *, on_change: OnChange | None = None
    ) -> None:
        self.settings = settings
        self.pbx = pbx
        self.store = store
        self.on_change = on_change
        self.processor = Processor(
            pbx.name,
            topic_variables=tuple(settings.ami.topic_variables),
            recordings_dir=settings.recordings.dir.resolve(),
            dial_context=_dial_context(settings, pbx),
        )
        # Bounded by backpressure: above `queue_max_items` the socket is not read (the PBX waits,
        # TCP buffers), so a slow consumer never grows memory without limit.
        self.queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._queue_max = settings.ami.queue_max_items
        self._reading_paused = False
        self._noise_filter = noise_filter(tuple(settings.ami.topic_variables))
        self.connected = False
        self.reconnects_total = 0
        self.asterisk_version: str | None = None
        self._connection: AmiConnection | None = None
        self._lost: asyncio.Future[None] | None = None
        self._stopping = asyncio.Event()
        self.writer = RecordWriter(store, pbx.name, retry_buffer_max_rows=settings.ami.retry_buffer_max_rows)
        self._health_dirty = True
        self._view_dirty = True
        self._last_publish = 0.0
        self._last_flush = 0.0
        self._flush_task: asyncio.Task[None] | None = None
        self._view_task: asyncio.Task[None] | None = None
        self._view_failing = False
        self._unstored: LiveView | None = None  # published on Redis, not yet written to the database
        self._applied_unflushed = False
        self._snapshots = 0
        self._connected_changed_at: datetime | None = None
        self._last_health_write = 0.0
        self._rebuilding = False  # between a login and its snapshot: the state is not yet true
        self._login_queued = False
        self._restored_last_event_at: datetime | None = None
        self.sessions_started = 0
        self.sessions_ended = 0

    # ---------------------------------------------------------------- connection side
    async def run_connection(self) -> None:
        records = await asyncio.to_thread(load_open, self.store.session_factory, self.pbx.name)
        self._restored_last_event_at = records.last_event_at
        self._enqueue(_Item("restore", utcnow(), payload=records))
        delay = self.settings.ami.reconnect_min_s
        first = True
        while not self._stopping.is_set():
            if not first:
                self.reconnects_total += 1
            first = False
            established = False
            try:
                established = await self._session()
            except (OSError, TimeoutError, AmiError) as exc:
                log.warning(
                    "AMI connection failed: %s", str(exc) or type(exc).__name__, extra={"pbx": self.pbx.name}
                )
            finally:
                if self._connection is not None:
                    self._connection.close()
                    self._connection = None
                if self.connected:
                    self.connected = False
                    self._enqueue(_Item("lost", utcnow()))
                elif self._login_queued:
                    self._enqueue(_Item("login_failed", utcnow()))
                self._login_queued = False
                self.sessions_ended = self.sessions_started
            if self._stopping.is_set():
                break
            if established:
                delay = self.settings.ami.reconnect_min_s
            pause = delay * random.uniform(0.8, 1.2)
            log.info("reconnecting in %.1f s", pause, extra={"pbx": self.pbx.name})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)
            delay = min(delay * 2, self.settings.ami.reconnect_max_s)

    async def _session(self) -> bool:
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        lost = self._lost
        connection = AmiConnection(
            on_message=self._on_message,
            on_frame_error=self._on_frame_error,
            on_lost=self._on_lost,
            noise_filter=self._noise_filter,
            on_noise=self._on_noise,
            host=self.pbx.host,
            port=self.pbx.port,
            username=self.pbx.username,
            secret=self.pbx.secret.get_secret_value(),
            events="on",
            encoding="utf8",
            loop=loop,
            log=logging.getLogger("panoramisk.manager"),
        )
        self._connection = connection
        timeout = self.pbx.ping_timeout_s
        # Queued before logging in: the session's first messages (FullyBooted, the snapshot lists)
        # may all arrive before open() returns, and the gap must be known when the snapshot ends.
        # Asterisk's records from shortly before the last event seen (never read when nothing was seen).
        since = self.processor.state.last_event_at or self._restored_last_event_at
        records = await asyncio.to_thread(read_records, self.pbx, since) if since is not None else None
        self._enqueue(_Item("login", utcnow(), payload=records))
        self._login_queued = True
        await connection.open(timeout)
        self.connected = True
        self.sessions_started += 1
        self._enqueue(_Item("connected", utcnow()))
        version_task = asyncio.create_task(self._learn_version(connection, timeout))
        log.info("AMI connected", extra={"pbx": self.pbx.name, "host": self.pbx.host, "port": self.pbx.port})
        stopping: asyncio.Future[Any] = asyncio.ensure_future(self._stopping.wait())
        waiters: list[asyncio.Future[Any]] = [lost, stopping]
        try:
            while not lost.done() and not self._stopping.is_set():
                await asyncio.wait(
                    waiters, timeout=self.pbx.ping_interval_s, return_when=asyncio.FIRST_COMPLETED
                )
                if lost.done() or stopping.done():
                    break
                if self._holding_back():
                    continue  # we hold the PBX back ourselves: its Pong could not be read now
                try:
                    await connection.ping_once(timeout)
                except TimeoutError:
                    if self._holding_back():
                        continue
                    log.warning(
                        "AMI Ping unanswered: connection is half-open, reconnecting",
                        extra={"pbx": self.pbx.name},
                    )
                    break
        finally:
            stopping.cancel()
            version_task.cancel()
        return True

    async def _learn_version(self, connection: AmiConnection, limit_s: float) -> None:
        """Fill Pbx.asterisk_version without holding up the session (CoreSettings may be refused)."""
        banner = getattr(connection.protocol, "version", None)
        version = await connection.asterisk_version(limit_s)
        self.asterisk_version = version or (f"AMI {banner}" if banner else None)
        self._health_dirty = True

    def _on_lost(self, exc: BaseException | None) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        log.warning("AMI connection lost", extra={"pbx": self.pbx.name, "error": repr(exc) if exc else ""})

    def _on_message(self, message: Any) -> None:
        self._enqueue(_Item("message", utcnow(), headers_of(message)))

    def _on_noise(self, count: int) -> None:
        # Counted, never queued: it cannot change any state, so its order does not matter.
        self.processor.events_total += count
        self._health_dirty = True

    def _on_frame_error(self, reason: str, sample: str) -> None:
        self._enqueue(_Item("frame_error", utcnow(), text=f"{reason}\n{sample}"))

    def _enqueue(self, item: _Item) -> None:
        self.queue.put_nowait(item)
        if not self._reading_paused and self.queue.qsize() >= self._queue_max:
            self._pause_reading(True)

    def _holding_back(self) -> bool:
        return self._reading_paused

    def _pause_reading(self, pause: bool) -> None:
        connection = self._connection
        transport = getattr(getattr(connection, "protocol", None), "transport", None)
        if transport is None or transport.is_closing():
            self._reading_paused = False
            return
        if pause:
            log.warning(
                "AMI queue full (%d items): pausing reads until the consumer catches up",
                self.queue.qsize(),
                extra={"pbx": self.pbx.name},
            )
            transport.pause_reading()
        else:
            transport.resume_reading()
        self._reading_paused = pause

    def _request_snapshot(self, at: datetime) -> None:
        connection = self._connection
        if connection is None:
            return
        self._snapshots += 1
        queues_id = f"{LIST_PREFIX}{self._snapshots}-queues"
        channels_id = f"{LIST_PREFIX}{self._snapshots}-channels"
        self.processor.begin_snapshot(at, {channels_id: CHANNELS_LIST, queues_id: QUEUES_LIST})
        # Channels first: the queue list's waiting callers are matched to calls through them.
        connection.request_list("CoreShowChannels", channels_id)
        connection.request_list("QueueStatus", queues_id)

    # ---------------------------------------------------------------- consumer side
    async def run_consumer(self) -> None:
        """Apply queued items in order; return after a 'stop' item, everything flushed.

        Database writes run in a worker thread while the next events are applied, one records write at
        a time, so a slow database delays records, never the live state. The live view has its own
        publisher (`_publish_views`): a change is shown as soon as the previous view is out, without
        waiting for the records.
        """
        batch = self.settings.ami.batch_size
        interval = self.settings.ami.flush_interval_s
        while True:
            # Applied events not yet flushed are written within RECORDS_EVERY_S, even if none follows.
            wait = min(interval, RECORDS_EVERY_S) if self._applied_unflushed else interval
            try:
                item = await asyncio.wait_for(self.queue.get(), wait)
            except TimeoutError:
                if time.monotonic() - self._last_health_write >= self.settings.ami.heartbeat_s:
                    self._health_dirty = True  # the heartbeat: alive, even when the PBX is idle
                self._start_flush()
                self._show()  # a view the database refused is tried again
                continue
            stop = False
            applied = 0
            while True:
                if item.kind == "stop":
                    stop = True
                    break
                self._apply(item)
                applied += 1
                if applied >= batch or self.queue.empty():
                    break
                item = self.queue.get_nowait()
            if self._reading_paused and self.queue.qsize() <= self._queue_max // 2:
                self._pause_reading(False)
            if stop:
                for task in (self._flush_task, self._view_task):
                    if task is not None:
                        await task
                if self._view_dirty:
                    await self._publish_view()  # the final picture, even of a half-rebuilt state
                await self._flush()
                self.writer.give_up()  # the process ends: what is still unsaved is lost, and said so
                return
            self._show()
            self._applied_unflushed = True
            # Records in batches: a transaction per burst of events would cost the listener (and the
            # database, and on SQLite the live view waiting for its turn) several times as much.
            if applied >= batch or time.monotonic() - self._last_flush >= min(interval, RECORDS_EVERY_S):
                self._start_flush()
            # Let the connection read more (and the writes progress) between batches.
            await asyncio.sleep(0)

    def _start_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self._flush())

    def _show(self) -> None:
        """Publish the changed view, unless a publisher is under way (it publishes this change next)."""
        # A half-rebuilt state is not shown: the finished snapshot is published instead.
        if self._view_dirty and not self._rebuilding and (self._view_task is None or self._view_task.done()):
            self._view_task = asyncio.create_task(self._publish_views())

    async def _publish_views(self) -> None:
        """Publish the view while it keeps changing, at most once per PUBLISH_EVERY_S: the first change
        after a quiet spell goes out at once, and a burst is coalesced into a view per interval."""
        while self._view_dirty and not self._rebuilding:
            wait = self._last_publish + PUBLISH_EVERY_S - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue  # (the state may be rebuilding by now)
            if not await self._publish_view():
                return  # the database refused it: tried again with the next change or flush

    async def _publish_view(self) -> bool:
        view = self.processor.state.view(connected=self.connected, at=utcnow())
        # Clean from this moment: events applied while the view is written make it dirty again.
        self._view_dirty = False
        self._last_publish = time.monotonic()
        if self.store.publisher is not None and await self.store.publisher(view):
            # Every API process has it from Redis: the database copy (for a process that starts, or
            # polls while Redis is down) goes with the next records flush, within flush_interval_s.
            self._unstored = view
            self._changed(view)
            return True
        try:
            await asyncio.to_thread(self.store.write, self.pbx.name, [], None, view)
        except Exception as exc:
            self._view_dirty = True
            if not self._view_failing:  # once per outage: retries come every PUBLISH_EVERY_S
                log.error(
                    "live view write failed; will retry: %s", first_line(exc), extra={"pbx": self.pbx.name}
                )
            self._view_failing = True
            return False
        self._view_failing = False
        self._changed(view)
        return True

    def _changed(self, view: LiveView) -> None:
        if self.on_change is not None:
            try:
                self.on_change(view)
            except Exception:
                log.exception("on_change callback failed", extra={"pbx": self.pbx.name})

    def _apply(self, item: _Item) -> None:
        processor = self.processor
        if item.kind == "message":
            snapshots = processor.snapshots_applied
            event = processor.handle(item.headers, item.at)
            if processor.snapshots_applied != snapshots:
                self._view_dirty = True  # the rebuilt state is shown with this batch
                self._rebuilding = False
            if isinstance(event, PbxBooted) and not processor.snapshot_pending:
                self._request_snapshot(item.at)  # Asterisk (re)started or reloaded
            if event is not None:
                self._view_dirty = True
            self._health_dirty = True
        elif item.kind == "frame_error":
            reason, _, sample = item.text.partition("\n")
            processor.bad_frame(reason, sample)
            self._health_dirty = True
        elif item.kind == "restore":
            records: OpenRecords = item.payload
            restore(processor.state, records)
            if records.calls:
                log.info("restored open records", extra={"pbx": self.pbx.name, "calls": len(records.calls)})
        elif item.kind == "login":
            self._rebuilding = True
            processor.gap_records = item.payload
            processor.gap_since = processor.state.last_event_at
        elif item.kind == "connected":
            self._connected_changed_at = item.at
            if not self.processor.snapshot_pending:  # FullyBooted may have asked already
                self._request_snapshot(item.at)
            self._health_dirty = self._view_dirty = True
        elif item.kind == "login_failed":
            self._rebuilding = False
        elif item.kind == "lost":
            self._rebuilding = False
            processor.abort_snapshot()
            self._connected_changed_at = item.at
            self._health_dirty = self._view_dirty = True

    async def _flush(self) -> None:
        """Write the changed records, the PBX health (the heartbeat) and a view Redis carried."""
        self._applied_unflushed = False
        self.writer.add(self.processor.state.take_changes())
        view, self._unstored = self._unstored, None
        if not self.writer.pending and not self._health_dirty and view is None:
            return
        health = self.health()
        # Clean from this moment: what changes while this write runs (a lost connection) is written next.
        self._health_dirty = False
        try:
            written = await self.writer.write(health, view)
        finally:
            self._last_flush = time.monotonic()
        if written:
            self._last_health_write = self._last_flush
        else:
            self._health_dirty = True
            self._unstored = self._unstored or view

    def health(self) -> PbxHealth:
        p = self.processor
        health = PbxHealth(
            name=self.pbx.name,
            host=f"{self.pbx.host}:{self.pbx.port}",
            connected=self.connected,
            last_event_at=p.state.last_event_at,
            events_total=p.events_total,
            parse_errors_total=p.parse_errors_total,
            reconnects_total=self.reconnects_total,
            asterisk_version=self.asterisk_version,
            connected_changed_at=self._connected_changed_at,
            heartbeat_at=utcnow(),
            state_errors_total=p.state_errors_total,
            lost_calls_total=p.lost_total,
        )
        return self.writer.counted(health)

    async def stop(self) -> None:
        self._stopping.set()
