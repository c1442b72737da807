"""Health per dependency; KPI reports match `hotline.kpi`; call history filters, pages and exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from hotline.db import transaction
from hotline.kpi import compute_kpis
from hotline.models import Call, CallOutcome, Pbx, Role
from hotline.reports import CALL_COLUMNS
from hotline.settings import Settings
from hotline.timeutil import utcnow
from tests.api.conftest import TestClient, Users, api_settings


def test_health_is_503_while_a_configured_pbx_is_down(
    settings: Settings, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    settings = api_settings(settings.database.url, tmp_path, ami={"pbxes": [{"name": "lab"}]})
    with TestClient(create_app(settings, factory)) as client:
        down = client.get("/health")
        assert down.status_code == 503
        assert down.json()["checks"]["ami"]["lab"]["error"] == "never connected"
        with transaction(factory) as session:
            session.add(Pbx(name="lab", connected=True, last_event_at=utcnow(), heartbeat_at=utcnow()))
        up = client.get("/health")
        assert up.status_code == 200
        assert up.json()["checks"]["database"]["ok"] is True


def _calls(factory: sessionmaker[Session]) -> datetime:
    base = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    rows = [
        ("other", CallOutcome.ANSWERED, 10.0, 60.0, "Павел Лебедев"),
        ("other", CallOutcome.ABANDONED, 40.0, None, None),
        ("passes", CallOutcome.ANSWERED, 25.0, 30.0, "Анна Смирнова"),
    ]
    with transaction(factory) as session:
        for index, (queue, outcome, wait, talk, agent) in enumerate(rows):
            started = base + timedelta(minutes=index)
            session.add(
                Call(
                    pbx="lab",
                    linkedid=f"1795316951.{index}",
                    caller_number=f"+7949726062{index}",
                    started_at=started,
                    queue=queue,
                    queue_entered_at=started + timedelta(seconds=5),
                    outcome=outcome,
                    wait_s=wait,
                    talk_s=talk,
                    agent=agent,
                )
            )
    return base


def test_kpi_report_is_the_shared_implementation_and_exports_csv(
    client: TestClient, users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    base = _calls(factory)
    since, until = base - timedelta(hours=1), base + timedelta(hours=1)
    params = {"group_by": "queue", "since": since.isoformat(), "until": until.isoformat()}
    answer = client.get("/api/reports/kpi", params=params, headers=users.bearer(Role.ANALYST)).json()
    with factory() as session:
        expected = [
            row.as_dict()
            for row in compute_kpis(session, group_by="queue", since=since, until=until, settings=settings)
        ]
    assert answer["rows"] == expected
    other = next(row for row in answer["rows"] if row["key"] == "other")
    assert (other["offered"], other["answered"], other["abandoned"]) == (2, 1, 1)
    exported = client.get(
        "/api/reports/kpi", params=params | {"format": "csv"}, headers=users.bearer(Role.ANALYST)
    )
    lines = exported.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("key,pbx,offered,answered")
    assert len(lines) == 3


def test_call_history_filters_pages_and_exports(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    base = _calls(factory)
    window = {"since": (base - timedelta(hours=1)).isoformat(), "until": utcnow().isoformat()}
    headers = users.bearer(Role.SUPERVISOR)
    page = client.get("/api/calls", params=window | {"limit": 2}, headers=headers).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    assert page["items"][0]["queue"] == "passes"  # newest first
    second = client.get("/api/calls", params=window | {"limit": 2, "offset": 2}, headers=headers).json()
    assert [item["outcome"] for item in second["items"]] == ["answered"]
    abandoned = client.get("/api/calls", params=window | {"outcome": "abandoned"}, headers=headers).json()
    assert abandoned["total"] == 1
    assert abandoned["items"][0]["wait_s"] == 40.0
    csv = client.get("/api/calls", params=window | {"format": "csv", "queue": "other"}, headers=headers)
    assert len(csv.text.strip().splitlines()) == 3
    assert csv.text.lstrip("\ufeff").splitlines()[0].split(",") == list(CALL_COLUMNS)  # as `report calls`
    assert list(page["items"][0]) == list(CALL_COLUMNS)


def test_filter_text_is_never_sql(client: TestClient, users: Users, factory: sessionmaker[Session]) -> None:
    base = _calls(factory)
    window = {"since": (base - timedelta(hours=1)).isoformat(), "until": utcnow().isoformat()}
    for hostile in ("' OR '1'='1", "x'; DROP TABLE call; --", "%", "other' --"):
        for field in ("queue", "caller_number", "agent"):
            answer = client.get(
                "/api/calls", params=window | {field: hostile}, headers=users.bearer(Role.ADMIN)
            )
            assert answer.status_code == 200, (field, hostile)
            assert answer.json()["total"] == 0, (field, hostile)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 3


def test_bad_windows_are_422_not_500(client: TestClient, users: Users) -> None:
    headers = users.bearer(Role.ADMIN)
    now = datetime.now(UTC)
    backwards = {"since": now.isoformat(), "until": (now - timedelta(days=1)).isoformat()}
    assert client.get("/api/calls", params=backwards, headers=headers).status_code == 422
    huge = {"since": "0001-01-01T00:00:00", "until": now.isoformat()}
    assert client.get("/api/reports/kpi", params=huge, headers=headers).status_code == 422
    for far in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):  # no `since`: local midnight
        assert client.get("/api/calls", params={"until": far}, headers=headers).status_code == 422
