"""Run the API with uvicorn inside the current event loop (the demo runs it next to the listener)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from hotline.lifecycle import Lifecycle
from hotline.settings import Settings, load_settings

log = logging.getLogger(__name__)


def uvicorn_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.api.host,
        port=settings.api.port,
        log_config=None,  # hotline.logs configures logging once per process
        access_log=False,
        # X-Forwarded-For names the client only when the peer is one of these proxies (none by default).
        proxy_headers=bool(settings.api.trusted_proxies),
        forwarded_allow_ips=settings.api.trusted_proxies or None,
        lifespan="on",
        # Push streams never end on their own; viewers reconnect (SSE retry) to whichever process is up.
        timeout_graceful_shutdown=3,
    )


async def serve(
    settings: Settings,
    *,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
    app: FastAPI | None = None,
) -> None:
    """Serve until `stop` is set (or cancelled). With port 0 the bound port is in `server.servers`."""
    app = app or create_app(settings)
    config = uvicorn_config(app, settings)
    # With a `stop` event the caller owns the process's signals (the demo runs several services).
    server = _QuietServer(config) if stop is not None else uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                await task  # raises the start-up error
                return
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1] if server.servers else settings.api.port
        app.state.bound_port = port  # the demo and tests read the port actually bound
        log.info("api listening", extra={"host": settings.api.host, "port": port})
        if ready is not None:
            ready.set()
        if stop is None:
            await task
        else:
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def serve_process(settings: Settings) -> None:
    """`hotline api` with one worker: the process lifecycle owns the signals, uvicorn drains its requests."""
    async with Lifecycle("api") as life:
        life.spawn(serve(settings, stop=life.stop), name="api")
        await life.wait()


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` with several workers: each worker reads settings itself."""
    return create_app(load_settings())
