"""The real AMI listener replays a real capture; the API's push stream shows the queue change."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.replay import ReplayServer
from ami_listener.runner import replay_settings, run_until_stream_ends
from ami_listener.service import AmiService
from hotline.models import Role
from hotline.settings import Settings
from tests.api.conftest import RunningServer, Users
from tests.api.live_data import stream_views
from tests.conftest import CAPTURES


async def _collect(
    url: str, headers: dict[str, str], views: list[dict[str, Any]], ready: asyncio.Event
) -> None:
    async with (
        httpx.AsyncClient(base_url=url, timeout=None) as client,
        client.stream("GET", "/api/live/stream", headers=headers) as response,
    ):
        async for _kind, view in stream_views(response):
            if view is None:
                ready.set()
            else:
                views.append(view)


@pytest.mark.slow
async def test_replayed_abandon_capture_reaches_the_wallboard_stream(
    server: RunningServer, users: Users, settings: Settings, factory: sessionmaker[Session]
) -> None:
    views: list[dict[str, Any]] = []
    ready = asyncio.Event()
    # An admin sees callers in clear (supervisors through the masking policy), to compare with the capture.
    watcher = asyncio.create_task(_collect(server.url, users.bearer(Role.ADMIN), views, ready))
    await asyncio.wait_for(ready.wait(), 10)
    replay = ReplayServer(CAPTURES / "abandon" / "abandon.ami", speed=10.0)
    port = await replay.start()
    service = AmiService(replay_settings(settings, "lab", port), factory)
    try:
        await asyncio.wait_for(run_until_stream_ends(service, replay), 60)
        await asyncio.sleep(0.5)  # the hub's next poll
    finally:
        await replay.close()
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)

    waiting_seen = {
        caller["caller_name"]
        for view in views
        for queue in view["queues"]
        if queue["name"] == "other"
        for caller in queue["waiting"]
    }
    # Both callers of the capture waited in queue `other` and hung up (abandoned).
    assert waiting_seen == {"Елена Козлова", "Владимир Соколов"}
    last = views[-1]
    assert last["pbx"] == "lab"
    assert all(not queue["waiting"] for queue in last["queues"])
