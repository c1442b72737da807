"""Process-level wiring for `hotline ami listen|replay`: build everything once, run, drain on exit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import Engine

from ami_listener.replay import ReplayServer
from ami_listener.service import AmiService
from hotline import db
from hotline.errors import DatabaseError
from hotline.lifecycle import Lifecycle
from hotline.settings import PbxSettings, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    pbx: str
    events: int
    parse_errors: int
    unknown_events: int
    reconnects: int
    lost_during_disconnect: int
    state_errors: int = 0
    values_cleaned: int = 0  # saved, but cut or stripped of NUL bytes (see `problems`)
    rows_rejected: int = 0  # refused by the database: NOT saved
    records_lost: int = 0  # dropped from a full retry buffer: NOT saved
    problems: tuple[str, ...] = ()  # what was cut, refused or dropped (the latest ones)

    @property
    def all_saved(self) -> bool:
        """Every record reached the database, and the state machine never failed."""
        return not (self.rows_rejected or self.records_lost or self.state_errors)


def _engine(settings: Settings, *, migrate: bool) -> Engine:
    engine = db.make_engine(settings.database)
    db.check_reachable(engine)
    if migrate:
        db.upgrade(engine)
    elif db.current_revision(engine) != db.head_revision(engine):
        raise DatabaseError("database schema is not up to date; run `hotline db upgrade` first")
    return engine


def _summaries(service: AmiService) -> list[RunSummary]:
    return [
        RunSummary(
            pbx=link.pbx.name,
            events=link.processor.events_total,
            parse_errors=link.processor.parse_errors_total,
            unknown_events=link.processor.unknown_events_total,
            reconnects=link.reconnects_total,
            lost_during_disconnect=link.processor.lost_total,
            state_errors=link.processor.state_errors_total,
            values_cleaned=link.writer.values_cleaned_total,
            rows_rejected=link.writer.rows_rejected_total,
            records_lost=link.writer.records_lost_total,
            problems=tuple(link.writer.problems),
        )
        for link in service.links
    ]


async def listen(settings: Settings) -> list[RunSummary]:
    """Listen to every configured PBX until SIGTERM/SIGINT; then drain the queue and flush."""
    engine = await asyncio.to_thread(_engine, settings, migrate=False)
    service = AmiService(settings, db.make_session_factory(engine))
    try:
        async with Lifecycle("ami") as life:
            life.on_shutdown(service.stop)
            life.spawn(service.run(), name="ami-listener")
            await life.wait()
            log.info("stopping: draining queued events and flushing")
    finally:
        engine.dispose()
    return _summaries(service)


def replay_settings(settings: Settings, pbx: str, port: int) -> Settings:
    """The same settings with one PBX pointing at the local replay server."""
    replay_pbx = PbxSettings(
        name=pbx, host="127.0.0.1", port=port, username="hotline", secret=SecretStr("hotline")
    )
    return settings.model_copy(update={"ami": settings.ami.model_copy(update={"pbxes": [replay_pbx]})})


async def replay(
    settings: Settings, capture: Path, *, speed: float = 0.0, pbx: str = "lab"
) -> list[RunSummary]:
    """Serve `capture` locally, run the real listener against it until the stream ends."""
    engine = await asyncio.to_thread(_engine, settings, migrate=True)
    server = ReplayServer(capture, speed=speed)
    port = await server.start()
    service = AmiService(replay_settings(settings, pbx, port), db.make_session_factory(engine))
    try:
        await run_until_stream_ends(service, server)
    finally:
        await server.close()
        engine.dispose()
    return _summaries(service)


async def run_until_stream_ends(service: AmiService, server: ReplayServer) -> None:
    """Run `service` until `server` has sent everything and the listener has read it all."""
    run = asyncio.create_task(service.run())
    try:
        done = asyncio.create_task(server.wait_done())
        await asyncio.wait([run, done], return_when=asyncio.FIRST_COMPLETED)
        if run.done():
            run.result()  # the listener failed: raise its error
        # The server closes the connection after the last byte; EOF means we have read it all.
        links = service.links
        while not run.done() and any(link.sessions_ended < server.connections for link in links):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    finally:
        await service.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await run
