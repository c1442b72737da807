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
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from api_live import free_port, percentile, run_api, wait_up  # noqa: E402

from ami_listener.replay import ReplayServer, load_capture  # noqa: E402

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


async def viewers(
    port: int, token: str, clients: int, connected: asyncio.Event, stop: asyncio.Event
) -> list[Any]:
    """Each viewer keeps (hash of the view line, wall time received); lines are parsed once afterwards."""
    request = (
        f"GET /api/live/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    seen: list[list[tuple[int, float]]] = [[] for _ in range(clients)]
    lines: dict[int, bytes] = {}
    ready = 0

    async def viewer(index: int) -> None:
        nonlocal ready
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
        writer.write(request)
        event = b""
        counted = False
        try:
            while not stop.is_set():
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"event: "):
                    event = line[7:].strip()
                elif line.startswith(b"data: ") and event == b"snapshot" and not counted:
                    counted = True
                    ready += 1
                    if ready == clients:
                        connected.set()
                elif line.startswith(b"data: ") and event in (b"view", b"patch", b"snapshot"):
                    key = hash(line)
                    seen[index].append((key, time.time()))
                    lines.setdefault(key, event + b" " + line)
        finally:
            writer.close()

    tasks = [asyncio.create_task(viewer(i)) for i in range(clients)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    waiting = {key: _waiting_ids(line) for key, line in lines.items()}
    return [seen, waiting]


def _waiting_ids(line: bytes) -> set[str]:
    """Callers a message shows waiting: a whole view's, a snapshot's, or those a patch adds or updates
    (a patch names a caller only when it is new or changed, so the first mention is the join)."""
    event, _, data = line.partition(b" data: ")
    message = json.loads(data)
    if event == b"snapshot":
        views = message["views"]
    elif event == b"view":
        views = [message]
    else:
        found: set[str] = set()
        for queue in message["changes"].get("queues", {}).get("upsert", []):
            waiting = queue.get("waiting") or []
            callers = waiting.get("upsert", []) if isinstance(waiting, dict) else waiting
            found.update(caller["uniqueid"] for caller in callers)
        return found
    return {caller["uniqueid"] for view in views for queue in view["queues"] for caller in queue["waiting"]}


def latencies(
    seen: list[list[tuple[int, float]]], waiting: dict[int, set[str]], marks: dict[str, float]
) -> list[float]:
    out: list[float] = []
    for received in seen:
        first: dict[str, float] = {}
        for key, at in received:
            for uniqueid in waiting[key]:
                first.setdefault(uniqueid, at)
        out.extend(at - marks[u] for u, at in first.items() if u in marks)
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
    watch = asyncio.create_task(viewers(api_port, token, args.clients, connected, stop))
    await asyncio.wait_for(connected.wait(), 60)
    listener = context.Process(target=_listen, args=(overrides, port, stop_listener), daemon=True)
    listener.start()
    start.set()
    try:
        marks = await asyncio.to_thread(results.get, True, args.seconds + 60)
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        seen, waiting = await watch
        stop_listener.set()
        listener.join(30)
        api.terminate()
        api.join(5)
        replay.join(5)
        for process in (listener, api, replay):
            if process.is_alive():
                process.kill()
    ms = [value * 1000 for value in latencies(seen, waiting, marks)]
    views = len(waiting)
    print(
        f"{label}: ~{args.rate:.0f} events/s for {args.seconds:.0f} s (speed {speed:.1f}), "
        f"{len(marks)} callers joined,"
    )
    print(f"  {views} distinct views pushed to {args.clients} viewers, {len(ms)} caller-viewer deliveries")
    if ms:
        print(
            f"  AMI event -> viewer: p50 {statistics.median(ms):.0f} ms, p99 {percentile(ms, 99):.0f} ms, "
            f"max {max(ms):.0f} ms   (goal p99 < 100 ms)"
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
