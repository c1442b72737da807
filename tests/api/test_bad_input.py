"""What the database would refuse is refused at the edge with 422, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.app import create_app
from api.live_hub import LiveHub
from api.users import create_user, issue_token
from hotline import db
from hotline.db import transaction
from hotline.models import Role
from tests.api.conftest import PASSWORD, TestClient, api_settings

FAR = "0001-01-01T00:00:00+14:00"  # converting it to UTC overflows
WINDOWED = [
    "/api/reports/kpi",
    "/api/calls",
    "/api/audit",
    "/api/incidents",
    "/api/analytics/topic-share",
    "/api/analytics/abuse",
    "/api/analytics/frequent-terms",
    "/api/analytics/topic-periods",
    "/api/reports/occupancy",
    "/api/reports/pauses",
    "/api/reports/intervals",
    "/api/reports/staffing",
]
FILTERS = [
    ("/api/calls", "pbx"),
    ("/api/calls", "queue"),
    ("/api/calls", "agent"),
    ("/api/calls", "topic"),
    ("/api/calls", "caller_number"),
    ("/api/reports/kpi", "queue"),
    ("/api/requests", "topic"),
    ("/api/requests", "caller_number"),
    ("/api/audit", "username"),
    ("/api/audit", "object_id"),
    ("/api/search", "query"),
    ("/api/search", "agent"),
]


@pytest.fixture
def admin(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    (tmp_path / "recordings").mkdir()
    settings = api_settings(engine.url.render_as_string(hide_password=False), tmp_path)
    factory = db.make_session_factory(engine)
    with transaction(factory) as session:
        create_user(session, username="admin", role=Role.ADMIN, password=PASSWORD)
        token = issue_token(session, username="admin")
    app = create_app(settings, factory, hub=LiveHub(factory, settings, interval_s=0.05))
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_a_moment_beyond_the_calendar_is_422(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = admin
    for url in [*WINDOWED, "/api/search?query=вода"]:
        for name in ("until", "since"):
            answer = client.get(url, params={name: FAR}, headers=headers)
            assert answer.status_code == 422, (url, name, answer.text)


def test_a_nul_character_is_422_in_filters_bodies_and_login(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = admin
    for url, name in FILTERS:
        params = {name: "a\x00b"} | ({"query": "вода"} if name != "query" else {})
        assert client.get(url, params=params, headers=headers).status_code == 422, (url, name)
    assert client.post("/api/login", json={"username": "adm\x00", "password": "x"}).status_code == 422
    assert client.post("/login", data={"username": "adm\x00", "password": "x"}).status_code == 422
    created = client.post("/api/requests", json={"summary": "нет\x00воды"}, headers=headers)
    assert created.status_code == 422


def test_an_unpaired_surrogate_in_json_is_422(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = admin
    body = b'{"summary": "\\ud800 no water"}'
    answer = client.post(
        "/api/requests", content=body, headers=headers | {"Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    login = b'{"username": "\\udfff", "password": "whatever1"}'
    assert (
        client.post("/api/login", content=login, headers={"Content-Type": "application/json"}).status_code
        == 422
    )


def test_ids_beyond_the_column_type_are_422(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = admin
    huge = client.post(
        "/api/requests", json={"summary": "x", "call_id": 99999999999999999999}, headers=headers
    )
    assert huge.status_code == 422
    assert (
        client.post("/api/requests", json={"summary": "x", "call_id": 2**31}, headers=headers).status_code
        == 422
    )
    for url in (
        f"/api/recordings/{2**31}/audio",
        f"/api/transcripts/{2**31}",
    ):
        assert client.get(url, headers=headers).status_code == 422, url
    assert client.post(f"/api/incidents/{2**31}/acknowledge", headers=headers).status_code == 422
    assert client.get(f"/api/transcripts/{2**31 - 1}", headers=headers).status_code == 404
