"""Fan-out: the listener publishes each view on Redis; two API processes both push the same change.

Both API processes poll the database only every 30 s here, so a view reaching their viewers within
seconds came over Redis (`hotline:live`), from the real listener replaying a real capture.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from ami_listener.replay import ReplayServer
from ami_listener.runner import replay_settings, run_until_stream_ends
from ami_listener.service import AmiService
from api.users import create_user, issue_token
from hotline import db
from hotline.db import transaction
from tests.api.live_data import stream_views
from tests.conftest import CAPTURES, REDIS_URL, _reset_postgres, demo_settings, service_missing

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _api_process(overrides: dict[str, Any]) -> None:
    from api.app import create_app
    from api.live_hub import LiveHub
    from api.server import serve
    from hotline.settings import load_settings

    settings = load_settings(None, **overrides)
    factory = db.make_session_factory(db.make_engine(settings.database))
    app = create_app(settings, factory, hub=LiveHub(factory, settings, interval_s=30.0, kpi_source=None))
    asyncio.run(serve(settings, app=app))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _first_view_with(url: str, token: str, name: str, connected: asyncio.Event) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=url, timeout=30) as http,
        http.stream("GET", "/api/live/stream", headers=headers) as response,
    ):
        async for _kind, view in stream_views(response):
            if view is None:
                connected.set()
            elif any(c["caller_name"] == name for q in view["queues"] for c in q["waiting"]):
                return view
    raise AssertionError("stream ended")


async def _wait_up(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                await http.get(url + "/health")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise AssertionError(f"{url} did not start")


async def test_two_api_processes_push_the_same_change_over_redis(
    postgres_server_url: str, tmp_path: Path
) -> None:
    from redis.asyncio import Redis

    probe = Redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except OSError as exc:
        service_missing("Redis", f"{REDIS_URL}: {exc}")
    finally:
        await probe.aclose()
    _reset_postgres(postgres_server_url)
    settings = demo_settings(postgres_server_url, tmp_path, api={"redis_url": REDIS_URL})
    engine = db.make_engine(settings.database)
    db.upgrade(engine)
    factory = db.make_session_factory(engine)
    with transaction(factory) as session:
        create_user(session, username="boss", role="admin")
        token = issue_token(session, username="boss")
    context = multiprocessing.get_context("spawn")
    ports = [_free_port(), _free_port()]
    apis = [
        context.Process(
            target=_api_process,
            args=({**settings.model_dump(mode="json", exclude={"wallboard"}), "api": {
                "port": port, "redis_url": REDIS_URL, "cookie_secure": False}},),
            daemon=True,
        )
        for port in ports
    ]  # fmt: skip
    for process in apis:
        process.start()
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        await asyncio.gather(*(_wait_up(url) for url in urls))
        connected = [asyncio.Event(), asyncio.Event()]
        watchers = [
            asyncio.create_task(_first_view_with(url, token, "Елена Козлова", ready))
            for url, ready in zip(urls, connected, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in connected)), 20)
        await asyncio.sleep(0.5)  # both hubs subscribed to the channel
        replay = ReplayServer(CAPTURES / "abandon" / "abandon.ami", speed=10.0)
        port = await replay.start()
        service = AmiService(replay_settings(settings, "lab", port), factory)
        listening = asyncio.create_task(run_until_stream_ends(service, replay))
        first, second = await asyncio.wait_for(asyncio.gather(*watchers), 20)
        await listening
        await replay.close()
    finally:
        for process in apis:
            process.terminate()
            process.join(10)
        engine.dispose()
    assert first == second  # the same change, pushed by each process
    assert service.store.publisher is not None
