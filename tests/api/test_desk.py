"""The operator's desk: the current call from the live view, the caller's history, one-click registration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from time_machine import TimeMachineFixture

from hotline import citizen, request_numbers
from hotline.db import transaction
from hotline.models import Role
from hotline.settings import Settings
from tests.api import desk_data
from tests.api.conftest import TestClient, Users


@pytest.fixture
def during_the_call(time_machine: TimeMachineFixture) -> None:
    """The clock two minutes into L02's conversation, so the request is registered on that call's day
    (and the answer date is counted from it) whatever the hour CI runs at."""
    time_machine.move_to(desk_data.STARTED + timedelta(minutes=2))


@pytest.mark.usefixtures("during_the_call")
def test_the_desk_shows_the_current_call_and_registers_a_routed_request_from_it(
    client: TestClient, users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    token = desk_data.set_up(factory, settings)
    with transaction(factory) as session:
        earlier = citizen.register_request(
            session, settings, summary="прошлая заявка", caller_number=desk_data.CALLER, topic="heating"
        )
    operator = {"Authorization": f"Bearer {token}"}
    desk = client.get("/api/desk", headers=operator).json()
    assert desk["agent"] == desk_data.AGENT
    call = desk["call"]
    assert (call["caller_number"], call["topic"], call["language"]) == (desk_data.CALLER, "water", "en")
    assert [item["number"] for item in desk["requests"]] == [earlier.number]
    # Another operator is not on a call; a supervisor looks over op103's shoulder with masking.
    assert client.get("/api/desk", headers=users.bearer(Role.OPERATOR)).json()["call"] is None
    shoulder = client.get(
        "/api/desk", params={"agent": desk_data.AGENT}, headers=users.bearer(Role.SUPERVISOR)
    )
    assert shoulder.json()["call"]["caller_number"] == "**********01"

    created = client.post(
        "/api/desk/requests",
        json={"pbx": "lab", "linkedid": desk_data.LINKEDID, "summary": "Нет холодной воды с утра"},
        headers=operator,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert request_numbers.is_well_formed(body["number"])
    assert body["spoken"] == " ".join(body["number"][i : i + 3] for i in (0, 3, 6))
    assert (body["department"], body["topic"]) == ("water_utility", "water")
    shown = client.get(f"/api/requests/{body['number']}", headers=users.bearer(Role.ADMIN)).json()
    assert (shown["caller_number"], shown["department"]) == (desk_data.CALLER, "water_utility")
    assert shown["history"][0]["changed_by"] == "op103"
    call_day = citizen.local_day(settings, desk_data.STARTED)
    assert shown["expected_datetime"] == (call_day + timedelta(days=5)).isoformat()  # water: answer_days 5
    unknown = client.post(
        "/api/desk/requests", json={"pbx": "lab", "linkedid": "1.1", "summary": "x"}, headers=operator
    )
    assert unknown.status_code == 404
