"""The wiring point of the `hotline ivr serve` process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from hotline import db
from hotline.catalogue import load_catalogue
from hotline.errors import CatalogueError, DatabaseError
from hotline.settings import Settings
from ivr.server import AgiServer

log = logging.getLogger(__name__)


async def serve_forever(settings: Settings) -> None:
    catalogue = load_catalogue(settings.agi.catalogue_path)
    engine = db.make_engine(settings.database)
    try:
        try:
            await asyncio.to_thread(db.check_reachable, engine)
        except DatabaseError as exc:
            # Callers are still routed without a database; only visit records and lookups suffer.
            log.error("starting without the database: %s", exc)
        server = AgiServer(settings, db.make_session_factory(engine), catalogue)
        await server.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        reloads: set[asyncio.Task[None]] = set()

        def reload() -> None:
            task = loop.create_task(_reload(server, settings))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        with contextlib.suppress(NotImplementedError, AttributeError):
            loop.add_signal_handler(signal.SIGHUP, reload)
        await stop.wait()
        log.info("stopping the FastAGI server")
        await server.close()
    finally:
        engine.dispose()


async def _reload(server: AgiServer, settings: Settings) -> None:
    """New calls use the new catalogue; calls in progress finish with the one they started with."""
    try:
        catalogue = await asyncio.to_thread(load_catalogue, settings.agi.catalogue_path)
    except CatalogueError as exc:
        log.error("catalogue not reloaded, keeping the previous one: %s", exc)
        return
    server.handler.catalogue = catalogue
    log.info("catalogue reloaded: %d topics", len(catalogue.topics))
