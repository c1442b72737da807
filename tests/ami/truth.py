"""Per-call comparison of stored records with a live capture's truth (summary.json: queue_log + CDR)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.models import Call, CallOutcome
from tests.ami.frames import LIVE

# summary.json outcome -> the outcomes a record may have for it (after-hours calls are IVR-only there)
OUTCOMES = {
    "answered": {CallOutcome.ANSWERED},
    "abandoned": {CallOutcome.ABANDONED},
    "timeout": {CallOutcome.TIMEOUT},
    "ivr_only": {CallOutcome.IVR_ONLY, CallOutcome.AFTER_HOURS},
    "callback": {CallOutcome.CALLBACK_REQUESTED},
}


@dataclass
class Comparison:
    total: int = 0
    matched: int = 0
    problems: list[str] = field(default_factory=list)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1.5


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def summary(scenario: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((LIVE / scenario / f"{scenario}.summary.json").read_text("utf-8"))
    return data


def compare(scenario: str, session_factory: sessionmaker[Session]) -> Comparison:
    truth = summary(scenario)["calls"]
    assert isinstance(truth, list)
    with session_factory() as session:
        records = {c.linkedid: c for c in session.scalars(select(Call))}
    result = Comparison(total=len(truth))
    for expected in truth:
        cid = expected["cid"]
        call = records.get(expected["linkedid"])
        if call is None:
            result.problems.append(f"{cid}: no record")
            continue
        wrong = []
        if call.outcome not in OUTCOMES[expected["outcome"]]:
            wrong.append(f"outcome {call.outcome} != {expected['outcome']}")
        if call.queue != expected["queue"]:
            wrong.append(f"queue {call.queue} != {expected['queue']}")
        if call.agent != expected["agent"]:
            wrong.append(f"agent {call.agent} != {expected['agent']}")
        if expected["queue"] and not _close(call.wait_s, expected["wait_s"]):
            wrong.append(f"wait {call.wait_s} != {expected['wait_s']}")
        if not _close(call.talk_s, expected["talk_s"]):
            wrong.append(f"talk {call.talk_s} != {expected['talk_s']}")
        for name, value in (("start", call.started_at), ("end", call.ended_at)):
            moment = _moment(expected[name])
            if value is None or moment is None or abs((value - moment).total_seconds()) > 1.5:
                wrong.append(f"{name} {value} != {moment}")
        if wrong:
            result.problems.append(f"{cid} {expected['linkedid']}: " + "; ".join(wrong))
        else:
            result.matched += 1
    return result


def truth_file(scenario: str, suffix: str) -> Path:
    return LIVE / scenario / f"{scenario}.{suffix}"
