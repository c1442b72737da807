"""Captures replayed over TCP through the production listener; records checked against queue_log."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.models import (
    AgentPeriod,
    AgentPeriodKind,
    Call,
    CallOutcome,
    Pbx,
    QueueEntry,
    Recording,
    TranscriptionJob,
)
from tests.ami.support import (
    capture_linkedids,
    capture_path,
    lab_settings,
    queue_log_facts,
    replay_capture,
)
from tests.conftest import CAPTURES


def _check_against_queue_log(name: str, session_factory: sessionmaker[Session]) -> None:
    facts = queue_log_facts(CAPTURES / name / f"{name}.queue_log")
    with session_factory() as session:
        calls = session.scalars(select(Call)).all()
        entries = session.scalars(select(QueueEntry)).all()
    # One record per call the capture shows, none left open.
    assert sorted(c.linkedid for c in calls) == sorted(capture_linkedids(capture_path(name)))
    assert all(c.ended_at is not None for c in calls)
    assert not [c for c in calls if c.outcome is CallOutcome.IN_PROGRESS]
    # Per queue: offered, answered, abandoned as Asterisk logged them.
    assert Counter(e.queue for e in entries) == facts.entered
    assert Counter(e.queue for e in entries if e.outcome is CallOutcome.ANSWERED) == facts.answered
    assert Counter(e.queue for e in entries if e.outcome is CallOutcome.ABANDONED) == facts.abandoned
    assert Counter(c.queue for c in calls if c.outcome is CallOutcome.ANSWERED) == facts.answered
    # Per caller: wait, talk and agent within a second of queue_log.
    by_uniqueid = {e.uniqueid: e for e in entries}
    for uniqueid, wait in facts.wait.items():
        assert by_uniqueid[uniqueid].wait_s == pytest.approx(wait, abs=1.0), uniqueid
    for uniqueid, talk in facts.talk.items():
        assert by_uniqueid[uniqueid].talk_s == pytest.approx(talk, abs=1.0), uniqueid
    for uniqueid, agent in facts.agent.items():
        assert by_uniqueid[uniqueid].agent == agent
    # Calls that never reached a queue are IVR-only.
    queued_calls = {e.call_id for e in entries}
    assert {c.outcome for c in calls if c.id not in queued_calls} <= {CallOutcome.IVR_ONLY}


@pytest.mark.parametrize("name", ["ivr_to_agent", "abandon"])
async def test_small_captures_give_exact_records(
    name: str, db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    result = await replay_capture(capture_path(name), lab_settings(db_url, tmp_path), session_factory)
    _check_against_queue_log(name, session_factory)
    assert result.service.links[0].processor.parse_errors_total == 0


@pytest.mark.parametrize("name", ["resync", "split_recording"])
async def test_more_captures_give_exact_records(name: str, sqlite_engine: object, tmp_path: Path) -> None:
    from hotline import db

    factory = db.make_session_factory(sqlite_engine)  # type: ignore[arg-type]
    await replay_capture(capture_path(name), lab_settings(str(sqlite_engine.url), tmp_path), factory)  # type: ignore[attr-defined]
    _check_against_queue_log(name, factory)


@pytest.mark.slow
async def test_load_capture_matches_queue_log(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    result = await replay_capture(capture_path("load"), lab_settings(db_url, tmp_path), session_factory)
    _check_against_queue_log("load", session_factory)
    link = result.service.links[0]
    with session_factory() as session:
        pbx = session.scalars(select(Pbx)).one()
        recordings = [c.recording_file for c in session.scalars(select(Call)) if c.recording_file]
        talks = session.scalars(select(AgentPeriod).where(AgentPeriod.kind == AgentPeriodKind.TALK)).all()
        queued = session.execute(
            select(Recording.path, Recording.call_id).join(
                TranscriptionJob, TranscriptionJob.recording_id == Recording.id
            )
        ).all()
    assert pbx.name == "lab"
    assert pbx.events_total == link.processor.events_total > 26000
    assert pbx.parse_errors_total == 0
    assert not pbx.connected  # the stream ended
    # Recording paths are resolved into our recordings folder, one per MixMonitor call.
    facts = queue_log_facts(CAPTURES / "load" / "load.queue_log")
    assert len(recordings) == sum(facts.entered.values())
    assert all(Path(r).parent == (tmp_path / "recordings").resolve() for r in recordings)
    # Each one queued once for transcription, linked to its call.
    assert sorted(path for path, _ in queued) == sorted(recordings)
    assert all(call_id is not None for _, call_id in queued)
    assert len(talks) == sum(facts.answered.values())
    assert all(t.ended_at is not None for t in talks)


async def test_member_ops_pause_reasons_become_periods(sqlite_engine: object, tmp_path: Path) -> None:
    from hotline import db

    factory = db.make_session_factory(sqlite_engine)  # type: ignore[arg-type]
    result = await replay_capture(
        capture_path("member_ops"),
        lab_settings(str(sqlite_engine.url), tmp_path),
        factory,  # type: ignore[attr-defined]
    )
    with factory() as session:
        pauses = session.scalars(
            select(AgentPeriod)
            .where(AgentPeriod.kind == AgentPeriodKind.PAUSED)
            .order_by(AgentPeriod.started_at)
        ).all()
        logins = session.scalars(
            select(AgentPeriod).where(AgentPeriod.kind == AgentPeriodKind.LOGGED_IN)
        ).all()
    facts = queue_log_facts(CAPTURES / "member_ops" / "member_ops.queue_log")
    # Every pause reason Asterisk logged shows up as a closed pause period of that agent and queue.
    for queue, agent, reason in facts.pauses:
        assert any(p.queue == queue and p.agent_name == agent and p.reason == reason for p in pauses)
    assert all(p.ended_at is not None for p in pauses if p.reason != "Вход в систему")
    # Дмитрий Волков was added to and removed from both queues: two closed login periods.
    volkov = [p for p in logins if p.agent_name == "Дмитрий Волков"]
    assert sorted(p.queue for p in volkov) == ["passes", "utilities"]
    assert all(p.ended_at is not None for p in volkov)
    assert result.service.links[0].processor.parse_errors_total == 0


async def test_repeated_replay_renumbers_calls(sqlite_engine: object, tmp_path: Path) -> None:
    """The demo's endless replay: each round is a new set of calls (new ids and times), none merged."""
    from hotline import db

    factory = db.make_session_factory(sqlite_engine)  # type: ignore[arg-type]
    await replay_capture(
        capture_path("ivr_to_agent"),
        lab_settings(str(sqlite_engine.url), tmp_path),
        factory,
        repeat=3,  # type: ignore[attr-defined]
    )
    with factory() as session:
        calls = session.scalars(select(Call).order_by(Call.started_at)).all()
    (original,) = capture_linkedids(capture_path("ivr_to_agent"))
    assert len(calls) == 3
    assert calls[0].linkedid == original
    assert len({c.linkedid for c in calls}) == 3
    assert all(c.outcome is CallOutcome.ANSWERED and c.agent == "Анна Смирнова" for c in calls)
    assert calls[0].ended_at is not None
    assert calls[0].ended_at < calls[1].started_at  # rounds follow each other in time


