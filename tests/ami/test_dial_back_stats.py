"""The dial-back legs of the `callback_dial` capture, replayed through the production listener, are not
counted as citizens' calls: the KPIs, topic shares and the IVR-only call list see only the citizens'
legs that entered a queue (Asterisk's truth in summary.json)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.domain import DIAL_BACK_OUTCOMES
from hotline.kpi import compute_kpis
from hotline.models import Call, CallOutcome
from hotline.reports import CallFilters, call_query
from hotline.topic_stats import topic_share
from tests.ami.frames import live_path
from tests.ami.support import lab_settings, replay_capture
from tests.ami.truth import _moment, summary


async def test_dial_back_legs_are_not_counted_as_citizen_calls(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    scenario = "callback_dial"
    settings = lab_settings(db_url, tmp_path)
    await replay_capture(live_path(scenario), settings, session_factory)
    truth = summary(scenario)
    calls = truth["calls"]
    assert isinstance(calls, list)
    queued = [c for c in calls if c["queue"]]
    answered = [c for c in queued if c["outcome"] == "answered"]
    start, end = _moment(str(truth["start"])), _moment(str(truth["end"]))
    assert start is not None
    assert end is not None
    since, until = start - timedelta(minutes=1), end + timedelta(minutes=1)

    with session_factory() as session:
        dial_backs = session.scalars(select(Call).where(Call.outcome.in_(DIAL_BACK_OUTCOMES))).all()
        ivr_only = session.scalars(call_query(since, until, CallFilters(outcome=CallOutcome.IVR_ONLY))).all()
        kpis = compute_kpis(session, group_by="topic", since=since, until=until, settings=settings)
        shares = topic_share(
            session, since=since, until=until, zone=settings.zone, base="offered", period="day"
        )

    # Every call but the queued ones was the PBX calling out (operator first, or a failed Originate).
    assert {c.linkedid for c in dial_backs} >= {
        c["linkedid"] for c in calls if c["linkedid"] and not c["queue"]
    }
    assert all(c.queue is None for c in dial_backs)
    assert ivr_only == []
    assert sum(row.offered for row in kpis) == len(queued)
    assert sum(row.answered for row in kpis) == len(answered)
    assert sum(row.abandoned + row.timeout for row in kpis) == len(queued) - len(answered)
    assert sum(row.calls for row in shares) == len(queued)
