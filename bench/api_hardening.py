"""Benchmark: the API under hostile load on loopback: 50 concurrent 100 MB uploads, and a lockout attempt.

Run by hand:  python bench/api_hardening.py [--uploads 50] [--megabytes 100]
Starts the real API (uvicorn, one process, a temporary SQLite database, default limits) and prints:
- its resident memory (VmRSS from /proc) before and at the peak while N clients each try to upload
  M megabytes at once: anonymous with Content-Length, signed in with Content-Length, signed in chunked
  (no length: the server counts), anonymous chunked to the login (goal: peak under 300 MB);
- the answers the uploads got, how many bytes the clients managed to send, and how long it took;
- a lockout attempt: an attacker on 127.0.0.2 sends wrong passwords for `admin` as fast as it can while
  the real admin signs in from 127.0.0.1 every 0.2 s (goal: every real sign-in is 200).
Loopback only; bounded by --seconds per phase. Linux (reads /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import multiprocessing
import tempfile
import time
from pathlib import Path

import httpx
from api_live import free_port, run_api, wait_up  # bench/ is on the path when run as a script

from api.users import create_user, issue_token
from hotline import db
from hotline.db import transaction
from hotline.settings import load_settings

PASSWORD = "correct horse battery"
CHUNK = b"x" * 65536


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc")


async def upload(port: int, path: str, size: int, token: str | None, chunked: bool) -> tuple[str, int]:
    """Try to send `size` bytes; returns (the answer's status or what went wrong, bytes sent)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    framing = "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {size}\r\n"
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}{framing}\r\n"
    writer.write(head.encode())
    sent = 0

    async def send_body() -> None:
        nonlocal sent
        while sent < size:
            piece = CHUNK[: size - sent]
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
            sent += len(piece)
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    sender = asyncio.create_task(send_body())
    try:
        status_line = await asyncio.wait_for(reader.readline(), 120)
        answer = status_line.split(b" ")[1].decode() if status_line else "closed"
    except ConnectionError:
        answer = "cut"  # the server closed while the client was still sending: the answer was lost
    except TimeoutError:
        answer = "no answer in 120 s"
    sender.cancel()
    with contextlib.suppress(asyncio.CancelledError, ConnectionError):
        await sender
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    return answer, sent


async def upload_phase(pid: int, port: int, args: argparse.Namespace, token: str) -> None:
    size = args.megabytes * 1024 * 1024
    kinds = [
        ("anonymous, Content-Length", "/api/requests", None, False),
        ("signed in, Content-Length", "/api/requests", token, False),
        ("signed in, chunked", "/api/requests", token, True),
        ("anonymous, chunked login", "/api/login", None, True),
    ]
    for label, path, auth, chunked in kinds:
        before = rss_mb(pid)
        peak = before
        started = time.perf_counter()
        tasks = [asyncio.create_task(upload(port, path, size, auth, chunked)) for _ in range(args.uploads)]
        while not all(task.done() for task in tasks):
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.02)
        results = [task.result() for task in tasks]
        answers = collections.Counter(answer for answer, _ in results)
        sent_mb = sum(sent for _, sent in results) / 1024 / 1024
        print(
            f"{args.uploads} x {args.megabytes} MB, {label:26s}: RSS {before:6.1f} -> peak {peak:6.1f} MB "
            f"(goal < 300), answers {dict(answers)}, clients wrote {sent_mb:7.1f} MB in total, "
            f"{time.perf_counter() - started:5.2f} s"
        )


async def lockout_phase(port: int, seconds: float) -> None:
    url = f"http://127.0.0.1:{port}/api/login"
    attacker_answers: collections.Counter[int] = collections.Counter()
    real: list[tuple[int, float]] = []
    stop_at = time.perf_counter() + seconds

    async def attacker() -> None:
        transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
        async with httpx.AsyncClient(transport=transport) as client:
            while time.perf_counter() < stop_at:
                answer = await client.post(url, json={"username": "admin", "password": "guess-guess"})
                attacker_answers[answer.status_code] += 1

    async def real_admin() -> None:
        async with httpx.AsyncClient() as client:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                answer = await client.post(url, json={"username": "admin", "password": PASSWORD})
                real.append((answer.status_code, time.perf_counter() - started))
                client.cookies.clear()
                await asyncio.sleep(0.2)

    await asyncio.gather(*(attacker() for _ in range(4)), real_admin())
    ok = sum(1 for status, _ in real if status == 200)
    slowest = max(elapsed for _, elapsed in real) * 1000
    print(
        f"lockout attempt, {seconds:.0f} s: attacker (127.0.0.2) answers {dict(attacker_answers)}; "
        f"real admin (127.0.0.1) {ok}/{len(real)} sign-ins 200, slowest {slowest:.0f} ms (goal: all 200)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the lockout attempt")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    port = free_port()
    overrides: dict[str, object] = {
        "demo": True,
        "database": {"url": f"sqlite:///{workdir / 'bench.db'}"},
        "recordings": {"dir": str(workdir)},
        "api": {"host": "127.0.0.1", "port": port, "cookie_secure": False},
    }
    settings = load_settings(None, **overrides)
    engine = db.make_engine(settings.database)
    db.upgrade(engine)
    with transaction(db.make_session_factory(engine)) as session:
        create_user(session, username="admin", role="admin", password=PASSWORD)
        token = issue_token(session, username="admin")
    engine.dispose()

    api = multiprocessing.get_context("spawn").Process(target=run_api, args=(overrides,), daemon=True)
    api.start()
    try:
        await wait_up(f"http://127.0.0.1:{port}/health")
        assert api.pid is not None
        print(f"API process {api.pid}, limits: signed in {settings.api.max_body_bytes} B, "
              f"anonymous {settings.api.max_anonymous_body_bytes} B")  # fmt: skip
        await upload_phase(api.pid, port, args, token)
        await lockout_phase(port, args.seconds)
        print(f"API RSS at the end: {rss_mb(api.pid):.1f} MB")
    finally:
        api.terminate()
        api.join(5)


if __name__ == "__main__":
    asyncio.run(main())
