"""Benchmark: GET /api/live throughput against a bare FastAPI endpoint, and push latency to many viewers.

Run by hand:  python bench/api_live.py [--clients 500] [--seconds 3]
Prints requests/s of /api/live (token auth, the real app) and of a bare FastAPI endpoint serving the
same bytes on the same machine in the same run (their ratio; goal >= 0.5), then p50/p99 of the time from
a live view being published (what the AMI listener does after an event) until each of N connected
Server-Sent-Events clients has it (goal p99 < 200 ms). Servers run in their own processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import Response

from api.users import create_user, issue_token
from hotline import db
from hotline.db import transaction
from hotline.live import AgentState, LiveView, QueueMemberView, QueueView, WaitingCaller, publish
from hotline.live_patch import apply
from hotline.settings import load_settings
from hotline.timeutil import utcnow


def view_with_waiting(count: int) -> LiveView:
    """Queue `other` of the lab captures with `count` waiting callers (the wallboard's main number)."""
    now = utcnow()
    callers = [
        WaitingCaller(uniqueid=f"1795316951.{i}", linkedid=f"1795316951.{i}", caller_number=f"+7949726062{i}",
                      caller_name="Елена Козлова", topic="musor", position=i + 1, joined_at=now)
        for i in range(count)
    ]  # fmt: skip
    member = QueueMemberView(interface="Local/agent7@agents/n", name="Павел Лебедев", state=AgentState.FREE)
    return LiveView(
        pbx="lab", connected=True, at=now, queues=[QueueView(name="other", waiting=callers, members=[member])]
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_api(overrides: dict[str, object]) -> None:
    from api.server import serve
    from hotline.lifecycle import run

    run(serve(load_settings(None, **overrides)))  # the loop `hotline api` runs on


def run_bare(port: int, body: bytes) -> None:
    import uvicorn

    bare = FastAPI()

    @bare.get("/bare")
    async def endpoint() -> Response:
        return Response(body, media_type="application/json")

    uvicorn.run(bare, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def wait_up(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise SystemExit(f"server at {url} did not start")


async def throughput(port: int, path: str, token: str | None, seconds: float, concurrency: int = 16) -> float:
    """Keep-alive GETs over bare asyncio sockets (a client library would be slower than the server)."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n".encode()
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise SystemExit(f"{path}: {head[:40]!r}")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                done += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


async def push_latency(port: int, token: str, factory: object, clients: int, rounds: int) -> list[float]:
    """Viewers are bare asyncio sockets: an HTTP client library would measure itself, not the server."""
    connected = 0
    all_connected = asyncio.Event()
    marks: dict[int, float] = {}
    latencies: list[float] = []
    request = (
        f"GET /api/live/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()

    async def viewer() -> None:
        nonlocal connected
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        writer.write(request)
        event = b""
        view: dict[str, Any] = {}
        try:
            while line := await reader.readline():
                if line.startswith(b"event: "):
                    event = line[7:].strip()
                elif line.startswith(b"data: ") and event == b"snapshot":
                    view = json.loads(line[6:])["views"][0]
                    connected += 1
                    if connected == clients:
                        all_connected.set()
                elif line.startswith(b"data: ") and event in (b"view", b"patch"):
                    received = time.perf_counter()
                    data = json.loads(line[6:])
                    # A patch holds only the change (hotline.live_patch): apply it to this viewer's view.
                    view = data if event == b"view" else apply(view, data["changes"])
                    waiting = len(view["queues"][0]["waiting"])
                    if waiting in marks:
                        latencies.append(received - marks[waiting])
        finally:
            writer.close()

    tasks = [asyncio.create_task(viewer()) for _ in range(clients)]
    await asyncio.wait_for(all_connected.wait(), 60)
    for round_ in range(rounds):
        waiting = 1 + round_ % 2
        marks[waiting] = time.perf_counter()
        await asyncio.to_thread(_publish, factory, waiting)
        # A random pause, so publishes do not line up with the hub's polling phase.
        await asyncio.sleep(1.0 + random.random() * 0.5)
        marks.pop(waiting, None)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return latencies


def _publish(factory: object, waiting: int) -> None:
    with transaction(factory) as session:  # type: ignore[arg-type]
        publish(session, view_with_waiting(waiting))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--database", default=None, help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    url = args.database or f"sqlite:///{workdir / 'bench.db'}"
    api_port, bare_port = free_port(), free_port()
    overrides: dict[str, object] = {
        "demo": True,
        "database": {"url": url},
        "api": {"port": api_port, "cookie_secure": False},
    }
    settings = load_settings(None, **overrides)
    engine = db.make_engine(settings.database)
    db.upgrade(engine)
    factory = db.make_session_factory(engine)
    with transaction(factory) as session:
        create_user(session, username="bench", role="supervisor")
        token = issue_token(session, username="bench")
    _publish(factory, 2)
    headers = {"Authorization": f"Bearer {token}"}

    context = multiprocessing.get_context("spawn")
    api = context.Process(target=run_api, args=(overrides,), daemon=True)
    api.start()
    base = f"http://127.0.0.1:{api_port}"
    await wait_up(f"{base}/health")
    await asyncio.sleep(0.5)
    async with httpx.AsyncClient(headers=headers) as client:
        body = (await client.get(f"{base}/api/live")).content
    bare = context.Process(target=run_bare, args=(bare_port, body), daemon=True)
    bare.start()
    await wait_up(f"http://127.0.0.1:{bare_port}/bare")

    try:
        bare_rps = await throughput(bare_port, "/bare", None, args.seconds)
        live_rps = await throughput(api_port, "/api/live", token, args.seconds)
        print(
            f"/api/live body {len(body)} bytes, {args.seconds:.0f} s each, "
            "16 keep-alive connections, one server process each"
        )
        print(f"bare FastAPI endpoint: {bare_rps:8.0f} req/s")
        print(f"/api/live (auth+hub) : {live_rps:8.0f} req/s")
        print(f"ratio                : {live_rps / bare_rps:8.2f}   (goal >= 0.5)")
        latencies = await push_latency(api_port, token, factory, args.clients, args.rounds)
        expected = args.clients * args.rounds
        ms = [value * 1000 for value in latencies]
        print(f"push to {args.clients} SSE clients, {args.rounds} publishes: {len(ms)}/{expected} deliveries")
        if ms:
            print(
                f"latency publish->client: p50 {statistics.median(ms):.0f} ms, "
                f"p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms   (goal p99 < 200 ms)"
            )
    finally:
        api.terminate()
        bare.terminate()
        api.join(5)
        bare.join(5)


if __name__ == "__main__":
    asyncio.run(main())
