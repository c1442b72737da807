"""The wallboard's day curve: most callers waiting per step, from the queue records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.history import waiting_series
from hotline.db import transaction
from hotline.models import Call, CallOutcome, QueueEntry, Role
from hotline.timeutil import utcnow
from tests.api.conftest import TestClient, Users

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_peak_per_step_counts_overlaps_and_open_stays() -> None:
    stays = [(at(1), at(3)), (at(2), at(7)), (at(6), None), (at(-30), at(-20))]
    series = waiting_series(stays, start=T0, end=at(15), step=timedelta(minutes=5))
    assert series == [(at(0), 2), (at(5), 2), (at(10), 1)]


def test_a_caller_answered_as_another_joins_is_not_two_waiting() -> None:
    series = waiting_series([(at(0), at(2)), (at(2), at(4))], start=T0, end=at(5), step=timedelta(minutes=5))
    assert series == [(at(0), 1)]


@pytest.mark.usefixtures("midday")  # today so far is half a day, not the first seconds after midnight
def test_endpoint_draws_today_from_queue_entries(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    now = utcnow()
    with transaction(factory) as session:
        call = Call(pbx="lab", linkedid="1795316951.12", started_at=now - timedelta(minutes=3), queue="other")
        session.add(call)
        session.flush()
        session.add(
            QueueEntry(
                call_id=call.id,
                pbx="lab",
                uniqueid="1795316951.12",
                queue="other",
                entered_at=now - timedelta(minutes=2),
                outcome=CallOutcome.IN_PROGRESS,
            )
        )
    today = client.get("/api/live/today?step_min=5", headers=users.bearer(Role.SUPERVISOR)).json()
    assert today["waiting"][-1]["waiting"] == 1
    assert max(point["waiting"] for point in today["waiting"]) == 1
    assert today["service_level_by_hour"] == []
