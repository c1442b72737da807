"""The live view is never a frozen picture: it is there as soon as the listener connects to a quiet
PBX (quiet_start capture), and it says "not live since ..." once the listener is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.replay import ReplayServer
from ami_listener.runner import replay_settings
from ami_listener.service import AmiService
from hotline.models import Role
from hotline.settings import Settings
from hotline.timeutil import utcnow
from tests.ami.frames import Frames, field, live_path
from tests.api.conftest import RunningServer, Template, Users, api_settings, template_copy

QUIET = live_path("quiet_start")
STALE_AFTER_S = 3.0
HEARTBEAT_S = 0.2


@pytest.fixture
def settings(template: Template, tmp_path: Path) -> Settings:
    return api_settings(
        template_copy(template, tmp_path),
        tmp_path,
        ami={"pbxes": [{"name": "lab"}], "stale_after_s": STALE_AFTER_S, "heartbeat_s": HEARTBEAT_S},
    )


async def _until(probe: Callable[[], Awaitable[tuple[bool, Any]]], limit_s: float, what: str) -> Any:
    deadline = time.monotonic() + limit_s
    seen = None
    while time.monotonic() < deadline:
        found, seen = await probe()
        if found:
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not seen within {limit_s} s; last seen: {seen}")


def _members_in_capture() -> set[tuple[str, str, bool, str | None]]:
    """(queue, name, paused, reason) of every QueueMember item Asterisk answered QueueStatus with."""
    return {
        (
            field(m, "Queue") or "",
            field(m, "Name") or "",
            field(m, "Paused") == "1",
            field(m, "PausedReason") or None,
        )
        for m in Frames(QUIET).all("QueueMember")
    }


async def test_a_quiet_pbx_shows_its_queues_and_members_before_any_event(
    server: RunningServer, users: Users, settings: Settings, factory: sessionmaker[Session]
) -> None:
    replay = ReplayServer(QUIET, speed=1.0)
    port = await replay.start()
    service = AmiService(replay_settings(settings, "lab", port), factory)
    run = asyncio.create_task(service.run())
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=users.bearer(Role.SUPERVISOR)) as api:

            async def shown() -> tuple[bool, list[dict[str, Any]]]:
                views: list[dict[str, Any]] = (await api.get("/api/live")).json()["views"]
                return bool(views and views[0]["queues"]), views

            (view,) = await _until(shown, 5.0, "a live view with queues")
            print(f"queues and members on /api/live {time.monotonic() - started:.2f} s after the start")
    finally:
        await service.stop()
        await run
        await replay.close()
    assert view["live"] is True
    assert {q["name"] for q in view["queues"]} == {"passes", "utilities", "other"}
    members = {
        (queue["name"], m["name"], m["paused"], m["pause_reason"])
        for queue in view["queues"]
        for m in queue["members"]
    }
    # Exactly what QueueStatus said: Оператор 104 (dynamic, not paused) is still there, so the view
    # was published before the capture's first live event (its removal, 7 s in).
    assert members == _members_in_capture()
    assert ("other", "Оператор 104", False, None) in members
    assert ("passes", "Оператор 101", True, "Обед") in members
    reasons = {a["name"]: a["pause_reason"] for a in view["agents"] if a["state"] == "paused"}
    assert reasons == {"Оператор 101": "Обед", "Оператор 103": "Обучение"}


def _listener_env(settings: Settings, tmp_path: Path, port: int) -> dict[str, str]:
    config = tmp_path / "listener.toml"
    config.write_text(
        f"""demo = true
[database]
url = "{settings.database.url}"
[recordings]
dir = "{tmp_path / "recordings"}"
[ami]
heartbeat_s = {HEARTBEAT_S}
[[ami.pbxes]]
name = "lab"
port = {port}
secret = "hotline"
""",
        encoding="utf-8",
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    return {**clean, "HOTLINE_CONFIG": str(config)}


@pytest.mark.slow
async def test_killed_listener_makes_health_503_and_the_live_view_not_live(
    server: RunningServer, users: Users, settings: Settings, tmp_path: Path
) -> None:
    replay = ReplayServer(QUIET, speed=1.0)
    port = await replay.start()
    listener = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hotline_app.cli",
        "ami",
        "listen",
        env=_listener_env(settings, tmp_path, port),
        cwd=tmp_path,
    )
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=users.bearer(Role.SUPERVISOR)) as api:

            async def healthy() -> tuple[bool, Any]:
                response = await api.get("/health")
                return response.status_code == 200, response.json()

            async def live_view() -> tuple[bool, Any]:
                views = (await api.get("/api/live")).json()["views"]
                return bool(views and views[0]["live"] and views[0]["queues"]), views

            await _until(healthy, 30.0, "a healthy listener")
            await _until(live_view, 10.0, "the live view")
            listener.send_signal(signal.SIGKILL)
            await asyncio.wait_for(listener.wait(), 10)
            killed_at = utcnow()

            async def unhealthy() -> tuple[bool, Any]:
                response = await api.get("/health")
                return response.status_code == 503, response.json()

            async def not_live() -> tuple[bool, Any]:
                views = (await api.get("/api/live")).json()["views"]
                return bool(views and not views[0]["live"]), views[0] if views else None

            health = await _until(unhealthy, STALE_AFTER_S + 5, "503 from /health")
            view = await _until(not_live, 2.0, "the not-live view")
            metrics = (await api.get("/metrics")).text
    finally:
        if listener.returncode is None:
            listener.kill()
            await asyncio.wait_for(listener.wait(), 10)
        await replay.close()
    lab = health["checks"]["ami"]["lab"]
    assert lab["ok"] is False
    assert lab["error"] == "listener silent"
    assert lab["connected"] is True  # what the dead listener last wrote: not to be believed
    # The idle listener kept its heartbeat up to its death, so the 503 came within the limit of it.
    last_heartbeat = datetime.fromisoformat(lab["not_live_since"])
    assert killed_at - timedelta(seconds=HEARTBEAT_S + 2.0) <= last_heartbeat <= killed_at
    assert datetime.fromisoformat(view["not_live_since"]) == last_heartbeat
    assert view["not_live_reason"] == "listener silent"
    assert (view["queues"], view["agents"], view["calls"]) == ([], [], [])
    assert 'hotline_ami_live{pbx="lab"} 0.0' in metrics
    assert 'hotline_ami_state_errors_total{pbx="lab"} 0.0' in metrics  # counted apart, and none
    assert lab["state_errors_total"] == 0
