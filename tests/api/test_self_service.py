"""Status lookups cannot enumerate requests (phone and web); the public pages show FAQ and status only."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import citizen
from hotline.db import transaction
from hotline.loop_settings import LookupLimits
from hotline.models import CitizenRequest, Role, SupervisorAlert
from hotline.settings import Settings
from ivr.steps import RateLimited, StatusFound, StatusNotFound
from ivr.store import IvrStore
from tests.api.conftest import TestClient, Users, api_settings

LIMITS = LookupLimits(window_s=3600, per_caller=3, all_callers=10)


def _requests(factory: sessionmaker[Session], settings: Settings, count: int) -> list[CitizenRequest]:
    with transaction(factory) as session:
        return [
            citizen.register_request(
                session, settings, summary=f"заявка {i}", caller_number=f"+7916333{i:04d}", topic="water"
            )
            for i in range(count)
        ]


def test_fifteen_random_callers_cannot_read_out_twelve_requests(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    """The incident of the issue: random caller IDs typing numbers. Now they hit the limits, not requests."""
    known = {row.number for row in _requests(factory, settings, 12)}
    store = IvrStore(factory, lookups_per_hour=100, zone=settings.zone, limits=LIMITS)
    rng = random.Random(14)
    now = datetime.now(UTC)
    found, limited = set(), 0
    for caller in range(15):
        number = f"+7999{rng.randrange(10**7):07d}"
        for guess in range(5):
            typed = str(rng.randrange(10**8, 10**9))
            answer = store.lookup_status(number, typed, now + timedelta(seconds=caller * 5 + guess))
            if isinstance(answer, StatusFound):
                found.add(answer.number)
            limited += isinstance(answer, RateLimited)
    assert found <= known
    assert len(found) == 0
    assert limited == 75 - 10  # 10 misses in the window trip the global limit for everyone
    with factory() as session:
        alerts = session.scalars(select(SupervisorAlert)).all()
    assert len(alerts) == 1  # one alert per window, not one per refused lookup
    assert "status lookups of unknown request numbers" in alerts[0].message


def test_one_caller_is_stopped_after_three_unknown_numbers_even_for_a_real_one(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    real = _requests(factory, settings, 1)[0]
    store = IvrStore(factory, lookups_per_hour=100, zone=settings.zone, limits=LIMITS)
    now = datetime.now(UTC)
    for second in range(3):
        miss = store.lookup_status("+79160000001", "123456789", now + timedelta(seconds=second))
        assert isinstance(miss, StatusNotFound)
    assert isinstance(
        store.lookup_status("+79160000001", real.number, now + timedelta(seconds=4)), RateLimited
    )
    # Another caller is not affected, and the window slides: an hour later the first may try again.
    assert isinstance(
        store.lookup_status("+79160000002", real.number, now + timedelta(seconds=5)), StatusFound
    )
    later = now + timedelta(hours=1, seconds=10)
    assert isinstance(store.lookup_status("+79160000001", real.number, later), StatusFound)


def test_the_public_page_shows_faq_in_three_languages(client: TestClient) -> None:
    for lang, question in (("ru", "Отопление"), ("uk", "Опалення"), ("en", "Heating")):
        page = client.get(f"/public?lang={lang}")
        assert page.status_code == 200
        assert f'<html lang="{lang}">' in page.text
        assert question in page.text
    # The same answer text the IVR reads for passes, FAQ 1.
    assert "Passes are issued on the public services portal" in client.get("/public?lang=en").text


def test_status_needs_number_and_phone_and_shows_no_personal_data(
    client: TestClient, factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    row = _requests(factory, settings, 1)[0]
    form = {"number": row.number, "phone": "8 (916) 333-00-00", "lang": "uk"}
    answer = client.post("/public/status", data=form)
    assert answer.status_code == 200
    assert "Статус - зареєстровано, очікує розгляду." in answer.text  # the IVR's own sentence
    assert row.expected_at.isoformat() in answer.text
    assert "заявка 0" not in answer.text  # the request's text is not shown
    assert "+79163330000" not in answer.text
    wrong_phone = client.post("/public/status", data={"number": row.number, "phone": "+79160000000"})
    assert wrong_phone.status_code == 404
    assert client.post("/public/status", data={"number": row.number}).status_code == 422
    for _ in range(10):
        client.post("/public/status", data={"number": "123456789", "phone": "+79160000000"})
    limited = client.post("/public/status", data={"number": row.number, "phone": "+79163330000"})
    assert limited.status_code == 429  # the same per-caller limit as the phone (5 misses by default)
    assert api_settings(settings.database.url, tmp_path).lookups.per_caller == 5


def test_the_supervisor_sees_the_alert_on_the_wallboard_and_acknowledges_it(
    users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    from api.app import create_app
    from api.live_hub import LiveHub

    store = IvrStore(factory, lookups_per_hour=100, zone=settings.zone, limits=LIMITS)
    now = datetime.now(UTC)
    for caller in range(11):
        store.lookup_status(f"+7999000{caller:04d}", "123456789", now + timedelta(seconds=caller))
    app = create_app(settings, factory, hub=LiveHub(factory, settings, interval_s=0.05))
    with TestClient(app) as client:
        snapshot = client.get("/api/live", headers=users.bearer(Role.SUPERVISOR)).json()
        assert [alert["kind"] for alert in snapshot["supervisor_alerts"]] == ["status_lookup_limit"]
        alerts = client.get("/api/alerts", headers=users.bearer(Role.SUPERVISOR)).json()
        acked = client.post(f"/api/alerts/{alerts[0]['id']}/ack", headers=users.bearer(Role.SUPERVISOR))
        assert acked.json()["acknowledged_by"] == "supervisor"
        assert client.get("/api/alerts", headers=users.bearer(Role.SUPERVISOR)).json() == []
        assert client.get("/api/alerts", headers=users.bearer(Role.OPERATOR)).status_code == 403