async def test_two_pbxes_at_once_keep_their_calls_apart(sqlite_engine: object, tmp_path: Path) -> None:
    """The same capture on two PBXes: same Linkedids, two sets of records, each tagged with its PBX."""
    import asyncio

    from ami_listener.replay import ReplayServer
    from ami_listener.service import AmiService
    from hotline import db
    from hotline.settings import PbxSettings

    factory = db.make_session_factory(sqlite_engine)  # type: ignore[arg-type]
    servers = [ReplayServer(capture_path("abandon"), speed=0) for _ in range(2)]
    ports = [await server.start() for server in servers]
    base = lab_settings(str(sqlite_engine.url), tmp_path)  # type: ignore[attr-defined]
    pbxes = [
        PbxSettings(name=name, port=port, secret="hotline")  # type: ignore[arg-type]
        for name, port in zip(("north", "south"), ports, strict=True)
    ]
    service = AmiService(
        base.model_copy(update={"ami": base.ami.model_copy(update={"pbxes": pbxes})}), factory
    )
    run = asyncio.create_task(service.run())
    await asyncio.wait_for(asyncio.gather(*(s.wait_done() for s in servers)), 30)
    while any(link.sessions_ended < 1 for link in service.links):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await service.stop()
    await run
    for server in servers:
        await server.close()
    with factory() as session:
        calls = session.scalars(select(Call)).all()
        pbx_rows = session.scalars(select(Pbx).order_by(Pbx.name)).all()
    linkedids = capture_linkedids(capture_path("abandon"))
    for name in ("north", "south"):
        assert sorted(c.linkedid for c in calls if c.pbx == name) == sorted(linkedids)
    assert [p.name for p in pbx_rows] == ["north", "south"]
    assert pbx_rows[0].events_total == pbx_rows[1].events_total > 0


async def test_replay_in_the_present_stamps_calls_with_todays_time(
    sqlite_engine: object, tmp_path: Path
) -> None:
    """The demo's replay: calls happen now, at the replay's pace, not on the day of the capture."""
    from hotline import db
    from hotline.timeutil import utcnow

    factory = db.make_session_factory(sqlite_engine)  # type: ignore[arg-type]
    before = utcnow()
    speed = 20.0
    await replay_capture(
        capture_path("ivr_to_agent"),
        lab_settings(str(sqlite_engine.url), tmp_path),  # type: ignore[attr-defined]
        factory,
        speed=speed,
        present=True,
    )
    after = utcnow()
    with factory() as session:
        (call,) = session.scalars(select(Call)).all()
        (entry,) = session.scalars(select(QueueEntry)).all()
        logins = session.scalars(
            select(AgentPeriod).where(AgentPeriod.kind == AgentPeriodKind.LOGGED_IN)
        ).all()
    (original,) = capture_linkedids(capture_path("ivr_to_agent"))
    assert call.started_at is not None
    assert call.ended_at is not None
    assert before <= call.started_at <= call.ended_at <= after
    assert call.linkedid != original  # ids read like today's calls too
    assert call.outcome is CallOutcome.ANSWERED
    assert call.agent == "Анна Смирнова"
    facts = queue_log_facts(CAPTURES / "ivr_to_agent" / "ivr_to_agent.queue_log")
    (talk,) = facts.talk.values()
    assert entry.talk_s == pytest.approx(talk, abs=1.0)  # durations stay what Asterisk reported
    # Operators logged in today too (Asterisk's LoginTime starts their periods), not on the capture's day.
    assert logins
    assert all(before - timedelta(minutes=1) <= p.started_at <= after for p in logins)
