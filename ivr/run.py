"""The wiring point of the `hotline ivr serve` process."""

from __future__ import annotations

import asyncio
import logging
import signal

from hotline import db
from hotline.catalogue import load_catalogue
from hotline.errors import CatalogueError, DatabaseError
from hotline.lifecycle import Lifecycle
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
        async with Lifecycle("ivr") as life:
            life.on_shutdown(server.close)

            def reload() -> None:
                life.spawn(_reload(server, settings), name="catalogue-reload", ends_process=False)

            life.add_signal(signal.SIGHUP, reload)
            await life.wait()
            log.info("stopping the FastAGI server")
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
