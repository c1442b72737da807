"""Replaying twice changes nothing; `hotline report` prints the KPIs the queue_log implies."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hotline.reports import CALL_COLUMNS
from hotline_app.cli import app
from tests.ami.support import capture_path, lab_settings, queue_log_facts, replay_capture, table_dump
from tests.conftest import CAPTURES


async def test_replaying_the_same_captures_twice_leaves_the_same_rows(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    settings = lab_settings(db_url, tmp_path)
    for name in ("ivr_to_agent", "abandon", "member_ops"):
        await replay_capture(capture_path(name), settings, session_factory)
    first = table_dump(session_factory)
    for name in ("ivr_to_agent", "abandon", "member_ops"):
        await replay_capture(capture_path(name), settings, session_factory)
    assert table_dump(session_factory) == first
    assert len(first["call"]) == 3


@pytest.mark.slow
def test_report_queues_json_matches_queue_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DEMO", "1")
    monkeypatch.setenv("HOTLINE_DATABASE__URL", f"sqlite:///{tmp_path / 'report.db'}")
    monkeypatch.setenv("HOTLINE_RECORDINGS__DIR", str(tmp_path / "recordings"))
    runner = CliRunner()
    replayed = runner.invoke(app, ["ami", "replay", str(capture_path("load")), "--speed", "0"])
    assert replayed.exit_code == 0, replayed.output
    assert "events=26094" in replayed.output

    result = runner.invoke(app, ["report", "queues", "--since", "2026-11-22", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [list(row) for row in rows] == [
        [
            "pbx",
            "queue",
            "offered",
            "answered",
            "abandoned",
            "timeout",
            "answered_within_sl",
            "service_level_pct",
            "abandon_rate_pct",
            "asa_s",
            "aht_s",
            "max_wait_s",
        ]
    ] * len(rows)
    facts = queue_log_facts(CAPTURES / "load" / "load.queue_log")
    by_queue = {row["queue"]: row for row in rows}
    assert set(by_queue) == set(facts.entered)
    for queue, offered in facts.entered.items():
        row = by_queue[queue]
        assert row["pbx"] == "lab"
        assert row["offered"] == offered
        assert row["answered"] == facts.answered[queue]
        assert row["abandoned"] == facts.abandoned[queue]
        waits = [facts.wait[u] for u, q in facts.queue.items() if q == queue and u in facts.agent]
        assert row["asa_s"] == pytest.approx(sum(waits) / len(waits), abs=1.0)
        assert row["answered_within_sl"] == pytest.approx(sum(w <= 20 for w in waits), abs=1)
        assert row["abandon_rate_pct"] == pytest.approx(100 * facts.abandoned[queue] / offered, abs=0.01)

    calls = runner.invoke(app, ["report", "calls", "--since", "2026-11-22", "--format", "csv"])
    assert calls.exit_code == 0, calls.output
    lines = list(csv.DictReader(io.StringIO(calls.output)))
    assert len(lines) == 150
    assert list(lines[0]) == list(CALL_COLUMNS)  # the columns of GET /api/calls
    answered = runner.invoke(
        app, ["report", "calls", "--since", "2026-11-22", "--outcome", "answered", "--format", "json"]
    )
    assert answered.exit_code == 0, answered.output
    assert {row["outcome"] for row in json.loads(answered.output)} == {"answered"}
    assert {line["outcome"] for line in lines} == {"answered", "abandoned", "ivr_only"}

    agents = runner.invoke(app, ["report", "agents", "--since", "2026-11-22", "--format", "json"])
    assert agents.exit_code == 0, agents.output
    answered = {row["agent"]: row["answered"] for row in json.loads(agents.output)}
    assert sum(answered.values()) == sum(facts.answered.values())


def test_kpi_definitions_are_in_the_help() -> None:
    result = CliRunner().invoke(app, ["report", "queues", "--help"])
    assert result.exit_code == 0
    for word in ("service_level_pct", "sl2_pct", "abandon_rate_pct", "asa_s", "Holdtime"):
        assert word in result.output


async def test_live_view_is_coalesced_and_ends_with_the_final_picture(
    sqlite_engine: object, tmp_path: Path
) -> None:
    from sqlalchemy import Engine

    from hotline import db
    from hotline.live import AgentState, read_views, sequences

    assert isinstance(sqlite_engine, Engine)
    factory = db.make_session_factory(sqlite_engine)
    result = await replay_capture(
        capture_path("ivr_to_agent"), lab_settings(str(sqlite_engine.url), tmp_path), factory, speed=20
    )
    views = result.views
    assert len(views) >= 2
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(views)]
    from ami_listener.link import PUBLISH_EVERY_S

    # Coalesced: at most one publish per PUBLISH_EVERY_S (the last is the final flush).
    assert min(gaps[:-1], default=1.0) >= PUBLISH_EVERY_S - 0.01
    final = views[-1]
    assert final.calls == []
    assert all(not q.waiting for q in final.queues)
    anna = next(a for a in final.agents if a.name == "Анна Смирнова")
    assert anna.state is AgentState.FREE
    assert anna.calls_taken == 1
    with factory() as session:
        assert sequences(session) == {"lab": len(views)}
        (stored,) = read_views(session)
    assert stored.model_dump() == final.model_dump()
