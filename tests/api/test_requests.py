"""Citizen requests: keypad-friendly numbers, answer dates, status history, overdue escalation, Open311."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline import citizen, request_numbers
from hotline.db import transaction
from hotline.models import Role
from hotline.settings import Settings
from tests.api.conftest import TestClient, Users, api_settings


def _new(client: TestClient, users: Users, **body: object) -> dict[str, object]:
    answer = client.post(
        "/api/requests", json={"summary": "Нет воды", **body}, headers=users.bearer(Role.SUPERVISOR)
    )
    assert answer.status_code == 201, answer.text
    data: dict[str, object] = answer.json()
    return data


def test_numbers_are_nine_digits_with_a_check_digit_and_not_in_sequence(
    client: TestClient, users: Users
) -> None:
    numbers = [_new(client, users)["service_request_id"] for _ in range(5)]
    assert all(request_numbers.is_well_formed(number) for number in numbers)
    assert len(set(numbers)) == 5
    # Knowing one number says nothing about the next: no two are neighbours.
    values = sorted(int(number) for number in numbers)
    assert all(b - a > 10 for a, b in itertools.pairwise(values))
    # One mistyped digit or two swapped neighbours fail the check digit.
    first = numbers[0]
    wrong_digit = first[:3] + str((int(first[3]) + 1) % 10) + first[4:]
    assert not request_numbers.is_well_formed(wrong_digit)
    if first[4] != first[5]:
        assert not request_numbers.is_well_formed(first[:4] + first[5] + first[4] + first[6:])


def test_default_answer_date_is_45_days_and_per_topic_setting_applies(
    settings: Settings, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    settings = api_settings(
        settings.database.url, tmp_path, request_answer_days_by_topic={"no-such-topic-in-catalogue": 10}
    )
    moment = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with transaction(factory) as session:
        plain = citizen.register_request(session, settings, summary="a", now=moment)
        topical = citizen.register_request(
            session, settings, summary="b", topic="no-such-topic-in-catalogue", now=moment
        )
    assert plain.expected_at == date(2026, 3, 1) + timedelta(days=45)
    assert topical.expected_at == date(2026, 3, 11)
    assert plain.number != topical.number


def test_status_changes_keep_history_and_open311_view(client: TestClient, users: Users) -> None:
    number = _new(client, users, caller_number="+79161234567", topic="water")["service_request_id"]
    changed = client.post(
        f"/api/requests/{number}/status",
        json={"status": "answered", "note": "Подача воды восстановлена"},
        headers=users.bearer(Role.ADMIN),
    )
    assert changed.status_code == 200
    view = client.get(f"/api/requests/{number}", headers=users.bearer(Role.ANALYST)).json()
    assert view["status"] == "closed"
    assert view["detailed_status"] == "answered"
    assert view["status_notes"] == "Подача воды восстановлена"
    assert [h["status"] for h in view["history"]] == ["registered", "answered"]
    assert view["history"][1]["changed_by"] == "admin"
    assert view["closed_datetime"] is not None


def test_unknown_or_malformed_numbers(client: TestClient, users: Users) -> None:
    assert client.get("/api/requests/9999999999", headers=users.bearer(Role.ADMIN)).status_code == 404
    assert client.get("/api/requests/12ab", headers=users.bearer(Role.ADMIN)).status_code == 422
    bad = client.post(
        "/api/requests/9999999999/status", json={"status": "lost"}, headers=users.bearer(Role.ADMIN)
    )
    assert bad.status_code == 422


@pytest.mark.usefixtures("midday")  # the days counted must not change at local midnight
def test_overdue_list_and_escalation(
    client: TestClient, users: Users, settings: Settings, factory: sessionmaker[Session]
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=60)
    with transaction(factory) as session:
        late = citizen.register_request(session, settings, summary="late", now=long_ago)
        done = citizen.register_request(session, settings, summary="done", now=long_ago)
        citizen.change_status(session, done, status=citizen.RequestStatus.CLOSED)
        late_number = late.number
    _new(client, users)  # fresh: not overdue
    overdue = client.get("/api/requests/overdue", headers=users.bearer(Role.SUPERVISOR)).json()
    assert [item["service_request_id"] for item in overdue["items"]] == [late_number]
    assert overdue["items"][0]["days_overdue"] == 15
    exported = client.get("/api/requests/overdue?format=csv", headers=users.bearer(Role.SUPERVISOR))
    assert exported.text.lstrip("\ufeff").splitlines()[1].startswith(late_number)
    listed = client.get("/api/requests?view=overdue", headers=users.bearer(Role.SUPERVISOR)).json()
    assert listed["total"] == 1
    first = client.post("/api/requests/overdue/escalate", headers=users.bearer(Role.SUPERVISOR)).json()
    again = client.post("/api/requests/overdue/escalate", headers=users.bearer(Role.SUPERVISOR)).json()
    assert first["escalated"] == [late_number]
    assert again["escalated"] == []


@pytest.mark.parametrize(("lang", "word"), [("ru", "Просроченные"), ("en", "Overdue")])
def test_requests_page_in_both_languages(client: TestClient, users: Users, lang: str, word: str) -> None:
    number = _new(client, users, caller_name="Иванова")["service_request_id"]
    page = client.get(f"/requests?lang={lang}", headers=users.bearer(Role.ANALYST))
    assert page.status_code == 200
    assert word in page.text
    assert str(number) in page.text
    assert "Иванова" in page.text
    detail = client.get(f"/requests/{number}?lang={lang}", headers=users.bearer(Role.ANALYST))
    assert detail.status_code == 200
    assert "Нет воды" in detail.text


def test_a_request_for_an_unknown_call_is_422(client: TestClient, users: Users) -> None:
    answer = client.post(
        "/api/requests", json={"summary": "x", "call_id": 424242}, headers=users.bearer(Role.SUPERVISOR)
    )
    assert answer.status_code == 422
    assert "424242" in answer.text


def test_numbering_and_overdue_on_each_database(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = api_settings(
        str(session_factory.kw["bind"].url.render_as_string(hide_password=False)), tmp_path
    )
    long_ago = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)  # 02:30 on Jan 6 in Moscow: the local day counts
    with transaction(session_factory) as session:
        numbers = [
            citizen.register_request(session, settings, summary=str(i), now=long_ago).number for i in range(3)
        ]
    assert len(set(numbers)) == 3
    with transaction(session_factory) as session:
        late = citizen.overdue_requests(session, today=date(2026, 3, 1))
        assert sorted(row.number for row in late) == sorted(numbers)
        found = citizen.find_request(session, numbers[1])
        assert found is not None
        assert found.summary == "1"


def test_topics_show_by_their_catalogue_names(client: TestClient, users: Users) -> None:
    number = _new(client, users, topic="water")["service_request_id"]
    russian = client.get(f"/requests/{number}?lang=ru", headers=users.bearer(Role.SUPERVISOR)).text
    assert "Водоснабжение" in russian
    english = client.get("/requests?lang=en", headers=users.bearer(Role.SUPERVISOR)).text
    assert "Water supply" in english
    assert '<option value="heating">Heating</option>' in english  # the new-request form offers topics
    assert 'value="operator"' not in english  # a menu function, not a request topic


def test_overdue_tab_offers_escalation_to_writers_only(
    client: TestClient, users: Users, settings: Settings, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as session:
        citizen.register_request(
            session, settings, summary="late", now=datetime.now(UTC) - timedelta(days=60)
        )
    supervisor = client.get("/requests?view=overdue", headers=users.bearer(Role.SUPERVISOR)).text
    assert 'id="escalate"' in supervisor
    analyst = client.get("/requests?view=overdue", headers=users.bearer(Role.ANALYST)).text
    assert 'id="escalate"' not in analyst
