"""IVR load: N simultaneous simulated calls through the real FastAGI server.

Prints the server's per-command overhead (from the peer's reply to the server's next command:
parsing, the dialog, the database work of that step) as p50/p99, and completed calls per second.
Goal: p99 < 20 ms with 300 simultaneous calls.

    python bench/ivr_load.py                      # in-process server, SQLite in a temp folder
    python bench/ivr_load.py --media-s 0 --ramp-s 0   # saturation: commands back to back
    python bench/ivr_load.py --db-url postgresql+psycopg://postgres@127.0.0.1:5432/ivr_bench  # empty db
    python bench/ivr_load.py --target 127.0.0.1:4573   # a running `hotline ivr serve`
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from hotline import db
from hotline.catalogue import load_catalogue
from hotline.settings import load_settings
from ivr.peer import PeerResult, simulate_call
from ivr.server import AgiServer

# A mix of what callers do: straight to a topic, a submenu, a mistake, the FAQ, the operator.
SCRIPTS = [["2", "1"], ["1", "2"], ["0"], ["4"], ["7", "3", "0"], ["1", "3", "1", ""], ["9", "2", "2", "3"]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run_calls(
    host: str, port: int, calls: int, concurrency: int, media_s: float, ramp_s: float
) -> tuple[list[PeerResult], float]:
    gate = asyncio.Semaphore(concurrency)
    rng = random.Random(1)
    starts = sorted(rng.uniform(0, ramp_s) for _ in range(calls))
    # Prompts and key waits last 0.5x..1.5x media_s, so calls do not move in lockstep.
    paces = [media_s * rng.uniform(0.5, 1.5) for _ in range(calls)]
    began = time.perf_counter()

    async def one(n: int) -> PeerResult:
        await asyncio.sleep(max(0.0, starts[n] - (time.perf_counter() - began)))
        async with gate:
            return await simulate_call(
                host, port, caller_number=f"+7916{n:07d}", caller_name="Нагрузка", uniqueid=f"bench.{n}",
                presses=SCRIPTS[n % len(SCRIPTS)], timeout_s=300, media_s=paces[n],
            )  # fmt: skip

    started = time.perf_counter()
    results = await asyncio.gather(*(one(n) for n in range(calls)))
    return results, time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=300)
    parser.add_argument("--db-url", default=None)
    parser.add_argument(
        "--media-s", type=float, default=1.0,
        help="seconds each prompt / key wait takes (0 = back-to-back commands: a saturation test)",
    )  # fmt: skip
    parser.add_argument("--ramp-s", type=float, default=3.0, help="call starts spread over this many seconds")
    parser.add_argument("--target", default=None, help="host:port of a running server")
    args = parser.parse_args()

    server = None
    engine = None
    with tempfile.TemporaryDirectory() as folder:
        if args.target:
            host, _, port_text = args.target.rpartition(":")
            port = int(port_text)
        else:
            url = args.db_url or f"sqlite:///{Path(folder) / 'bench.db'}"
            settings = load_settings(
                None, demo=True, database={"url": url, "pool_size": 30},
                agi={"port": 0, "max_sessions": max(300, args.concurrency)},
            )  # fmt: skip
            engine = db.make_engine(settings.database)
            db.upgrade(engine)
            tuesday_morning = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # every topic open
            server = AgiServer(
                settings, db.make_session_factory(engine), load_catalogue(), clock=lambda: tuesday_morning
            )
            host, port = "127.0.0.1", await server.start()
        peak = 0

        async def sample() -> None:
            nonlocal peak
            while server is not None:
                peak = max(peak, server.active_calls)
                await asyncio.sleep(0.02)

        sampler = asyncio.create_task(sample())
        try:
            results, elapsed = await run_calls(
                host, port, args.calls, args.concurrency, args.media_s, args.ramp_s
            )
        finally:
            sampler.cancel()
            if server is not None:
                await server.close()
            if engine is not None:
                engine.dispose()

    first = [r.latencies[0] for r in results if r.latencies]  # includes opening the visit record
    rest = [value for r in results for value in r.latencies[1:]]
    routed = sum(1 for r in results if r.variables.get("HOTLINE_OUTCOME"))
    print(f"calls: {len(results)} ({routed} finished with routing variables), concurrency {args.concurrency}")
    print(
        f"wall time: {elapsed:.2f} s, {len(results) / elapsed:.1f} calls/s, {len(rest) + len(first)} commands"
    )
    print(
        f"per-command overhead: p50 {statistics.median(rest) * 1000:.2f} ms, "
        f"p99 {percentile(rest, 0.99) * 1000:.2f} ms, max {max(rest) * 1000:.2f} ms"
    )
    print(
        f"first command after the environment (visit record + remembered language): "
        f"p50 {statistics.median(first) * 1000:.2f} ms, p99 {percentile(first, 0.99) * 1000:.2f} ms"
    )
    if server is not None:
        print(f"server: peak {peak} simultaneous calls; {vars(server.stats)}")


if __name__ == "__main__":
    asyncio.run(main())
