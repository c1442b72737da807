"""Requests reach the competent department, its users work them, late ones escalate, digests are mailed."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hotline import citizen, digest, privacy, routing
from hotline.db import transaction
from hotline.models import AuditLog, Role
from hotline.settings import Settings, TranscriptionSettings
from hotline_app.cli import app as cli_app
from tests.api.conftest import TestClient, Users, api_settings

DEPARTMENTS = {"water_utility": "dw", "power_grid": "dp"}  # department -> its worker's user name


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free local port."""
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd's Controller needs a fixed port to check it is up
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def cli(settings: Settings, *args: str) -> str:
    env = {"HOTLINE_DATABASE__URL": settings.database.url, "HOTLINE_DEMO": "true"}
    result = CliRunner().invoke(cli_app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def departments(settings: Settings, users: Users) -> dict[str, str]:
    """Two departments set up the way an admin does it: with the CLI, each with a head and a worker."""
    for name, worker in DEPARTMENTS.items():
        cli(settings, "departments", "add", name, "--head", "supervisor", "--email", f"{name}@city.example")
        out = cli(settings, "users", "add", worker, "--role", "department", "--department", name)
        assert f"in department {name}" in out
    with transaction(sessionmaker_for(settings)) as session:
        from api.users import issue_token

        return {worker: issue_token(session, username=worker) for worker in DEPARTMENTS.values()}


def sessionmaker_for(settings: Settings) -> sessionmaker[Session]:
    from hotline.db import make_engine, make_session_factory

    return make_session_factory(make_engine(settings.database))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _register(client: TestClient, users: Users, topic: str, **extra: str) -> dict[str, Any]:
    body = {"summary": "Нет воды в доме 5", "caller_number": "+79161234567", "topic": topic, **extra}
    answer = client.post("/api/requests", json=body, headers=users.bearer(Role.SUPERVISOR))
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_departments_are_listed_with_head_and_members(
    client: TestClient, users: Users, departments: dict[str, str]
) -> None:
    listed = client.get("/api/departments", headers=users.bearer(Role.SUPERVISOR)).json()
    by_name = {item["name"]: item for item in listed["items"]}
    assert by_name["water_utility"]["head"] == "supervisor"
    assert by_name["water_utility"]["members"] == ["dw"]
    assert by_name["power_grid"]["members"] == ["dp"]


def test_a_request_goes_to_its_topics_department_and_only_that_department_works_it(
    client: TestClient,
    users: Users,
    departments: dict[str, str],
    factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    water = _register(client, users, "water")["service_request_id"]
    power = _register(client, users, "electricity")["service_request_id"]
    shown = client.get(f"/api/requests/{water}", headers=users.bearer(Role.ADMIN)).json()
    assert shown["department"] == "water_utility"
    assert shown["history"][0]["note"] == "assigned to water_utility"

    queue = client.get("/api/department/requests", headers=_bearer(departments["dw"])).json()
    assert queue["department"] == "water_utility"
    assert [item["service_request_id"] for item in queue["items"]] == [water]
    # The one masking policy (hotline.privacy) decides; by default departments see numbers masked.
    policy = privacy.masking_for(settings, Role.DEPARTMENT)
    assert queue["items"][0]["caller_number"] == policy.number("+79161234567")
    assert privacy.masks(settings.model_copy(update={"transcription": TranscriptionSettings()}), "department")
    # The other department's request does not exist for this user.
    for step, body in (("take", {}), ("answer", {"text": "x"}), ("close", {})):
        answer = client.post(f"/api/requests/{power}/{step}", json=body, headers=_bearer(departments["dw"]))
        assert answer.status_code == 404

    taken = client.post(f"/api/requests/{water}/take", json={}, headers=_bearer(departments["dw"])).json()
    assert (taken["detailed_status"], taken["assignee"]) == ("in_progress", "dw")
    text = "Подача воды восстановлена 3 декабря в 14:00."
    answered = client.post(
        f"/api/requests/{water}/answer", json={"text": text}, headers=_bearer(departments["dw"])
    ).json()
    assert (answered["detailed_status"], answered["answer_text"]) == ("answered", text)
    closed = client.post(f"/api/requests/{water}/close", json={}, headers=_bearer(departments["dw"])).json()
    assert closed["detailed_status"] == "closed"
    assert [change["status"] for change in closed["history"]] == [
        "registered", "in_progress", "answered", "closed",
    ]  # fmt: skip
    with factory() as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.object_id == water).order_by(AuditLog.id)
        ).all()
    assert actions == ["request.take", "request.answer", "request.close"]


