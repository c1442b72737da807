"""The live captures of a real Asterisk 22 replayed over TCP through the production listener: every
call record equals Asterisk's truth (queue_log + CDR, in summary.json)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.models import Call, CallOutcome, Pbx
from tests.ami.frames import live_path
from tests.ami.support import lab_settings, replay_capture
from tests.ami.truth import compare, truth_file


@pytest.mark.parametrize("scenario", ["ivr_languages", "burst", "queue_timeout"])
async def test_every_call_equals_asterisks_truth(
    scenario: str, db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    result = await replay_capture(live_path(scenario), lab_settings(db_url, tmp_path), session_factory)
    comparison = compare(scenario, session_factory)
    print(f"{scenario}: {comparison.matched}/{comparison.total} calls match")
    assert comparison.problems == []
    processor = result.service.links[0].processor
    assert processor.parse_errors_total == 0
    assert processor.state_errors_total == 0
    with session_factory() as session:
        assert not session.scalars(select(Call).where(Call.outcome == CallOutcome.IN_PROGRESS)).all()


async def test_listener_restart_part1_then_part2_in_a_new_listener(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    scenario = "listener_restart"
    settings = lab_settings(db_url, tmp_path)
    await replay_capture(live_path(scenario, ".part1"), settings, session_factory)
    second = await replay_capture(
        live_path(scenario, ".part2"),
        settings,
        session_factory,
        pbx_paths={
            "queue_log_path": truth_file(scenario, "queue_log"),
            "cdr_path": truth_file(scenario, "cdr.csv"),
        },
    )
    comparison = compare(scenario, session_factory)
    print(f"{scenario}: {comparison.matched}/{comparison.total} calls match")
    assert comparison.problems == []
    with session_factory() as session:
        assert not session.scalars(select(Call).where(Call.outcome == CallOutcome.IN_PROGRESS)).all()
        recovered = session.scalars(select(Call).where(Call.recovered)).all()
        pbx = session.scalars(select(Pbx)).one()
    assert [c.linkedid for c in recovered] == ["1796224167.282"]  # R05 ended while the listener was down
    assert pbx.state_errors_total == 0
    assert second.service.links[0].processor.state_errors_total == 0
