"""Live: the snapshot and the push stream follow published views within a second."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import httpx
from sqlalchemy.orm import Session, sessionmaker

from hotline.models import Role
from tests.api.conftest import RunningServer, TestClient, Users
from tests.api.live_data import follow, publish_view, view_with_waiting


def _events(response: httpx.Response) -> Iterator[tuple[str, dict[str, object] | list[object]]]:
    event = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            yield event, json.loads(line[6:])


def test_snapshot_follows_a_published_view_within_a_second(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    empty = client.get("/api/live", headers=users.bearer(Role.SUPERVISOR)).json()
    assert empty["views"] == []
    publish_view(factory, view_with_waiting(2, paused=True))
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        views = client.get("/api/live", headers=users.bearer(Role.SUPERVISOR)).json()["views"]
        if views:
            break
        time.sleep(0.05)
    (view,) = views
    queue = view["queues"][0]
    assert queue["name"] == "other"
    # Supervisors see callers through the masking policy (hotline.privacy): initials, last two digits.
    assert [c["caller_name"] for c in queue["waiting"]] == ["Е. К.", "В. С."]
    assert [c["caller_number"] for c in queue["waiting"]] == ["**********26", "*********08"]
    assert view["agents"][0]["state"] == "paused"
    assert view["agents"][0]["pause_reason"] == "обед"


def test_push_stream_sends_the_snapshot_then_each_change(
    server: RunningServer, users: Users, factory: sessionmaker[Session]
) -> None:
    publish_view(factory, view_with_waiting(1))
    time.sleep(0.2)
    headers = users.bearer(Role.SUPERVISOR)
    with (
        httpx.Client(base_url=server.url, timeout=5) as http,
        http.stream("GET", "/api/live/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response)
        kind, snapshot = next(events)
        assert kind == "snapshot"
        assert isinstance(snapshot, dict)
        assert len(snapshot["views"][0]["queues"][0]["waiting"]) == 1  # type: ignore[index]
        publish_view(factory, view_with_waiting(2))
        data = next(follow(itertools.chain([(kind, snapshot)], events)))  # a whole view, or a patch of it
    assert isinstance(data, dict)
    assert len(data["queues"][0]["waiting"]) == 2  # type: ignore[index]
    assert [c["caller_name"] for c in data["queues"][0]["waiting"]] == ["Е. К.", "В. С."]  # type: ignore[index]


def test_a_closed_stream_stops_receiving_at_once(
    server: RunningServer, users: Users, factory: sessionmaker[Session]
) -> None:
    hub = server.app.state.wiring.hub
    publish_view(factory, view_with_waiting(1))
    with (
        httpx.Client(base_url=server.url, timeout=5) as http,
        http.stream("GET", "/api/live/stream", headers=users.bearer(Role.SUPERVISOR)) as response,
    ):
        events = _events(response)  # (kept: a dropped generator would close the stream)
        assert next(events)[0] == "snapshot"
        assert hub.viewers == 1
    # The browser went away: the hub no longer writes to it (nothing is sent until the next change).
    deadline = time.monotonic() + 5
    while hub.viewers and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hub.viewers == 0


def test_metrics_show_waiting_callers_per_queue(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    publish_view(factory, view_with_waiting(2))
    deadline = time.monotonic() + 2
    text = ""
    while time.monotonic() < deadline and 'queue="other"' not in text:
        text = client.get("/metrics", headers=users.bearer(Role.ADMIN)).text
        time.sleep(0.05)
    assert 'hotline_queue_callers_waiting{pbx="lab",queue="other"} 2.0' in text
    assert "hotline_transcription_jobs" in text


def test_wallboard_page_is_self_contained(client: TestClient, users: Users) -> None:
    page = client.get("/wallboard?lang=en", headers=users.bearer(Role.SUPERVISOR))
    assert page.status_code == 200
    assert "Wallboard" in page.text
    assert "/static/vendor/chart.umd.min.js" in page.text
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")  # nothing from a CDN
    chart = client.get("/static/vendor/chart.umd.min.js")
    assert chart.status_code == 200
    assert "Chart.js v4" in chart.text[:300]