def test_reassignment_needs_a_reason_and_moves_the_request(
    client: TestClient, users: Users, departments: dict[str, str]
) -> None:
    number = _register(client, users, "water")["service_request_id"]
    url = f"/api/requests/{number}/reassign"
    admin = users.bearer(Role.ADMIN)  # sees notes unmasked (hotline.privacy)
    no_reason = client.post(url, json={"department": "power_grid", "reason": " "}, headers=admin)
    assert no_reason.status_code == 409
    moved = client.post(
        url,
        json={"department": "power_grid", "reason": "авария на подстанции"},
        headers=admin,
    ).json()
    assert moved["department"] == "power_grid"
    assert moved["history"][-1]["note"] == "reassigned to power_grid: авария на подстанции"
    assert client.post(url, json={}, headers=_bearer(departments["dw"])).status_code == 403
    mine = client.get("/api/department/requests", headers=_bearer(departments["dp"])).json()
    assert [item["service_request_id"] for item in mine["items"]] == [number]


def test_answer_dates_count_calendar_or_working_days(settings: Settings, tmp_path: Path) -> None:
    start = date(2026, 12, 25)  # a Friday; the catalogue's holidays include 2026-12-31 and 2027-01-01
    assert routing.due_date(settings, start, 5) == date(2026, 12, 30)
    working = api_settings(settings.database.url, tmp_path)
    working = working.model_copy(
        update={"routing": working.routing.model_copy(update={"answer_days_count": "working"})}
    )
    # Mon 28, Tue 29, Wed 30; Dec 31 and Jan 1-8 are holidays or a weekend; Mon 11, Tue 12.
    assert routing.due_date(working, start, 5) == date(2027, 1, 12)


@pytest.mark.usefixtures("midday")  # the days counted must not change at local midnight
def test_overdue_requests_escalate_to_the_head_and_the_digest_arrives_by_mail(
    client: TestClient,
    users: Users,
    departments: dict[str, str],
    settings: Settings,
    factory: sessionmaker[Session],
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    mail = settings.routing.mail.model_copy(update={"host": "127.0.0.1", "port": port})
    long_ago = datetime.now(UTC) - timedelta(days=20)
    with transaction(factory) as session:
        late = citizen.register_request(session, settings, summary="late", topic="water", now=long_ago)
        fresh = citizen.register_request(session, settings, summary="fresh", topic="water")
    today = routing.local_today(settings)
    with transaction(factory) as session:
        escalated = digest.escalate_overdue(session, mail, today=today)
        again = digest.escalate_overdue(session, mail, today=today)
    assert [row.number for row in escalated] == [late.number]
    assert again == []  # once per request
    shown = client.get(f"/api/requests/{late.number}", headers=users.bearer(Role.SUPERVISOR)).json()
    assert shown["history"][-1]["note"].endswith("escalated to supervisor")
    assert shown["escalated_datetime"] is not None
    with factory() as session:
        results = digest.send_digests(session, mail, today=today)
    assert results == {"power_grid": "sent", "water_utility": "sent"}
    escalations = [(m["To"], m["Subject"]) for m in inbox.messages if "escalated" in m["Subject"]]
    assert escalations == [
        ("water_utility@city.example", "[hotline] water_utility: 1 overdue request(s) escalated")
    ]
    digests = [m for m in inbox.messages if "due this week" in m["Subject"]]
    water = next(m for m in digests if m["To"] == "water_utility@city.example")
    assert "2 open, 1 due this week, 1 overdue" in water["Subject"]
    body = water.get_payload(decode=True).decode()
    assert late.number in body
    assert fresh.number in body
    page = client.get("/api/departments/water_utility/digest", headers=_bearer(departments["dw"])).json()
    assert page["counts"] == {"open": 2, "due_this_week": 1, "overdue": 1}
    other = client.get("/api/departments/power_grid/digest", headers=_bearer(departments["dw"]))
    assert other.status_code == 404
