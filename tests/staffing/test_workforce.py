"""Occupancy, pause reasons and interval KPIs on hand-made agent periods and calls."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.models import AgentPeriodKind
from hotline.workforce import interval_kpis, occupancy, pause_reasons
from tests.conftest import demo_settings
from tests.staffing.test_staffing import T0, _calls, _logged_in

LOGGED, PAUSED, TALK = AgentPeriodKind.LOGGED_IN, AgentPeriodKind.PAUSED, AgentPeriodKind.TALK


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def _one_operator_hour(factory: sessionmaker[Session]) -> None:
    """Operator 0 logged in to `other` and `passes` 10:00-11:00; lunch 10:00-10:15 reported in both
    queues (one pause); a break 10:50-10:55 in `passes` only; calls 10:20-10:40 and 10:45-10:50."""
    with transaction(factory) as session:
        for queue in ("other", "passes"):
            session.add(_logged_in(0, T0, T0 + minutes(60), LOGGED, queue))
            lunch = _logged_in(0, T0, T0 + minutes(15), PAUSED, queue)
            lunch.reason = "обед"
            session.add(lunch)
        rest = _logged_in(0, T0 + minutes(50), T0 + minutes(55), PAUSED, "passes")
        rest.reason = "перерыв"
        session.add(rest)
        session.add(_logged_in(0, T0 + minutes(20), T0 + minutes(40), TALK, "other"))
        session.add(_logged_in(0, T0 + minutes(45), T0 + minutes(50), TALK, "other"))


def test_occupancy_per_operator_and_per_queue(session_factory: sessionmaker[Session]) -> None:
    _one_operator_hour(session_factory)
    window = {"since": T0, "until": T0 + minutes(60), "wrapup_s": 60.0, "now": T0 + minutes(120)}
    with session_factory() as session:
        (agent,) = occupancy(session, by="agent", **window)
        queues = {row.key: row for row in occupancy(session, by="queue", **window)}
    # available 60 - 15 - 5 = 40 min; talk 25 min + 2 x 60 s wrap-up = 27 min
    assert (agent.key, agent.logged_in_s, agent.paused_s, agent.available_s) == ("agent 0", 3600, 1200, 2400)
    assert (agent.talk_s, agent.wrapup_s, agent.answered) == (1500, 120, 2)
    assert (agent.occupancy_pct, agent.calls_per_hour) == (67.5, 3.0)
    assert (queues["other"].available_s, queues["other"].occupancy_pct) == (2700, 60.0)
    assert (queues["passes"].available_s, queues["passes"].occupancy_pct) == (2400, 0.0)


def test_pause_reasons_count_a_pause_in_two_queues_once(session_factory: sessionmaker[Session]) -> None:
    _one_operator_hour(session_factory)
    with session_factory() as session:
        rows = pause_reasons(session, since=T0, until=T0 + minutes(60), now=T0 + minutes(120))
    assert [(r.reason, r.pauses, r.paused_s, r.share_pct) for r in rows] == [
        ("обед", 1, 900, 75.0),
        ("перерыв", 1, 300, 25.0),
    ]


def test_open_periods_end_now_and_the_future_is_not_counted(session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as session:
        period = _logged_in(3, T0, T0, LOGGED, "other")
        period.ended_at = None
        session.add(period)
    with session_factory() as session:
        (row,) = occupancy(session, since=T0, until=T0 + minutes(60), by="agent", now=T0 + minutes(10))
    assert (row.logged_in_s, row.occupancy_pct) == (600, 0.0)


def test_intervals_by_half_hour_hour_and_weekday(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = demo_settings("sqlite://", tmp_path, timezone="Europe/Moscow")
    with transaction(session_factory) as session:
        session.add_all(_calls(T0, 100, 180.0))
        session.add_all(_calls(T0 + minutes(30), 10, 120.0, abandoned=2, first=1000))
        session.add_all(_calls(T0 + timedelta(days=7), 20, 60.0, first=2000))
    window = {"since": T0, "until": T0 + timedelta(days=8), "settings": settings}
    with session_factory() as session:
        halves = interval_kpis(session, minutes=30, by="day", **window)
        hours = interval_kpis(session, minutes=60, by="day", **window)
        weekdays = interval_kpis(session, minutes=30, by="weekday", **window)
    assert [(r["interval"], r["offered"], r["abandoned"]) for r in halves] == [
        ("2026-11-23 10:00", 100, 0),
        ("2026-11-23 10:30", 10, 2),
        ("2026-11-30 10:00", 20, 0),
    ]
    assert [(r["interval"], r["offered"], r["weekday"]) for r in hours] == [
        ("2026-11-23 10:00", 110, 1),
        ("2026-11-30 10:00", 20, 1),
    ]
    assert [(r["weekday"], r["interval"], r["offered"]) for r in weekdays] == [
        (1, "10:00", 120),
        (1, "10:30", 10),
    ]
