"""AMI ingest benchmark (run by hand; prints figures, asserts nothing).

    python bench/ami_ingest.py [--events 1000000] [--postgres URL] [--latency-events 40000]

1. Throughput: the `load` capture amplified to >= --events events (each round renumbered: new
   Uniqueid/Linkedid and times), served by the ReplayServer as fast as possible, through the real
   listener with persistence, on SQLite and on PostgreSQL. Printed: events/s.
2. In the same run and on the same bytes: panoramisk's own parse-and-dispatch rate with an empty
   callback (AMIProtocol.data_received in 64 KB reads), and the ratio listener/panoramisk (goal >= 1.0
   on SQLite, >= 0.75 on PostgreSQL: the listener with persistence keeps up with bare parsing).
3. Latency: the capture replayed at ~2,000 events/s; event-to-state latency (from the message being
   parsed off the socket to it being applied to the live state) p50/p99/max (goal p99 < 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from panoramisk import Manager  # noqa: E402
from panoramisk.ami_protocol import AMIProtocol  # noqa: E402

from ami_listener.capture import load_capture, renumber, with_timestamp  # noqa: E402
from ami_listener.link import PbxLink  # noqa: E402
from ami_listener.replay import ReplayServer  # noqa: E402
from ami_listener.runner import replay_settings  # noqa: E402
from ami_listener.service import AmiService  # noqa: E402
from ami_listener.testing import TimedPbxLink  # noqa: E402
from hotline import db  # noqa: E402
from hotline.settings import load_settings  # noqa: E402

CAPTURE = ROOT / "tests" / "data" / "asterisk" / "load" / "load.ami"
CHUNK = 65536


class _NullTransport:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


async def panoramisk_rate(rounds: int, server: ReplayServer) -> tuple[int, float]:
    """Events/s of panoramisk parsing the replay's bytes and dispatching to an empty callback."""
    manager = Manager(loop=asyncio.get_running_loop(), encoding="utf8")
    manager.register_event("*", lambda _manager, _event: None)
    protocol = AMIProtocol()
    protocol.connection_made(_NullTransport())
    protocol.factory = manager
    protocol.encoding = "utf8"
    messages = server.parts[0].messages
    events = 0
    elapsed = 0.0
    for index in range(rounds):
        shift = index * server._shift_step  # the same renumbering the server applies
        data = b"".join(
            with_timestamp(renumber(m.data, shift), m.wall + shift)
            if m.kind == "event"
            else renumber(m.data, shift)
            for m in messages
        )
        events += sum(m.kind == "event" for m in messages)
        start = time.perf_counter()
        for offset in range(0, len(data), CHUNK):
            protocol.data_received(data[offset : offset + CHUNK])
        elapsed += time.perf_counter() - start
    return events, events / elapsed


def _serve(capture: str, speed: float, repeat: int, ports: Any) -> None:
    """Child process: the replay server, so it does not share the listener's CPU."""

    async def run() -> None:
        server = ReplayServer(Path(capture), speed=speed, repeat=repeat)
        ports.put(await server.start())
        await server.wait_done()
        await server.close()

    asyncio.run(run())


@contextlib.contextmanager
def replay_process(speed: float, repeat: int) -> Iterator[int]:
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    process = context.Process(target=_serve, args=(str(CAPTURE), speed, repeat, ports), daemon=True)
    process.start()
    try:
        yield ports.get(timeout=60)
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()


async def _listen_until_stream_ends(service: AmiService) -> None:
    link = service.links[0]
    run = asyncio.create_task(service.run())
    while not run.done() and link.sessions_ended < 1:  # noqa: ASYNC110 - polling a counter
        await asyncio.sleep(0.05)
    await service.stop()
    await run


def _service(
    url: str, workdir: Path, name: str, port: int, link_class: type[PbxLink] = PbxLink
) -> tuple[AmiService, Any]:
    settings = load_settings(
        None, demo=True, database={"url": url}, recordings={"dir": str(workdir / "recordings")}
    )
    engine = db.make_engine(settings.database)
    db.upgrade(engine)
    service = AmiService(
        replay_settings(settings, name, port), db.make_session_factory(engine), link_class=link_class
    )
    return service, engine


async def listener_rate(url: str, rounds: int, workdir: Path) -> tuple[int, float]:
    with replay_process(0.0, rounds) as port:
        service, engine = _service(url, workdir, "bench", port)
        start = time.perf_counter()
        await _listen_until_stream_ends(service)
        elapsed = time.perf_counter() - start
    engine.dispose()
    events = service.links[0].processor.events_total
    return events, events / elapsed


async def latency(url: str, target_rate: float, max_events: int, workdir: Path) -> list[float]:
    capture = load_capture(CAPTURE)
    span = capture.messages[-1].t - capture.messages[0].t
    natural = sum(m.kind == "event" for m in capture.messages) / span
    speed = target_rate / natural
    with replay_process(speed, 1) as port:
        service, engine = _service(url, workdir, "latency", port, TimedPbxLink)
        link = service.links[0]
        assert isinstance(link, TimedPbxLink)
        run = asyncio.create_task(service.run())
        while not run.done() and len(link.latencies) < max_events and link.sessions_ended < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        await service.stop()
        await run
    engine.dispose()
    print(
        f"  replayed at speed {speed:.1f} (~{target_rate:.0f} events/s), {len(link.latencies)} events applied"
    )
    return link.latencies


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--latency-events", type=int, default=40_000)
    parser.add_argument("--latency-rate", type=float, default=2000.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    per_round = sum(m.kind == "event" for m in load_capture(CAPTURE).messages)
    rounds = math.ceil(args.events / per_round)
    print(f"load capture: {per_round} events per round, {rounds} rounds -> {rounds * per_round} events")
    reference = ReplayServer(CAPTURE, speed=0, repeat=rounds)  # only to render the same bytes
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        targets = [("SQLite", f"sqlite:///{workdir / 'bench.db'}")]
        if not args.skip_postgres:
            targets.append(("PostgreSQL", args.postgres))
        for label, url in targets:
            with contextlib.ExitStack() as stack:
                if url.startswith("postgresql"):
                    url = stack.enter_context(private_postgres(url))
                events, rate = await listener_rate(url, rounds, workdir)
            raw_events, raw_rate = await panoramisk_rate(rounds, reference)
            print(f"{label}: listener with persistence {events} events, {rate:,.0f} events/s")
            print(
                f"{label}: panoramisk parse+dispatch (empty callback) {raw_events} events, "
                f"{raw_rate:,.0f} events/s"
            )
            goal = 0.75 if label == "PostgreSQL" else 1.0
            print(f"{label}: ratio listener/panoramisk = {rate / raw_rate:.2f} (goal >= {goal})")
        print(f"latency at ~{args.latency_rate:.0f} events/s (SQLite):")
        values = await latency(
            f"sqlite:///{workdir / 'latency.db'}", args.latency_rate, args.latency_events, workdir
        )
        if values:
            ms = [v * 1000 for v in values]
            print(
                f"  event-to-state latency p50 {statistics.median(ms):.2f} ms, p99 {_pct(ms, 0.99):.2f} ms, "
                f"max {max(ms):.2f} ms (goal p99 < 100 ms)"
            )


@contextlib.contextmanager
def private_postgres(server_url: str) -> Iterator[str]:
    """A throw-away database on the server (never the shared one), dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.rpartition("/")[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
