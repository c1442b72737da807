"""One watcher per API process: follows the published live views and fans changes out to viewers.

Viewers never query the database: the hub polls the tiny (pbx, seq) table and the PBX heartbeats
every `interval_s` (25 ms, or 100 ms when changes are pushed as below), reads the views only when a
seq moved, encodes each change once and hands the same bytes to every subscriber (api.live_stream);
it also sends the keep-alive, so a viewer's stream only ever waits on its mailbox. A PBX whose
listener went silent (or that is disconnected) is shown "not live since ..." without its old numbers
(`hotline.live.liveness`).
With `api.redis_url` set, a message on the `hotline:live` channel carries the new view and wakes the
hub at once; on SQLite without Redis, a commit that moved a seq wakes it (api.live_wake).
Viewers whose role masks personal data (hotline.privacy) get views with callers' numbers and names
masked: each change is encoded once per variant (and only for a variant someone watches)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from api.live_stream import Mailbox
from api.live_stream import sse_stream as sse_stream  # (api.routes.desk imports it from here)
from api.live_wake import SqliteWatch
from hotline.alerts import evaluate
from hotline.live import Liveness, LiveView, checked, pbx_liveness, read_views, sequences, view_times
from hotline.live_patch import diff
from hotline.privacy import Masking
from hotline.settings import Settings
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)

REDIS_CHANNEL = "hotline:live"
SUBSCRIBER_BACKLOG = 32
KEEPALIVE_S = 15.0
# An event, not a comment: the wallboard sees it and knows the stream is alive on a quiet day.
KEEPALIVE = b"event: ping\ndata: {}\n\n"
# Waits grow between events: thresholds are re-checked this often even when nothing changes.
ALERT_CHECK_S = 1.0
POLL_S = 0.025  # the database is all there is
PUSHED_POLL_S = 0.1  # changes come over Redis or wake the hub (SQLite); the poll follows the rest

_T = TypeVar("_T")
KpiSource = Callable[[Session, Settings], list[dict[str, Any]]]


def today_kpis_per_queue(session: Session, settings: Settings) -> list[dict[str, Any]]:
    """Today's KPIs per queue (local day), from the one KPI implementation `hotline report` uses."""
    from hotline.kpi import compute_kpis

    now = utcnow()
    local = now.astimezone(settings.zone)
    since = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = compute_kpis(session, group_by="queue", since=since, until=now, settings=settings)
    return [row.as_dict() for row in rows]


def sse(event: str, data: Any) -> bytes:
    return _event(event, _encode(data))


def _event(event: str, encoded: str) -> bytes:
    return f"event: {event}\ndata: {encoded}\n\n".encode()


