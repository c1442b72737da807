"""Idle or endless FastAGI connections from an allowed peer cannot hold the call slots."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from hotline import db
from hotline.catalogue import load_catalogue
from hotline.models import IvrOutcome, IvrVisit
from hotline.settings import DatabaseSettings
from ivr.peer import simulate_call
from ivr.server import AgiServer
from tests.conftest import demo_settings
from tests.ivr.test_dialog import TUESDAY_MORNING

Start = Callable[..., Any]


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    servers: list[AgiServer] = []

    async def running(**agi: Any) -> tuple[AgiServer, int]:
        url = f"sqlite:///{tmp_path / 'ivr.db'}"
        settings = demo_settings(url, tmp_path, agi={"port": 0, "sounds_dir": str(tmp_path / "s"), **agi})
        engine = db.make_engine(DatabaseSettings(url=url))
        db.upgrade(engine)
        # Working hours decide whether a topic queues: the clock is fixed inside them.
        factory = db.make_session_factory(engine)
        server = AgiServer(settings, factory, load_catalogue(), clock=lambda: TUESDAY_MORNING, grace_s=0.5)
        servers.append(server)
        return server, await server.start()

    yield running
    for server in servers:
        await server.close()


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port))


async def _real_call(port: int) -> dict[str, str]:
    result = await simulate_call(
        "127.0.0.1",
        port,
        presses=["2", "1"],
        caller_number="+79977541208",
        caller_name="Алексей Соколов",
        uniqueid="1795316914.7",
        timeout_s=20,
    )
    return result.variables


async def test_idle_connections_do_not_take_the_slots_of_real_calls(start: Start) -> None:
    server, port = await start(max_sessions=2, handshake_timeout_s=0.3, call_timeout_s=600)
    idle = [_connect(port) for _ in range(3)]  # more than the call slots, never a byte: they hold none
    try:
        variables = await _real_call(port)
        assert variables["HOTLINE_QUEUE"] == "utilities"
        await asyncio.sleep(0.5)
        assert server.stats.handshake_timeouts == 3
        for sock in idle:
            sock.settimeout(2)
            assert sock.recv(100) == b""  # cut after the deadline, not after the 600 s call limit
    finally:
        for sock in idle:
            sock.close()
    assert server.active_calls == 0


async def test_an_environment_without_end_is_cut_at_the_line_limit(start: Start) -> None:
    server, port = await start(max_env_lines=16, handshake_timeout_s=5)
    sock = _connect(port)

    def endless() -> None:
        sock.settimeout(5)
        for index in range(1_000_000):
            sock.sendall(f"agi_arg_{index}: x\n".encode())

    try:
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            await asyncio.to_thread(endless)  # a blocking peer in a thread: the server runs on this loop
        assert server.stats.bad_environments == 1
    finally:
        sock.close()
    assert server.active_calls == 0


async def test_a_real_call_is_served_as_before(start: Start, tmp_path: Path) -> None:
    _server, port = await start()
    assert (await _real_call(port))["HOTLINE_OUTCOME"] == "queued"
    engine = db.make_engine(DatabaseSettings(url=f"sqlite:///{tmp_path / 'ivr.db'}"))
    with db.make_session_factory(engine)() as session:
        assert [visit.outcome for visit in session.query(IvrVisit)] == [IvrOutcome.QUEUED]
    engine.dispose()


def test_a_line_split_across_the_environment_and_the_socket_reads_whole() -> None:
    import io

    from ivr.server import _Replayed

    reader = _Replayed("agi_type: SIP\n\n200 res", io.StringIO("ult=0\n200 result=1\n"))
    assert [reader.readline(65536) for _ in range(4)] == [
        "agi_type: SIP\n",
        "\n",
        "200 result=0\n",
        "200 result=1\n",
    ]
