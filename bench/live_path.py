"""Benchmark: the whole live path, from an AMI event reaching the listener to every viewer receiving the
changed view (run by hand; prints figures, asserts nothing).

    python bench/live_path.py [--clients 500] [--rate 2000] [--seconds 20]
    python bench/live_path.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --redis redis://127.0.0.1:6379/6

Four processes, as in production: the `load` capture served by the replay server at ~--rate events/s,
the real AMI listener writing to the database (and publishing on Redis when --redis is given), the real
API (uvicorn) and, here, --clients Server-Sent-Events viewers on bare sockets. The replay server notes
the wall time each QueueCallerJoin leaves it; each viewer notes when a view first shows that caller
waiting. Latency = seen - sent, per caller and viewer: p50/p99/max (goal p99 < 100 ms). One run, one
machine (wall clocks of the processes are the same clock).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from api_live import free_port, percentile, run_api, wait_up  # noqa: E402

from ami_listener.capture import load_capture  # noqa: E402
from ami_listener.replay import ReplayServer  # noqa: E402

CAPTURE = HERE.parent / "tests" / "data" / "asterisk" / "load" / "load.ami"
JOIN = re.compile(rb"Event: QueueCallerJoin\r\n(?:[^\r]*\r\n)*?Uniqueid: ([^\r]+)\r\n")


class MarkingReplay(ReplayServer):
    """The replay server, noting when each caller's QueueCallerJoin is written to the listener."""

    marks: dict[str, float]

    async def _send(self, writer: asyncio.StreamWriter, pending: list[tuple[bytes, float]]) -> None:
        joins = [m.group(1).decode() for data, _ in pending for m in JOIN.finditer(data)]
        sent = time.time()
        await super()._send(writer, pending)
        for uniqueid in joins:
            self.marks.setdefault(uniqueid, sent)


def _replay(speed: float, seconds: float, ports: Any, results: Any, start: Any) -> None:
    async def run() -> None:
        server = MarkingReplay(CAPTURE, speed=speed, loop=True)
        server.marks = {}
        ports.put(await server.start())
        await asyncio.to_thread(start.wait)
        await asyncio.sleep(seconds + 3)  # the listener connects, then the capture plays `seconds`
        await server.close()
        results.put(server.marks)

    asyncio.run(run())


def _listen(overrides: dict[str, Any], port: int, stop: Any) -> None:
    from ami_listener.runner import replay_settings
    from ami_listener.service import AmiService
    from hotline import db
    from hotline.settings import load_settings

    logging.basicConfig(level=logging.ERROR)

    async def run() -> None:
        settings = replay_settings(load_settings(None, **overrides), "bench", port)
        engine = db.make_engine(settings.database)
        service = AmiService(settings, db.make_session_factory(engine))
        task = asyncio.create_task(service.run())
        await asyncio.to_thread(stop.wait)
        await service.stop()
        await task
        engine.dispose()

    from hotline.lifecycle import run as run_loop

    run_loop(run())  # the loop `hotline ami listen` runs on


class _Viewer(asyncio.Protocol):
    """One SSE viewer on a bare socket: notes when each chunk of bytes arrives and nothing else (the
    stream is parsed after the run, so the viewers' own work barely competes with what is measured)."""

    def __init__(self, request: bytes, on_snapshot: Callable[[], None]) -> None:
        self.request = request
        self.on_snapshot = on_snapshot
        self.chunks: list[tuple[float, bytes]] = []
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.WriteTransport, transport).write(self.request)

    def data_received(self, data: bytes) -> None:
        if not self.counted and b"event: snapshot" in data:
            self.counted = True
            self.on_snapshot()
        self.chunks.append((time.time(), data))

    def messages(self) -> Iterator[tuple[float, bytes]]:
        """(arrival of its last byte, message) per SSE message. The chunked transfer framing around
        them is harmless: only `event:` and `data:` lines are read."""
        buffer = b""
        for at, data in self.chunks:
            buffer += data
            *complete, buffer = buffer.split(b"\n\n")
            for message in complete:
                yield at, message


