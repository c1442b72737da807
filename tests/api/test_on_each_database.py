"""The main routes on SQLite and on PostgreSQL (the production database)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.app import create_app
from api.live_hub import LiveHub
from api.users import create_user, issue_token
from hotline import db
from hotline.db import transaction
from hotline.models import Role
from hotline.timeutil import utcnow
from tests.api.conftest import TestClient, api_settings
from tests.api.live_data import publish_view, view_with_waiting
from tests.api.transcripts import store_call


@pytest.fixture
def client_and_token(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], object]]:
    (tmp_path / "recordings").mkdir()
    settings = api_settings(engine.url.render_as_string(hide_password=False), tmp_path)
    factory = db.make_session_factory(engine)
    with transaction(factory) as session:
        create_user(session, username="admin", role=Role.ADMIN)
        token = issue_token(session, username="admin")
    app = create_app(settings, factory, hub=LiveHub(factory, settings, interval_s=0.05))
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {token}"}, (factory, settings)


@pytest.mark.usefixtures("midday")  # the call list, KPIs and audit default to today
def test_requests_live_search_reports_and_audit(
    client_and_token: tuple[TestClient, dict[str, str], object],
) -> None:
    client, headers, (factory, settings) = client_and_token  # type: ignore[misc]
    created = client.post(
        "/api/requests", json={"summary": "Нет отопления", "topic": "heating"}, headers=headers
    )
    assert created.status_code == 201
    number = created.json()["service_request_id"]
    assert client.get(f"/api/requests/{number}", headers=headers).json()["service_code"] == "heating"

    publish_view(factory, view_with_waiting(2))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and not client.get("/api/live", headers=headers).json()["views"]:
        time.sleep(0.05)
    assert len(client.get("/api/live", headers=headers).json()["views"][0]["queues"][0]["waiting"]) == 2

    stored = store_call(factory, settings, utcnow() - timedelta(minutes=5))
    hits = client.get("/api/search", params={"query": "контейнер"}, headers=headers).json()
    assert [hit["transcript_id"] for hit in hits["hits"]] == [stored.transcript_id]
    assert client.get(f"/api/transcripts/{stored.transcript_id}", headers=headers).status_code == 200
    assert client.get(f"/api/recordings/{stored.recording_id}/audio", headers=headers).status_code == 200

    calls = client.get("/api/calls", headers=headers).json()
    assert calls["total"] == 1
    kpi = client.get("/api/reports/kpi", params={"group_by": "agent"}, headers=headers).json()
    assert [row["key"] for row in kpi["rows"]] == ["Павел Лебедев"]
    audit = client.get("/api/audit", headers=headers).json()
    assert sorted(item["action"] for item in audit["items"]) == ["recording_play", "transcript_view"]
    assert client.get("/health").status_code == 200
