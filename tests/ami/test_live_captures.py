"""The live captures of a real Asterisk 22 replayed over TCP through the production listener: every
call record equals Asterisk's truth (queue_log + CDR, in summary.json)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.dial_back import requested
from hotline.models import Call, CallOutcome, Pbx
from tests.ami.frames import live_path
from tests.ami.support import lab_settings, replay_capture
from tests.ami.truth import _close, _moment, compare, summary, truth_file


@pytest.mark.parametrize("scenario", ["ivr_languages", "burst", "queue_timeout", "ivr_killed"])
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


# callback_dial's outcomes in the project's terms. Every call of this scenario was placed by the PBX
# (Originate), none is a citizen calling in, so none may look like one (ivr_only). The dial-back
# (`dialback_answer`: the operator's line originated into [hl-dialback], the citizen dialled from there)
# is never queued: `dial_back`, no agent. `answered` (Db0/Db1, originated into the `other` queue) is
# answered. A failed Originate (`originate_failed_reason_<n>`) has no linkedid in the truth: its Local
# halves and Asterisk's OutgoingSpoolFailed channel may only leave `dial_back_failed` records that ended
# when it failed, never queued, never answered.
DIAL_BACK_OUTCOMES = {"dialback_answer": CallOutcome.DIAL_BACK, "answered": CallOutcome.ANSWERED}
FAILED_ORIGINATE = (CallOutcome.DIAL_BACK_FAILED, None, None, None)


def _contexts_dialled(outcome: str) -> list[str]:
    """The contexts of the Local channels callback_dial originated for the calls with this outcome."""
    calls = summary("callback_dial")["calls"]
    assert isinstance(calls, list)
    return sorted(
        {requested(c["channel_originated"]).rpartition("@")[2] for c in calls if c["outcome"] == outcome}
    )


# dialer.dial_context: the default (no leg of the capture dials it), the context of the leg that rang
# unanswered (Dc), and the one the citizens originated straight into the queue (Db0/Db1) were dialled in.
@pytest.mark.parametrize(
    "dial_context",
    ["hotline-callback-out", *_contexts_dialled("originate_failed_reason_3"), *_contexts_dialled("answered")],
)
async def test_callback_dial_records_equal_asterisks_truth(
    dial_context: str, db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    scenario = "callback_dial"
    settings = lab_settings(db_url, tmp_path)
    settings.dialer = settings.dialer.model_copy(update={"dial_context": dial_context})
    result = await replay_capture(live_path(scenario), settings, session_factory)
    truth = summary(scenario)["calls"]
    assert isinstance(truth, list)
    with session_factory() as session:
        records = list(session.scalars(select(Call)))
    by_linkedid = {c.linkedid: c for c in records}
    spare = [c for c in records if c.linkedid not in {t["linkedid"] for t in truth}]
    problems: list[str] = []
    matched = 0
    for expected in truth:
        start, end = _moment(expected["start"]), _moment(expected["end"])
        assert start is not None
        assert end is not None
        if expected["linkedid"] is None:  # a failed Originate: the records it left behind
            left = [c for c in spare if c.ended_at and abs((c.ended_at - end).total_seconds()) <= 1.5]
            spare = [c for c in spare if c not in left]
            wrong = [
                f"{c.linkedid} {c.outcome} queue={c.queue} agent={c.agent} talk={c.talk_s}"
                for c in left
                if (c.outcome, c.queue, c.agent, c.talk_s) != FAILED_ORIGINATE
            ]
            problems += [f"{expected['cid']}: {w}" for w in wrong]
            if not left:
                problems.append(f"{expected['cid']}: the failed Originate left no record")
            matched += bool(left) and not wrong
            continue
        call = by_linkedid.get(expected["linkedid"])
        if call is None:
            problems.append(f"{expected['cid']}: no record")
            continue
        wrong = []
        if call.outcome != DIAL_BACK_OUTCOMES[expected["outcome"]]:
            wrong.append(f"outcome {call.outcome} != {expected['outcome']}")
        if (call.queue, call.agent) != (expected["queue"], expected["agent"]):
            wrong.append(f"{call.queue}/{call.agent} != {expected['queue']}/{expected['agent']}")
        if not (_close(call.wait_s, expected["wait_s"]) and _close(call.talk_s, expected["talk_s"])):
            wrong.append(f"wait,talk {call.wait_s}/{call.talk_s}!={expected['wait_s']}/{expected['talk_s']}")
        for name, value, moment in (("start", call.started_at, start), ("end", call.ended_at, end)):
            if value is None or abs((value - moment).total_seconds()) > 1.5:
                wrong.append(f"{name} {value} != {moment}")
        problems += [f"{expected['cid']}: {w}" for w in wrong]
        matched += not wrong
    print(f"{scenario}: {matched}/{len(truth)} calls match")
    assert problems == []
    assert spare == []  # every record is one of the calls or left by a failed Originate
    assert not [c for c in records if c.outcome in (CallOutcome.IN_PROGRESS, CallOutcome.IVR_ONLY)]
    processor = result.service.links[0].processor
    assert (processor.parse_errors_total, processor.state_errors_total) == (0, 0)