async def viewers(
    port: int, token: str, clients: int, connected: asyncio.Event, stop: asyncio.Event
) -> list[_Viewer]:
    request = (
        f"GET /api/live/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    ready = 0

    def snapshot() -> None:
        nonlocal ready
        ready += 1
        if ready == clients:
            connected.set()

    opened = [
        await loop.create_connection(lambda: _Viewer(request, snapshot), "127.0.0.1", port)
        for _ in range(clients)
    ]
    await stop.wait()
    for transport, _ in opened:
        transport.close()
    return [protocol for _, protocol in opened]


SHOWN = (b"view", b"patch", b"snapshot")


def _shown(message: bytes) -> tuple[set[str], float | None, bool]:
    """Callers a message shows waiting, when the listener built the view it carries, and whether it is
    a snapshot. Callers of a whole view or snapshot, or those a patch adds or updates (a patch names a
    caller only when it is new or changed, so its first mention is the join)."""
    event, data = b"", None
    for line in message.split(b"\n"):
        if line.startswith(b"event: "):
            event = line[7:].strip()
        elif line.startswith(b"data: "):
            data = json.loads(line[6:])
    if data is None or event not in SHOWN:
        return set(), None, False
    if event == b"patch":
        changes = data["changes"]
        found: set[str] = set()
        for queue in changes.get("queues", {}).get("upsert", []):
            waiting = queue.get("waiting") or []
            callers = waiting.get("upsert", []) if isinstance(waiting, dict) else waiting
            found.update(caller["uniqueid"] for caller in callers)
        return found, _epoch(changes.get("at")), False
    views = data["views"] if event == b"snapshot" else [data]
    found = {caller["uniqueid"] for view in views for queue in view["queues"] for caller in queue["waiting"]}
    built = [at for at in (_epoch(view["at"]) for view in views) if at is not None]
    return found, max(built, default=None), event == b"snapshot"


def _epoch(at: str | None) -> float | None:
    return datetime.fromisoformat(at).timestamp() if at else None


def _cpu_s(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Deliveries:
    total: list[float] = field(default_factory=list)  # AMI event sent -> the viewer has the view (s)
    listener: list[float] = field(default_factory=list)  # AMI event sent -> the listener built the view
    rest: list[float] = field(default_factory=list)  # view built -> the viewer has it
    resent_snapshots: int = 0  # a lagging viewer's backlog replaced by the whole state
    views: int = 0  # distinct views and patches pushed


def deliveries(viewed: list[_Viewer], marks: dict[str, float]) -> Deliveries:
    out = Deliveries()
    shown: dict[bytes, tuple[set[str], float | None, bool]] = {}  # every viewer got the same bytes
    for viewer in viewed:
        first: dict[str, tuple[float, float | None]] = {}
        snapshots = 0
        for at, message in viewer.messages():
            if message not in shown:
                shown[message] = _shown(message)
            callers, built, snapshot = shown[message]
            snapshots += snapshot
            for uniqueid in callers:
                first.setdefault(uniqueid, (at, built))
        out.resent_snapshots += max(0, snapshots - 1)
        for uniqueid, (at, built) in first.items():
            if uniqueid in marks:
                out.total.append(at - marks[uniqueid])
                if built is not None:
                    out.listener.append(built - marks[uniqueid])
                    out.rest.append(at - built)
    out.views = sum(1 for _, built, _ in shown.values() if built is not None)
    return out


async def run_engine(
    label: str, url: str, redis_url: str | None, args: argparse.Namespace, workdir: Path
) -> None:
    from api.users import create_user, issue_token
    from hotline import db
    from hotline.db import transaction

    api_port = free_port()
    overrides: dict[str, Any] = {
        "demo": True,
        "database": {"url": url},
        "recordings": {"dir": str(workdir / "recordings")},
        "api": {"port": api_port, "cookie_secure": False, "redis_url": redis_url},
    }
    from hotline.settings import load_settings

    engine = db.make_engine(load_settings(None, **overrides).database)
    db.upgrade(engine)
    with transaction(db.make_session_factory(engine)) as session:
        create_user(session, username="bench", role="supervisor")
        token = issue_token(session, username="bench")
    engine.dispose()

    capture = load_capture(CAPTURE)
    span = capture.messages[-1].t - capture.messages[0].t
    speed = args.rate / (sum(m.kind == "event" for m in capture.messages) / span)
    context = multiprocessing.get_context("spawn")
    ports, results, start, stop_listener = context.Queue(), context.Queue(), context.Event(), context.Event()
    replay = context.Process(target=_replay, args=(speed, args.seconds, ports, results, start), daemon=True)
    replay.start()
    port = ports.get(timeout=60)
    api = context.Process(target=run_api, args=(overrides,), daemon=True)
    api.start()
    await wait_up(f"http://127.0.0.1:{api_port}/health")
    connected, stop = asyncio.Event(), asyncio.Event()
    load_before = os.getloadavg()[0]
    watch = asyncio.create_task(viewers(api_port, token, args.clients, connected, stop))
    await asyncio.wait_for(connected.wait(), 60)
    listener = context.Process(target=_listen, args=(overrides, port, stop_listener), daemon=True)
    listener.start()
    pids = {"replay": replay.pid, "listener": listener.pid, "API": api.pid, "viewers": os.getpid()}
    processes = {name: pid for name, pid in pids.items() if pid is not None}
    cpu_before = {name: _cpu_s(pid) for name, pid in processes.items()}
    start.set()
    try:
        marks = await asyncio.to_thread(results.get, True, args.seconds + 60)
        cpu = {name: _cpu_s(pid) - cpu_before[name] for name, pid in processes.items()}
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        viewed = await watch
        stop_listener.set()
        listener.join(30)
        api.terminate()
        api.join(5)
        replay.join(5)
        for process in (listener, api, replay):
            if process.is_alive():
                process.kill()
    found = deliveries(viewed, marks)
    print(
        f"{label}: ~{args.rate:.0f} events/s for {args.seconds:.0f} s (speed {speed:.1f}), "
        f"{len(marks)} callers joined, load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print("  CPU seconds during the run: " + ", ".join(f"{name} {used:.1f}" for name, used in cpu.items()))
    print(
        f"  {found.views} distinct views pushed to {args.clients} viewers, {len(found.total)} caller-viewer "
        f"deliveries, {found.resent_snapshots} snapshots re-sent to lagging viewers"
    )
    for name, values, goal in (
        ("AMI event -> viewer       ", found.total, "   (goal p99 < 100 ms)"),
        ("  event -> view built     ", found.listener, "   (listener)"),
        ("  view built -> viewer    ", found.rest, "   (database or Redis, API, sockets)"),
    ):
        if values:
            ms = [value * 1000 for value in values]
            print(
                f"  {name}: p50 {statistics.median(ms):3.0f} ms, p99 {percentile(ms, 99):3.0f} ms, "
                f"max {max(ms):3.0f} ms{goal}"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--postgres", default=None, help="also run on this PostgreSQL server (a throw-away db)"
    )
    parser.add_argument("--redis", default=None, help="Redis URL for the PostgreSQL run (api.redis_url)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.skip_sqlite:
            await run_engine("SQLite", f"sqlite:///{workdir / 'live.db'}", None, args, workdir)
        if args.postgres:
            from ami_ingest import private_postgres

            with contextlib.ExitStack() as stack:
                url = stack.enter_context(private_postgres(args.postgres))
                await run_engine("PostgreSQL + Redis", url, args.redis, args, workdir)


if __name__ == "__main__":
    from hotline.lifecycle import run as run_loop

    run_loop(main())  # the viewers' side must not be the bottleneck it measures
