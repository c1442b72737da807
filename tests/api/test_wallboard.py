"""Wallboard: threshold alerts (pure and pushed on the stream), masked callers, the TV screen's token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.i18n import translator
from api.live_hub import LiveHub
from hotline import db
from hotline.alerts import evaluate
from hotline.errors import ConfigError
from hotline.models import Role
from hotline.privacy import Masking
from hotline.settings import Settings
from hotline.timeutil import utcnow
from hotline.wallboard_settings import Thresholds, WallboardSettings
from tests.api.conftest import RunningServer, Template, TestClient, template_copy
from tests.api.live_data import publish_view, view_with_waiting
from tests.api.test_live import _events
from tests.conftest import demo_settings

TV_TOKEN = "tv-hall-0123456789abcdef"
# Queue `other`: amber from 30 s of waiting, red from 60 s; 2 waiting is amber.
OTHER = {"longest_wait_amber_s": 30, "longest_wait_red_s": 60, "waiting_amber": 2, "waiting_red": 5}


def test_alerts_name_the_queue_metric_level_and_threshold() -> None:
    view = view_with_waiting(2).model_dump(mode="json")  # callers waiting 40 s and 12 s
    settings = WallboardSettings(thresholds_by_queue={"other": Thresholds(**OTHER, sl_min_answered=10)})
    kpis = [{"pbx": "lab", "key": "other", "service_level_pct": 50.0, "answered": 10}]
    alerts = [(a.metric, a.level, a.value, a.threshold) for a in evaluate([view], kpis, settings, utcnow())]
    assert alerts == [
        ("longest_wait", "amber", 40, 30),
        ("service_level", "red", 50.0, 60),
        ("waiting", "amber", 2, 2),
    ]
    # Later, with nobody served, the same wait is red; few answered calls never make an SL alert.
    later = evaluate([view], [{**kpis[0], "answered": 3}], settings, utcnow() + timedelta(seconds=25))
    assert [(a.metric, a.level) for a in later] == [("longest_wait", "red"), ("waiting", "amber")]
    down = {**view, "connected": False}
    assert evaluate([down], kpis, settings, utcnow()) == []


def test_the_caller_an_operator_talks_to_is_masked_too() -> None:
    view = view_with_waiting(1).model_dump(mode="json")
    view["agents"][0]["talking_to"] = "+79497260626"
    masked = Masking(active=True).record(view)
    assert masked["agents"][0]["talking_to"] == "**********26"
    assert masked["queues"][0]["waiting"][0]["caller_name"] == "Е. К."


@pytest.fixture
def board_settings(template: Template, tmp_path: Path) -> Settings:
    return demo_settings(
        template_copy(template, tmp_path),
        tmp_path,
        api={"port": 0, "cookie_secure": False},
        wallboard={"thresholds_by_queue": {"other": OTHER}, "tv_tokens": {"hall": TV_TOKEN}},
        # Views are published once, with one heartbeat, and watched for longer than the default
        # staleness limit: no listener keeps the heartbeat up here.
        ami={"stale_after_s": 600},
    )


@pytest.fixture
def board_factory(board_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(board_settings.database)
    yield db.make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def board_app(board_settings: Settings, board_factory: sessionmaker[Session]) -> FastAPI:
    return create_app(
        board_settings, board_factory, hub=LiveHub(board_factory, board_settings, interval_s=0.05)
    )


def test_a_breach_is_pushed_on_the_live_stream(
    board_settings: Settings, board_app: FastAPI, board_factory: sessionmaker[Session], template: Template
) -> None:
    admin = {"Authorization": f"Bearer {template.tokens[Role.ADMIN]}"}
    publish_view(board_factory, view_with_waiting(1))  # one caller, 40 s: amber on the wait only
    with (
        RunningServer(board_settings, board_app) as server,
        httpx.Client(base_url=server.url, timeout=5) as http,
        http.stream("GET", "/api/live/stream", headers=admin) as response,
    ):
        events = _events(response)
        kind, snapshot = next(events)
        assert kind == "snapshot"
        assert isinstance(snapshot, dict)
        assert [(a["metric"], a["level"]) for a in snapshot["alerts"]] == [("longest_wait", "amber")]
        publish_view(board_factory, view_with_waiting(2))
        alerts = next(data for kind, data in events if kind == "alerts")
    assert isinstance(alerts, list)
    assert [(a["queue"], a["metric"], a["level"]) for a in alerts] == [
        ("other", "longest_wait", "amber"),
        ("other", "waiting", "amber"),
    ]


def test_tv_screen_token_becomes_a_cookie_and_sees_callers_masked(
    board_app: FastAPI, board_factory: sessionmaker[Session]
) -> None:
    publish_view(board_factory, view_with_waiting(2))
    with TestClient(board_app) as client:
        assert client.get("/tv?token=wrong-token-0123456789").status_code == 401
        first = client.get(f"/tv?token={TV_TOKEN}", follow_redirects=False)
        assert (first.status_code, first.headers["location"]) == (303, "/tv")
        assert "HttpOnly" in first.headers["set-cookie"]
        page = client.get("/tv?lang=uk")
        assert page.status_code == 200
        assert 'class="tv"' in page.text
        assert "Очікують" in page.text
        assert 'id="logout"' not in page.text  # no controls on a wall screen
        deadline = time.monotonic() + 2
        today = client.get("/api/tv/today").json()
        assert "day_start" in today
        while time.monotonic() < deadline and not board_app.state.wiring.hub.views:
            time.sleep(0.05)
        with client.stream("GET", "/api/tv/stream") as response:
            kind, snapshot = next(_events(response))
    assert kind == "snapshot"
    assert isinstance(snapshot, dict)
    names = [c["caller_name"] for c in snapshot["views"][0]["queues"][0]["waiting"]]
    assert names == ["Е. К.", "В. С."]


def test_an_empty_or_wrong_tv_token_keeps_the_screens_cookie(board_app: FastAPI) -> None:
    with TestClient(board_app) as client:
        assert client.get(f"/tv?token={TV_TOKEN}", follow_redirects=False).status_code == 303
        for link in ("/tv?token=", "/tv?token=wrong-token-0123456789"):
            answer = client.get(link, follow_redirects=False)
            assert "set-cookie" not in answer.headers
            assert client.get("/api/tv/today").status_code == 200
        assert client.get("/tv?token=").status_code == 200  # an empty token shows the screen it has
        wrong = client.get("/tv?token=wrong-token-0123456789")
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "the TV token is not valid"})


def test_a_wrong_tv_token_is_told_apart_from_a_missing_one(board_app: FastAPI) -> None:
    html = {"Accept": "text/html"}
    with TestClient(board_app) as client:
        missing = client.get("/tv?token=", headers=html)
        wrong = client.get("/tv?token=wrong-token-0123456789&lang=en", headers=html)
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert translator("ru")("tv_token_required") in missing.text
    assert translator("en")("tv_token_rejected") in wrong.text


def test_short_tv_tokens_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="20 characters"):
        demo_settings("sqlite://", tmp_path, wallboard={"tv_tokens": {"hall": "short"}})
