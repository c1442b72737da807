"""Staffing from records: offered and AHT per half-hour, operators logged in, `hotline report staffing`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hotline import db
from hotline.db import transaction
from hotline.models import AgentPeriod, AgentPeriodKind, Call, CallOutcome
from hotline.staffing import Target, forecast_week, next_week_start, past_intervals
from hotline_app.cli import app

ZONE = ZoneInfo("Europe/Moscow")
# Monday 2026-11-23 10:00 Moscow time.
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)


def _calls(start: datetime, count: int, talk: float, *, abandoned: int = 0, first: int = 0) -> list[Call]:
    calls = []
    for n in range(count):
        at = start + timedelta(seconds=n * 1800 / count)
        gave_up = n < abandoned
        calls.append(
            Call(
                pbx="lab",
                linkedid=f"{first + n}.1",
                started_at=at,
                queue="other",
                queue_entered_at=at,
                outcome=CallOutcome.ABANDONED if gave_up else CallOutcome.ANSWERED,
                wait_s=30.0 if gave_up else 5.0,
                talk_s=None if gave_up else talk,
            )
        )
    return calls


def _logged_in(agent: int, start: datetime, end: datetime, kind: AgentPeriodKind, queue: str) -> AgentPeriod:
    return AgentPeriod(
        pbx="lab",
        interface=f"Local/agent{agent}@agents/n",
        agent_name=f"agent {agent}",
        kind=kind,
        queue=queue,
        started_at=start,
        ended_at=end,
    )


def _fill_history(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """10:00-10:30: 100 calls at 180 s (the Call Centre Helper load) with 12 operators, one of them
    logged in to two queues, one paused half the time; 10:30-11:00: 10 calls at 120 s, 12 operators."""
    with transaction(session_factory) as session:
        session.add_all(_calls(T0, 100, 180.0))
        session.add_all(_calls(T0 + timedelta(minutes=30), 10, 120.0, first=1000))
        end = T0 + timedelta(hours=1)
        for agent in range(12):
            session.add(_logged_in(agent, T0, end, AgentPeriodKind.LOGGED_IN, "other"))
        session.add(_logged_in(0, T0, end, AgentPeriodKind.LOGGED_IN, "passes"))  # same person, 2nd queue
        session.add(_logged_in(1, T0, T0 + timedelta(minutes=15), AgentPeriodKind.PAUSED, ""))
    return session_factory


@pytest.fixture
def history(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    return _fill_history(session_factory)


def test_past_intervals_compare_required_with_logged_in(history: sessionmaker[Session]) -> None:
    with history() as session:
        result = past_intervals(session, T0, T0 + timedelta(hours=1), ZONE, Target(80, 20))
    busy, quiet = result.rows
    assert result.model == "erlang_c"  # no abandons: patience unknown
    assert busy.interval_start == T0.astimezone(UTC)
    assert (busy.offered, busy.aht_s, busy.agents_required) == (100, 180.0, 14)
    # 12 operators, one paused for 15 of the 30 minutes: 11.5 on average, 12 after rounding.
    assert busy.agents_logged_in == 11.5
    assert busy.sl_forecast_pct == 64.0  # Erlang C, 12 operators for 10 erlangs
    assert busy.understaffed
    assert (quiet.offered, quiet.aht_s, quiet.agents_logged_in, quiet.understaffed) == (
        10,
        120.0,
        12.0,
        False,
    )
    assert quiet.agents_required == 2


def test_an_operator_still_logged_in_counts_until_now_not_later(
    session_factory: sessionmaker[Session],
) -> None:
    # "Now" is given, not read from the wall clock: 18 minutes into the half-hour starting at T0.
    now = T0 + timedelta(minutes=18)
    with transaction(session_factory) as session:
        still = _logged_in(0, T0 - timedelta(hours=1), now, AgentPeriodKind.LOGGED_IN, "other")
        still.ended_at = None
        session.add(still)
    with session_factory() as session:
        window = (T0 - timedelta(hours=1), T0 + timedelta(hours=2))
        rows = past_intervals(session, *window, ZONE, Target(), now=now).rows
    assert rows[0].agents_logged_in == 1.0
    current = next(row for row in rows if row.interval_start == T0)
    assert current.agents_logged_in == round(18 / 30, 2)  # the half-hour under way, up to now only
    future = [row.agents_logged_in for row in rows if row.interval_start > T0]
    assert future == [0.0, 0.0, 0.0]


def test_wrapup_adds_to_handle_time(history: sessionmaker[Session]) -> None:
    with history() as session:
        busy = past_intervals(
            session, T0, T0 + timedelta(minutes=30), ZONE, Target(80, 20, wrapup_s=20)
        ).rows[0]
    assert (busy.aht_s, busy.agents_required) == (200.0, 15)


def test_abandons_give_patience_and_erlang_a(session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as session:
        session.add_all(_calls(T0, 100, 180.0, abandoned=10))
    with session_factory() as session:
        result = past_intervals(session, T0, T0 + timedelta(minutes=30), ZONE, Target(80, 20))
    # patience = all waiting time / abandons = (10 x 30 + 90 x 5) / 10 = 75 s
    assert (result.model, result.patience_s) == ("erlang_a", 75.0)
    assert result.rows[0].agents_required < 14


def test_forecast_averages_each_weekday_slot_over_the_history(session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as session:
        session.add_all(_calls(T0, 100, 180.0))
        session.add_all(_calls(T0 + timedelta(days=7), 60, 180.0, first=500))
    week = next_week_start(T0 + timedelta(days=8), ZONE)
    assert week == datetime(2026, 12, 7, tzinfo=ZONE)
    with session_factory() as session:
        result = forecast_week(
            session, T0 - timedelta(hours=10), T0 + timedelta(days=14), ZONE, Target(), week
        )
    assert len(result.rows) == 7 * 48
    by_start = {row.interval_start: row for row in result.rows}
    monday_ten = by_start[datetime(2026, 12, 7, 10, 0, tzinfo=ZONE).astimezone(UTC)]
    assert monday_ten.offered == 80.0  # (100 + 60) / 2 Mondays
    assert monday_ten.agents_logged_in == 0.0
    assert monday_ten.understaffed
    assert by_start[datetime(2026, 12, 8, 10, 0, tzinfo=ZONE).astimezone(UTC)].offered == 0


def test_cli_report_staffing_formats(
    sqlite_engine: Engine, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill_history(db.make_session_factory(sqlite_engine))
    monkeypatch.setenv("HOTLINE_DEMO", "1")
    monkeypatch.setenv("HOTLINE_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("HOTLINE_TIMEZONE", "Europe/Moscow")
    runner = CliRunner()
    args = ["report", "staffing", "--since", "2026-11-23T10:00", "--until", "2026-11-23T11:00"]
    result = runner.invoke(app, [*args, "--sl-target", "80", "--sl-seconds", "20", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert list(rows[0]) == [
        "interval_start", "offered", "aht_s", "agents_required", "agents_logged_in", "sl_forecast_pct",
    ]  # fmt: skip
    assert rows[0]["interval_start"] == "2026-11-23T10:00:00+03:00"
    assert (rows[0]["agents_required"], rows[1]["agents_required"]) == (14, 2)
    as_csv = runner.invoke(app, [*args, "--format", "csv"])
    assert [row["agents_required"] for row in csv.DictReader(io.StringIO(as_csv.output))] == ["14", "2"]
    table = runner.invoke(app, [*args, "--format", "table"])
    assert "model: erlang_c; caller patience: unknown" in table.output
