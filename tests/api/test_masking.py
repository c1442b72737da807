"""One masking policy by role wherever personal data leaves the API: JSON, CSV, pages and live views."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.models import Role
from hotline.privacy import Masking, mask_name, mask_number
from hotline.settings import Settings
from hotline.timeutil import utcnow
from tests.api.conftest import TestClient, Users
from tests.api.live_data import publish_view, view_with_waiting
from tests.api.transcripts import store_call

NUMBER = "+79497260626"  # the caller of store_call, from the captures


def test_the_policy_masks_numbers_names_and_numbers_in_text() -> None:
    assert mask_number(NUMBER) == "**********26"
    assert mask_name("Елена Козлова") == "Е. К."
    answer = {
        "items": [{"caller_number": NUMBER, "caller_name": "Елена", "description": "звоните 89161234567"}]
    }
    assert Masking(active=True).record(answer) == {
        "items": [{"caller_number": "**********26", "caller_name": "Е.", "description": "звоните [номер]"}]
    }
    assert answer["items"][0]["caller_number"] == NUMBER  # the input is left alone
    assert Masking(active=False).record(answer) is answer


@pytest.mark.usefixtures("midday")  # the call list's default window is today
def test_call_history_json_and_csv_mask_numbers_for_supervisors(
    client: TestClient, users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    store_call(factory, settings, utcnow() - timedelta(minutes=5))
    for role, shown in ((Role.SUPERVISOR, "**********26"), (Role.ANALYST, NUMBER), (Role.ADMIN, NUMBER)):
        params = {"caller_number": NUMBER}
        rows = client.get("/api/calls", params=params, headers=users.bearer(role)).json()["items"]
        assert [row["caller_number"] for row in rows] == [shown], role
        csv = client.get("/api/calls", params=params | {"format": "csv"}, headers=users.bearer(role)).text
        assert shown in csv
        assert (NUMBER in csv) == (shown == NUMBER), role


def test_citizen_requests_mask_the_caller_for_supervisors_everywhere(
    client: TestClient, users: Users
) -> None:
    body = {
        "summary": "Нет воды, перезвоните на 8 916 123 45 67",
        "caller_number": "89161234567",
        "caller_name": "Иван Петров",
    }
    created = client.post("/api/requests", json=body, headers=users.bearer(Role.ADMIN)).json()
    assert created["caller_number"] == "89161234567"
    number = created["service_request_id"]
    supervisor = users.bearer(Role.SUPERVISOR)
    one = client.get(f"/api/requests/{number}", headers=supervisor).json()
    assert one["caller_number"] == "*********67"
    assert one["caller_name"] == "И. П."
    assert "123 45 67" not in one["description"]
    listed = client.get("/api/requests", headers=supervisor).json()["items"]
    assert [item["caller_number"] for item in listed] == ["*********67"]
    page = client.get("/requests", headers=supervisor | {"Accept": "text/html"}).text
    assert "89161234567" not in page
    assert "Иван Петров" not in page
    detail = client.get(f"/requests/{number}", headers=supervisor | {"Accept": "text/html"}).text
    assert "89161234567" not in detail
    assert client.get(f"/api/requests/{number}", headers=users.bearer(Role.ANALYST)).json()[
        "caller_name"
    ] == ("Иван Петров")


def test_live_views_mask_waiting_callers_for_supervisors(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    publish_view(factory, view_with_waiting(2))
    deadline = time.monotonic() + 5
    while (
        time.monotonic() < deadline
        and not client.get("/api/live", headers=users.bearer(Role.ADMIN)).json()["views"]
    ):
        time.sleep(0.05)

    def waiting(role: Role) -> list[tuple[str, str]]:
        view = client.get("/api/live", headers=users.bearer(role)).json()["views"][0]
        return [(c["caller_number"], c["caller_name"]) for c in view["queues"][0]["waiting"]]

    assert waiting(Role.ADMIN) == [("+79497260626", "Елена Козлова"), ("89299917908", "Владимир Соколов")]
    assert waiting(Role.SUPERVISOR) == [("**********26", "Е. К."), ("*********08", "В. С.")]