class LiveHub:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        *,
        interval_s: float | None = None,
        kpi_every_s: float = 10.0,
        kpi_source: KpiSource | None = today_kpis_per_queue,
    ) -> None:
        self._factory = session_factory
        self._settings = settings
        # Polled this often when nothing else tells the hub of a change; with Redis or the SQLite watch
        # the poll only follows heartbeats and KPIs.
        self._interval_s = interval_s
        self.interval_s = interval_s or POLL_S
        self.kpi_every_s = kpi_every_s
        self._kpi_source = kpi_source
        self.seqs: dict[str, int] = {}
        self.views: dict[str, dict[str, Any]] = {}  # as shown: a PBX that is not live has no numbers
        self._published: dict[str, LiveView] = {}
        self._liveness: dict[str, Liveness] = {}
        self.kpis: list[dict[str, Any]] | None = None
        # Callbacks waiting per queue (pending or being dialed), refreshed with the KPIs.
        self.callbacks: dict[str, int] = {}
        # Supervisor alerts not acknowledged yet (e.g. the status-lookup limit tripped).
        self.supervisor_alerts: list[dict[str, Any]] = []
        self.kpi_error: str | None = None
        self._kpis_at: datetime | None = None
        self.last_poll_ok: datetime | None = None
        self.poll_errors = 0
        self.failing = 0  # consecutive failed polls (database down): the loop backs off
        # Viewers by whether callers are masked for them (hotline.privacy): each change is encoded
        # once per kind, never per viewer.
        self._subscribers: dict[bool, set[Mailbox]] = {False: set(), True: set()}
        self._wake = asyncio.Event()
        self._snapshot_json: dict[bool, bytes] = {}
        self.alerts: list[dict[str, Any]] = []
        self._sent: dict[str, dict[str, Any]] = {}  # per PBX, the view viewers have (patches build on it)
        self._masking = Masking(active=True)
        self._tasks: list[asyncio.Task[None]] = []
        self._in_threads: set[asyncio.Future[Any]] = set()
        self._watch: SqliteWatch | None = None
        self._pushed = False  # a view came over Redis since the last poll

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self.poll_once()
        self._tasks.append(asyncio.create_task(self._run(), name="live-hub"))
        if self._settings.api.redis_url:
            self._tasks.append(asyncio.create_task(self._redis_wakeups(), name="live-hub-redis"))
        else:
            loop = asyncio.get_running_loop()
            self._watch = SqliteWatch.of(
                self._factory, lambda seqs, views: loop.call_soon_threadsafe(self.apply_stored, seqs, views)
            )
            if self._watch is not None:
                self._watch.start()
        if self._interval_s is None and (self._settings.api.redis_url or self._watch is not None):
            self.interval_s = PUSHED_POLL_S

    async def stop(self) -> None:
        if self._watch is not None:
            await asyncio.to_thread(self._watch.stop)
            self._watch = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        # A cancelled task does not stop its worker thread: wait until no read holds a pooled connection,
        # since the engine may be disposed as soon as the hub has stopped.
        await asyncio.gather(*self._in_threads, return_exceptions=True)

    async def _in_thread(self, fn: Callable[..., _T], *args: Any) -> _T:
        """`asyncio.to_thread`, with the thread's work still awaited by `stop` if the caller is cancelled."""
        work = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        self._in_threads.add(work)
        work.add_done_callback(self._in_threads.discard)
        return await asyncio.shield(work)

    # ------------------------------------------------------------------ viewers
    def subscribe(self, *, masked: bool = False) -> Mailbox:
        mailbox = Mailbox()
        self._subscribers[masked].add(mailbox)
        return mailbox

    def unsubscribe(self, mailbox: Mailbox) -> None:
        for group in self._subscribers.values():
            group.discard(mailbox)

    @property
    def viewers(self) -> int:
        return sum(len(group) for group in self._subscribers.values())

    def snapshot(self, *, masked: bool = False) -> dict[str, Any]:
        views = [self.views[name] for name in sorted(self.views)]
        return {
            "at": (self.last_poll_ok or utcnow()).isoformat(),
            "views": [self._masking.record(view) for view in views] if masked else views,
            "kpis": self.kpis,
            "kpi_error": self.kpi_error,
            "alerts": self.alerts,
            "callbacks": self.callbacks,
            "supervisor_alerts": self.supervisor_alerts,
        }

    def snapshot_json(self, *, masked: bool = False) -> bytes:
        """The snapshot encoded once per change (GET /api/live serves these bytes to every caller)."""
        if masked not in self._snapshot_json:
            self._snapshot_json[masked] = json.dumps(
                self.snapshot(masked=masked), ensure_ascii=False, separators=(",", ":")
            ).encode()
        return self._snapshot_json[masked]

    def snapshot_message(self, *, masked: bool = False) -> bytes:
        """The snapshot as a stream event: a new or lagging viewer gets these shared bytes, not its own
        encoding of tens of kilobytes."""
        return b"event: snapshot\ndata: " + self.snapshot_json(masked=masked) + b"\n\n"

    def _broadcast(self, message: bytes, masked_message: bytes | None = None) -> None:
        """`masked_message` goes to masked viewers when the message carries callers' data."""
        for masked, group in self._subscribers.items():
            payload = masked_message if masked and masked_message is not None else message
            for mailbox in group:
                if mailbox.qsize() >= SUBSCRIBER_BACKLOG:
                    # A slow viewer: patches build on each other, so drop its backlog and start it over
                    # from the latest state (the snapshot already holds this change).
                    mailbox.replace(self.snapshot_message(masked=masked))
                else:
                    mailbox.put(payload)

    def _broadcast_view(self, view: dict[str, Any]) -> None:
        """A changed view goes out as a patch of the last one sent (hotline.live_patch), or whole.

        Masked viewers get the same change with callers masked: masking is by field name and the patch
        keeps field names and ids, so masking the change equals diffing masked views, at a fraction of
        the cost (the whole view, tens of kilobytes, is neither masked nor compared again)."""
        name = view["pbx"]
        previous = self._sent.get(name)
        self._sent[name] = view
        event, data, encoded = _change(previous, view)
        plain = _event(event, encoded) if self._subscribers[False] else b""
        masked = sse(event, self._masking.record(data)) if self._subscribers[True] else None
        self._broadcast(plain, masked)

    def check_alerts(self) -> bool:
        """Re-evaluate the thresholds; broadcast the alert list when it changed."""
        alerts = [
            alert.as_dict()
            for alert in evaluate(self.views.values(), self.kpis, self._settings.wallboard, utcnow())
        ]
        if alerts == self.alerts:
            return False
        self.alerts = alerts
        self._snapshot_json.clear()
        self._broadcast(sse("alerts", alerts))
        return True

    # ------------------------------------------------------------------ watching
    async def poll_once(self) -> bool:
        """Read seqs (and the views that moved); broadcast changes. True when something changed."""
        try:
            changed = await self._in_thread(self._read_changes)
            self.last_poll_ok = utcnow()
        except Exception as exc:
            self.poll_errors += 1
            self.failing += 1
            if self.failing == 1 or self.failing % 100 == 0:  # one line per outage, then a reminder
                log.error(
                    "live view poll failed; retrying with backoff",
                    extra={"error": f"{type(exc).__name__}: {exc}", "consecutive": self.failing},
                )
            return False
        if self.failing:
            log.info("live view poll recovered", extra={"after_failures": self.failing})
            self.failing = 0
        if changed:
            self._snapshot_json.clear()
        for view in changed:
            self._broadcast_view(view)
        if changed:
            self.check_alerts()
        moved, self._pushed = bool(changed) or self._pushed, False
        if self._kpi_source is not None and (
            moved or self._kpis_at is None or utcnow() - self._kpis_at > timedelta(seconds=self.kpi_every_s)
        ):
            await self._refresh_kpis(force=not moved)
        return bool(changed)

    def _read_changes(self) -> list[dict[str, Any]]:
        # Liveness is read every poll: a dead listener publishes nothing, so no seq would move.
        with self._factory() as session:
            seqs = sequences(session)
            states = pbx_liveness(session, utcnow(), self._settings.ami.stale_after_s)
            if seqs == self.seqs and states == self._liveness:
                return []
            if seqs != self.seqs:
                # Only views newer than the one held: with Redis the hub mostly has it already.
                moved = [pbx for pbx, seq in seqs.items() if self.seqs.get(pbx) != seq]
                stored = view_times(session, moved)
                newer = [pbx for pbx in moved if self._holds_older(pbx, stored.get(pbx))]
                for view in read_views(session, newer) if newer else []:
                    # A view pushed over Redis may be newer than this read: never step back to an older one.
                    held = self._published.get(view.pbx)
                    if held is None or held.at <= view.at:
                        self._published[view.pbx] = view
        views = {
            name: checked(view, states.get(name)).model_dump(mode="json")
            for name, view in self._published.items()
        }
        changed = [views[name] for name in sorted(views) if views[name] != self.views.get(name)]
        self.seqs = seqs
        self._liveness = states
        self.views = views
        return changed

    def _holds_older(self, pbx: str, stored_at: datetime | None) -> bool:
        held = self._published.get(pbx)
        return held is None or stored_at is None or held.at < stored_at

    def apply_pushed(self, *messages: Any) -> None:
        """Views the listener published on Redis: the newest per PBX is pushed now (older ones that
        queued up while the hub was busy would be out of date at once); anything else wakes the poll."""
        views = []
        for data in messages:
            try:
                views.append(json.loads(data)["view"])
            except (TypeError, ValueError, KeyError):
                self._wake.set()
        self._apply_newest(views)

    def apply_stored(self, seqs: dict[str, int], views: list[str]) -> None:
        """Views the SQLite watch read as the listener committed them (api.live_wake)."""
        self.seqs = {**self.seqs, **seqs}  # the poll need not read them again
        self._apply_newest([json.loads(view) for view in views])

    def _apply_newest(self, views: list[Any]) -> None:
        newest: dict[str, tuple[datetime, Any]] = {}
        for data in views:
            try:
                name, at = data["pbx"], datetime.fromisoformat(data["at"])
            except (TypeError, ValueError, KeyError):
                self._wake.set()
                continue
            if name not in newest or at > newest[name][0]:
                newest[name] = (at, data)
        for _at, data in newest.values():
            try:
                pushed = LiveView.model_validate(data)
            except ValueError:
                self._wake.set()
                continue
            self._apply_view(pushed)

    def _apply_view(self, pushed: LiveView) -> None:
        name = pushed.pbx
        held = self._published.get(name)
        if held is None or pushed.at > held.at:
            self._published[name] = pushed
            # Shown as the last poll judged the PBX (its next poll judges it again). That poll does
            # not read the views again for this: it would find the same one, a few milliseconds of
            # work per change for nothing.
            state = self._liveness.get(name)
            if state is None or not state.live:
                # A listener back (or new): the poll woken here judges it from its heartbeat and shows
                # the view then, instead of flashing "not live" first.
                self._wake.set()
                return
            view = checked(pushed, state).model_dump(mode="json")
            if view != self.views.get(name):
                self.views[name] = view
                self._snapshot_json.clear()
                self._broadcast_view(view)
                self.check_alerts()
                self._pushed = True  # the next poll refreshes the KPIs as after a change it read

    async def _refresh_kpis(self, *, force: bool) -> None:
        # KPI queries are heavier than a view read: at most once every few seconds per process.
        now = utcnow()
        if not force and self._kpis_at is not None and now - self._kpis_at < timedelta(seconds=3):
            return
        self._kpis_at = now
        assert self._kpi_source is not None
        source = self._kpi_source
        try:
            kpis = await self._in_thread(self._with_session, source)
            self.kpi_error = None
        except Exception as exc:
            log.exception("today's KPIs failed")
            self.kpi_error = type(exc).__name__
            self._snapshot_json.clear()
            return
        if kpis != self.kpis:
            self.kpis = kpis
            self._snapshot_json.clear()
            self._broadcast(sse("kpis", kpis))
            self.check_alerts()
        await self._refresh_callbacks()

    async def _refresh_callbacks(self) -> None:
        from hotline.callbacks import waiting_per_queue
        from hotline.lookup_limits import open_alerts

        try:
            counts = await self._in_thread(self._with_session, waiting_per_queue)
            alerts = await self._in_thread(
                self._with_session, lambda session, _settings: open_alerts(session)
            )
        except Exception:
            log.exception("waiting callbacks or alerts could not be read")
            return
        if counts != self.callbacks:
            self.callbacks = counts
            self._snapshot_json.clear()
            self._broadcast(sse("callbacks", counts))
        if alerts != self.supervisor_alerts:
            self.supervisor_alerts = alerts
            self._snapshot_json.clear()
            self._broadcast(sse("supervisor_alerts", alerts))

    def _with_session(self, source: Callable[[Session, Settings], _T]) -> _T:
        with self._factory() as session:
            return source(session, self._settings)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_keepalive = loop.time() + KEEPALIVE_S
        next_alert_check = loop.time() + ALERT_CHECK_S
        while True:
            # Backing off while the database fails, up to 5 s (or the interval itself, if longer).
            pause = min(self.interval_s * 2 ** min(self.failing, 6), max(self.interval_s, 5.0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)
            self._wake.clear()
            await self.poll_once()
            if loop.time() >= next_alert_check:
                self.check_alerts()
                next_alert_check = loop.time() + ALERT_CHECK_S
            if loop.time() >= next_keepalive:
                # Proxies drop silent connections; one timer here instead of one per viewer.
                self._broadcast(KEEPALIVE)
                next_keepalive = loop.time() + KEEPALIVE_S

    async def _redis_wakeups(self) -> None:
        from redis.asyncio import Redis

        assert self._settings.api.redis_url
        delay = 1.0
        while True:
            client = Redis.from_url(self._settings.api.redis_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(REDIS_CHANNEL)
                    delay = 1.0
                    while True:
                        batch = [await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)]
                        # And whatever else has arrived meanwhile: only the newest view counts.
                        while batch[-1] is not None:
                            batch.append(await pubsub.get_message(ignore_subscribe_messages=True))
                        self.apply_pushed(*(m["data"] for m in batch if m and m.get("type") == "message"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Polling still runs; Redis only makes the push faster, so we retry quietly.
                log.warning("redis live channel unavailable", extra={"error": str(exc), "retry_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            finally:
                await client.aclose()


# A patch this small is always smaller than its whole view: no need to encode the view to compare.
SMALL_PATCH = 2048


def _change(previous: dict[str, Any] | None, view: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """("patch", the change) when that is smaller than the view, else ("view", the view); with the one
    encoded to compare (plain viewers get those very characters)."""
    if previous is None:
        return "view", view, _encode(view)
    patch = {"pbx": view["pbx"], "changes": diff(previous, view)}
    encoded = _encode(patch)
    if len(encoded) < SMALL_PATCH:
        return "patch", patch, encoded
    whole = _encode(view)
    if len(encoded) < len(whole):
        return "patch", patch, encoded
    return "view", view, whole


def _encode(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
