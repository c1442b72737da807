"""KPI definitions on hand-made call records (each value follows from the rows inserted here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from hotline.kpi import KPI_DEFINITIONS, compute_kpis
from hotline.models import Call, CallOutcome
from tests.conftest import demo_settings

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _call(
    n: int,
    queue: str,
    outcome: CallOutcome,
    wait: float,
    talk: float | None = None,
    agent: str | None = None,
    topic: str | None = None,
    at: datetime = T0,
) -> Call:
    return Call(
        pbx="pbx1",
        linkedid=f"1.{n}",
        started_at=at,
        queue=queue,
        queue_entered_at=at,
        outcome=outcome,
        wait_s=wait,
        talk_s=talk,
        agent=agent,
        ivr_topic=topic,
    )


def test_queue_kpis_follow_the_definitions(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    settings = demo_settings("sqlite://", tmp_path, reports={"service_level_by_queue": {"other": 10}})
    with session_factory() as session, session.begin():
        session.add_all(
            [
                _call(1, "passes", CallOutcome.ANSWERED, 10, 60, agent="Анна"),
                _call(2, "passes", CallOutcome.ANSWERED, 30, 120, agent="Анна"),
                _call(3, "passes", CallOutcome.ABANDONED, 3),
                _call(4, "passes", CallOutcome.ABANDONED, 40),
                _call(5, "passes", CallOutcome.TIMEOUT, 90),
                _call(6, "other", CallOutcome.ANSWERED, 15, 30, agent="Павел"),
                Call(pbx="pbx1", linkedid="1.7", started_at=T0, outcome=CallOutcome.IVR_ONLY),
                _call(8, "passes", CallOutcome.ANSWERED, 1, 1, at=T0 + timedelta(days=2)),
            ]
        )
    with session_factory() as session:
        rows = {
            r.key: r
            for r in compute_kpis(
                session, group_by="queue", since=T0, until=T0 + timedelta(hours=1), settings=settings
            )
        }
    passes = rows["passes"]
    assert (passes.offered, passes.answered, passes.abandoned, passes.timeout) == (5, 2, 2, 1)
    assert passes.short_abandoned == 1
    assert passes.answered_within_sl == 1
    assert passes.abandoned_within_sl == 1
    assert passes.service_level_pct == 50.0
    assert passes.sl2_pct == 50.0
    assert passes.abandon_rate_pct == 40.0
    assert passes.asa_s == 20.0
    assert passes.aht_s == 90.0
    assert passes.max_wait_s == 90.0
    # per-queue threshold: 15 s wait is outside other's 10 s service level
    assert rows["other"].service_level_pct == 0.0
    assert set(rows) == {"passes", "other"}


def test_hour_keys_are_local_time_and_agent_rows_skip_unanswered(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = demo_settings("sqlite://", tmp_path)  # Europe/Moscow, UTC+3
    with session_factory() as session, session.begin():
        session.add_all(
            [
                _call(1, "passes", CallOutcome.ANSWERED, 10, 60, agent="Анна"),
                _call(2, "passes", CallOutcome.ABANDONED, 10),
            ]
        )
    with session_factory() as session:
        hours = compute_kpis(
            session, group_by="hour", since=T0, until=T0 + timedelta(hours=1), settings=settings
        )
        agents = compute_kpis(
            session, group_by="agent", since=T0, until=T0 + timedelta(hours=1), settings=settings
        )
    assert [h.key for h in hours] == ["2026-11-22T13"]
    assert [(a.key, a.offered, a.answered) for a in agents] == [("Анна", 1, 1)]
    assert agents[0].service_level_pct == 100.0
    assert agents[0].as_dict()["pbx"] == "pbx1"


def test_definitions_name_every_kpi() -> None:
    for name in ("offered", "service_level_pct", "sl2_pct", "abandon_rate_pct", "asa_s", "aht_s"):
        assert name in KPI_DEFINITIONS
