"""Connection faults: cuts at random points, an outage, a PBX restart, a half-open connection."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from ami_listener.capture import load_capture
from ami_listener.runner import replay_settings
from ami_listener.service import AmiService
from hotline import db
from hotline.models import Call, CallOutcome, Pbx, QueueEntry
from tests.ami.support import (
    capture_linkedids,
    capture_path,
    lab_settings,
    migrated_factory,
    queue_log_facts,
    replay_capture,
    table_dump,
)
from tests.conftest import CAPTURES


@pytest.mark.slow
async def test_random_cuts_in_load_leave_the_same_records(tmp_path: Path) -> None:
    capture = capture_path("load")
    size = capture.stat().st_size
    seed = random.randrange(1 << 30)
    cuts = sorted(random.Random(seed).sample(range(1000, size), 12))
    clean = migrated_factory(f"sqlite:///{tmp_path / 'clean.db'}")
    faulty = migrated_factory(f"sqlite:///{tmp_path / 'faulty.db'}")
    settings = lab_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path)

    await replay_capture(capture, settings, clean)
    result = await replay_capture(capture, settings, faulty, cuts=cuts)

    assert result.server.connections == len(cuts) + 1, f"seed={seed}"
    assert result.service.links[0].reconnects_total >= len(cuts)
    assert table_dump(faulty) == table_dump(clean), f"seed={seed} cuts={cuts}"
    with faulty() as session:
        pbx = session.scalars(select(Pbx)).one()
    assert pbx.reconnects_total >= len(cuts)


async def test_call_that_ends_during_an_outage_is_closed_as_lost(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Cut while the agent talks, come back after the hangup: the call is closed, once, as lost."""
    capture = capture_path("ivr_to_agent")
    recorded = load_capture(capture)
    connect = next(m for m in recorded.messages if m.name == "AgentConnect")
    factory = db.make_session_factory(sqlite_engine)
    result = await replay_capture(
        capture,
        lab_settings(str(sqlite_engine.url), tmp_path),
        factory,
        cuts=[connect.offset + len(connect.data) + 10],
        outage_s=recorded.messages[-1].t - connect.t + 1,  # back only once everything is over
    )
    with factory() as session:
        calls = session.scalars(select(Call)).all()
        entries = session.scalars(select(QueueEntry)).all()
    assert [c.linkedid for c in calls] == sorted(capture_linkedids(capture))
    (call,) = calls
    assert call.outcome is CallOutcome.LOST_DURING_DISCONNECT
    assert call.ended_at is not None
    assert call.agent == "Анна Смирнова"  # what we knew before the outage is kept
    assert len(entries) == 1
    assert result.service.links[0].processor.lost_total == 1


async def test_pbx_restart_reconnects_and_closes_every_call(sqlite_engine: Engine, tmp_path: Path) -> None:
    factory = db.make_session_factory(sqlite_engine)
    result = await replay_capture(
        capture_path("restart_part1"),
        lab_settings(str(sqlite_engine.url), tmp_path),
        factory,
        next_parts=[capture_path("restart_part2")],
    )
    facts = queue_log_facts(CAPTURES / "restart" / "restart.queue_log")
    with factory() as session:
        calls = session.scalars(select(Call)).all()
        entries = session.scalars(select(QueueEntry)).all()
        pbx = session.scalars(select(Pbx)).one()
    assert result.server.connections == 2
    assert pbx.reconnects_total >= 1
    assert sorted(c.linkedid for c in calls) == sorted(capture_linkedids(capture_path("restart_part1")))
    assert all(c.ended_at is not None for c in calls)
    by_uniqueid = {e.uniqueid: e for e in entries}
    for uniqueid in facts.agent:
        assert by_uniqueid[uniqueid].outcome is CallOutcome.ANSWERED
    for uniqueid, wait in facts.wait.items():
        assert by_uniqueid[uniqueid].wait_s == pytest.approx(wait, abs=1.0)
    assert sum(e.outcome is CallOutcome.ABANDONED for e in entries) == sum(facts.abandoned.values())


async def test_half_open_connection_is_detected_by_ping(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A PBX that logs us in and then never answers again (half-open TCP) is left and re-dialled."""
    recorded = load_capture(capture_path("ivr_to_agent"))
    accepted = 0
    writers: list[asyncio.StreamWriter] = []

    async def silent_pbx(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writers.append(writer)
        writer.write(recorded.banner)
        login = await reader.readuntil(b"\r\n\r\n")
        action_id = next(
            line.split(b": ", 1)[1] for line in login.split(b"\r\n") if line.startswith(b"ActionID")
        )
        writer.write(recorded.login_response.replace(recorded.login_action_id.encode(), action_id))
        await reader.read()  # swallow Pings forever, never answer

    server = await asyncio.start_server(silent_pbx, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = replay_settings(lab_settings(str(sqlite_engine.url), tmp_path), "lab", port)
    settings.ami.pbxes[0].ping_interval_s = 0.1
    settings.ami.pbxes[0].ping_timeout_s = 0.2
    service = AmiService(settings, db.make_session_factory(sqlite_engine))
    run = asyncio.create_task(service.run())
    try:
        for _ in range(200):
            if accepted >= 3:
                break
            await asyncio.sleep(0.05)
    finally:
        await service.stop()
        await run
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()
    assert accepted >= 3
    assert service.links[0].reconnects_total >= 2
