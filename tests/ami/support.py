"""Helpers for the AMI tests: facts read from the captures and their queue_log, and a replay runner."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from panoramisk.message import Message
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.capture import load_capture, with_timestamp
from ami_listener.events import headers_of
from ami_listener.replay import ReplayServer
from ami_listener.runner import replay_settings, run_until_stream_ends
from ami_listener.service import AmiService
from hotline import db
from hotline.live import LiveView
from hotline.models import AgentPeriod, Call, QueueEntry
from hotline.settings import Settings
from hotline.timeutil import from_epoch
from tests.conftest import CAPTURES, demo_settings


def capture_path(name: str) -> Path:
    folder = name.split("_part")[0]
    return CAPTURES / folder / f"{name}.ami"


@dataclass
class QueueLogFacts:
    """What Asterisk's own queue_log says about the calls of a capture."""

    entered: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    abandoned: Counter[str] = field(default_factory=Counter)
    timeout: Counter[str] = field(default_factory=Counter)
    wait: dict[str, int] = field(default_factory=dict)  # caller uniqueid -> seconds
    talk: dict[str, int] = field(default_factory=dict)
    agent: dict[str, str] = field(default_factory=dict)
    queue: dict[str, str] = field(default_factory=dict)
    pauses: list[tuple[str, str, str]] = field(default_factory=list)  # (queue, agent, reason)


def queue_log_facts(path: Path) -> QueueLogFacts:
    facts = QueueLogFacts()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("|")
        _epoch, uniqueid, queue, agent, event, *data = parts
        if event == "ENTERQUEUE":
            facts.entered[queue] += 1
            facts.queue[uniqueid] = queue
        elif event == "CONNECT":
            facts.answered[queue] += 1
            facts.wait[uniqueid] = int(data[0])
            facts.agent[uniqueid] = agent
        elif event == "ABANDON":
            facts.abandoned[queue] += 1
            facts.wait[uniqueid] = int(data[2])
        elif event == "EXITWITHTIMEOUT":
            facts.timeout[queue] += 1
            facts.wait[uniqueid] = int(data[2])
        elif event in ("COMPLETEAGENT", "COMPLETECALLER"):
            facts.talk[uniqueid] = int(data[1])
        elif event == "PAUSE":
            facts.pauses.append((queue, agent, data[0] if data else ""))
    return facts


def capture_linkedids(path: Path) -> set[str]:
    """Every call (Linkedid) the capture shows a channel for."""
    linkedids = set()
    for message in load_capture(path).messages:
        if message.data.startswith(b"Event: Newchannel\r\n"):
            for line in message.data.split(b"\r\n"):
                if line.startswith(b"Linkedid: "):
                    linkedids.add(line[10:].decode())
    return linkedids


def capture_headers(path: Path) -> Iterator[tuple[dict[str, Any], datetime]]:
    """The capture's messages as the listener's consumer sees them (headers, receive time)."""
    for message in load_capture(path).messages:
        parsed = Message.from_line(with_timestamp(message.data, message.wall).decode().strip())
        if parsed is not None:
            yield headers_of(parsed), from_epoch(message.wall)


def lab_settings(db_url: str, tmp_path: Path, **ami: Any) -> Settings:
    return demo_settings(db_url, tmp_path, ami={"reconnect_min_s": 0.05, "reconnect_max_s": 0.2, **ami})


@dataclass
class ReplayResult:
    service: AmiService
    server: ReplayServer
    views: list[LiveView]


async def replay_capture(
    capture: Path, settings: Settings, session_factory: sessionmaker[Session], **server_args: Any
) -> ReplayResult:
    """Run the production listener against a ReplayServer until the capture has been played."""
    pbx_paths = server_args.pop("pbx_paths", {})
    server = ReplayServer(capture, speed=server_args.pop("speed", 0.0), **server_args)
    port = await server.start()
    views: list[LiveView] = []
    replaying = replay_settings(settings, "lab", port)
    for key, value in pbx_paths.items():
        setattr(replaying.ami.pbxes[0], key, value)
    service = AmiService(replaying, session_factory, on_change=views.append)
    try:
        await asyncio.wait_for(run_until_stream_ends(service, server), 60)
    finally:
        await server.close()
    return ReplayResult(service, server, views)


def migrated_factory(url: str) -> sessionmaker[Session]:
    from hotline.settings import DatabaseSettings

    engine = db.make_engine(DatabaseSettings(url=url))
    db.upgrade(engine)
    return db.make_session_factory(engine)


def table_dump(session_factory: sessionmaker[Session]) -> dict[str, list[tuple[str, ...]]]:
    """Every stored record without surrogate ids, sorted: what 'the same rows' means."""
    dump: dict[str, list[tuple[str, ...]]] = {}
    with session_factory() as session:
        for model in (Call, QueueEntry, AgentPeriod):
            columns = [
                c.key for c in model.__table__.columns if c.key not in ("id", "call_id", "ivr_visit_id")
            ]
            rows = session.scalars(select(model)).all()
            dump[model.__tablename__] = sorted(tuple(str(getattr(r, c)) for c in columns) for r in rows)
    return dump
