"""The live hub alone: Redis wakes it at once; a database outage is survived and reported; a viewer that
falls behind gets the latest state, not a backlog, and holds no one else up."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.csvout import csv_response
from api.live_hub import REDIS_CHANNEL, SUBSCRIBER_BACKLOG, LiveHub
from hotline import db
from hotline.live import LiveView
from hotline.privacy import Masking
from hotline.settings import DatabaseSettings, Settings
from tests.api.live_data import follow, publish_view, view_with_waiting
from tests.conftest import REDIS_URL, service_missing


@pytest.mark.redis
async def test_a_redis_message_wakes_the_hub_long_before_its_poll(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as exc:
        await client.aclose()
        service_missing("Redis", f"{REDIS_URL}: {exc}")
    with_redis = settings.model_copy(update={"api": settings.api.model_copy(update={"redis_url": REDIS_URL})})
    hub = LiveHub(factory, with_redis, interval_s=30.0, kpi_source=None)
    await hub.start()
    try:
        await asyncio.sleep(0.3)  # subscribed
        queue = hub.subscribe()
        await asyncio.to_thread(publish_view, factory, view_with_waiting(2))
        await client.publish(REDIS_CHANNEL, "lab")
        # The poll is 30 s away: only the message can bring the view within the wait.
        message = await asyncio.wait_for(queue.get(), 2.0)
        assert message.startswith(b"event: view\n")
        assert "Владимир Соколов" in message.decode()
    finally:
        await hub.stop()
        await client.aclose()


async def test_on_sqlite_a_view_committed_elsewhere_wakes_the_hub_without_its_poll(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    # The hub would not poll for 30 s: only the commits (another connection, as the listener's) wake it.
    hub = LiveHub(factory, settings, interval_s=30.0, kpi_source=None)
    await hub.start()
    try:
        queue = hub.subscribe()
        received: list[tuple[str, Any]] = [("snapshot", hub.snapshot())]
        for waiting in (2, 1):  # two callers wait, then one of them is served
            await asyncio.to_thread(publish_view, factory, view_with_waiting(waiting))
            received.append(_event(await asyncio.wait_for(queue.get(), 20.0)))
    finally:
        await hub.stop()
    first, second = follow(received)
    assert [c["caller_name"] for c in first["queues"][0]["waiting"]] == ["Елена Козлова", "Владимир Соколов"]
    assert [c["caller_name"] for c in second["queues"][0]["waiting"]] == ["Елена Козлова"]


def _event(message: bytes) -> tuple[str, Any]:
    fields = dict(line.split(": ", 1) for line in message.decode().splitlines() if ": " in line)
    return fields["event"], json.loads(fields["data"])


async def test_an_api_started_before_the_schema_exists_recovers_once_migrated(
    settings: Settings, tmp_path: Path
) -> None:
    engine = db.make_engine(DatabaseSettings(url=f"sqlite:///{tmp_path / 'fresh.db'}"))
    factory = db.make_session_factory(engine)
    hub = LiveHub(factory, settings, interval_s=0.05, kpi_source=None)
    assert await hub.poll_once() is False
    assert await hub.poll_once() is False
    assert hub.failing == 2
    await asyncio.to_thread(db.upgrade, engine)
    publish_view(factory, view_with_waiting(1))
    assert await hub.poll_once() is True
    assert hub.failing == 0
    assert hub.snapshot()["views"][0]["queues"][0]["name"] == "other"
    engine.dispose()


def _events(queue: asyncio.Queue[bytes]) -> list[tuple[str, Any]]:
    out = []
    while not queue.empty():
        for block in queue.get_nowait().decode().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "event" in fields:
                out.append((fields["event"], json.loads(fields["data"])))
    return out


async def _hub_showing(
    base: LiveView, settings: Settings, factory: sessionmaker[Session]
) -> tuple[LiveHub, LiveView]:
    """A hub that has polled `base` (a second older, so the pushed changes after it are newer)."""
    hub = LiveHub(factory, settings, kpi_source=None)
    # A live PBX (fresh heartbeat), as the hub's poll sees it; a stale one would show no numbers.
    publish_view(factory, base.model_copy(update={"at": base.at - timedelta(seconds=1)}))
    await hub.poll_once()
    return hub, base


async def test_a_viewer_that_falls_behind_gets_the_latest_state_not_a_backlog(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    hub, base = await _hub_showing(view_with_waiting(2), settings, factory)
    slow, reading = hub.subscribe(), hub.subscribe()
    changes = SUBSCRIBER_BACKLOG * 3
    received: list[tuple[str, Any]] = [("snapshot", hub.snapshot())]  # as the stream starts a viewer
    for step in range(changes):
        view = base.model_copy(update={"at": base.at + timedelta(seconds=step)})
        view.queues[0].waiting[0].position = step + 1  # each change differs from the last
        hub.apply_pushed(json.dumps({"view": view.model_dump(mode="json")}))
        received.extend(_events(reading))  # this viewer keeps up
    latest = hub.views[base.pbx]
    assert latest["queues"][0]["waiting"][0]["position"] == changes
    # The reader saw every change in order; the slow one holds a bounded queue ending in the latest state.
    assert [kind for kind, _ in received].count("patch") + [kind for kind, _ in received].count(
        "view"
    ) == changes
    assert list(follow(received))[-1] == latest
    assert slow.qsize() <= SUBSCRIBER_BACKLOG
    behind = _events(slow)
    assert behind[0][0] == "snapshot"
    assert len(behind) < changes
    assert list(follow(behind))[-1] == latest


async def test_views_that_queued_up_on_redis_are_pushed_as_the_newest_only(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    hub, base = await _hub_showing(view_with_waiting(2), settings, factory)
    viewer = hub.subscribe()
    received: list[tuple[str, Any]] = [("snapshot", hub.snapshot())]
    queued = []
    for step in (1, 3, 2):  # as they arrive (the listener's order is by `at`)
        view = base.model_copy(update={"at": base.at + timedelta(seconds=step)})
        view.queues[0].waiting[0].position = step
        queued.append(json.dumps({"pbx": "lab", "view": view.model_dump(mode="json")}))
    hub.apply_pushed(*queued)
    received.extend(_events(viewer))
    shown = list(follow(received))
    assert len(shown) == 1  # one change pushed, not three
    assert shown[0]["queues"][0]["waiting"][0]["position"] == 3
    assert shown[0] == hub.views["lab"]


async def test_a_masked_viewer_follows_every_change_with_callers_masked(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    hub, base = await _hub_showing(view_with_waiting(1), settings, factory)
    masked, plain = hub.subscribe(masked=True), hub.subscribe()
    received: list[tuple[str, Any]] = [("snapshot", hub.snapshot(masked=True))]
    steps = [
        view_with_waiting(2),  # a second caller joins: a new item in a keyed list
        view_with_waiting(2),  # the first caller's number and name change (a patch of an item)
        view_with_waiting(1),  # the second caller leaves
    ]
    steps[1].queues[0].waiting[0].caller_number = "+79161234567"
    steps[1].queues[0].waiting[0].caller_name = "Анна Петрова"
    steps[2].agents[0].talking_to = "89299917908"  # and the operator now talks to them
    for step, view in enumerate(steps, start=1):
        hub.apply_pushed(
            json.dumps(
                {
                    "view": view.model_copy(update={"at": base.at + timedelta(seconds=step)}).model_dump(
                        mode="json"
                    )
                }
            )
        )
        received.extend(_events(masked))
        shown = list(follow(received))[-1]
        # What the masked viewer holds is the masked view, change by change, and the plain viewer's
        # stream carries the numbers in clear.
        assert shown == Masking(active=True).record(hub.views["lab"])
    text = json.dumps(received, ensure_ascii=False)
    for secret in ("+79497260626", "89299917908", "+79161234567", "Елена Козлова", "Анна Петрова"):
        assert secret not in text
    assert "+79161234567" in b"".join(plain.get_nowait() for _ in range(plain.qsize())).decode()
    assert [kind for kind, _ in received[1:]] == ["patch", "patch", "patch"]


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    response = csv_response([{"caller_name": '=HYPERLINK("http://x")', "note": "-1+2", "n": 5}], "x.csv")
    text = bytes(response.body).decode("utf-8-sig")
    assert text.splitlines()[1] == '"\'=HYPERLINK(""http://x"")",\'-1+2,5'
