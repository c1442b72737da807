"""Asterisk's own records of the listener_restart gap: only their recent end is read, and the CDR
with the Linkedid column (asterisk_conf/cdr_custom.conf) finds a call that has no queue_log line."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ami_listener.asterisk_records import BLOCK, MARGIN, read_records
from ami_listener.dial_back import OUTGOING_SPOOL_FAILED, local_into, requested
from ami_listener.gap import gap_calls
from ami_listener.resync import close_vanished
from ami_listener.state import LiveState
from hotline.domain import CallOutcome
from hotline.settings import PbxSettings
from tests.ami.frames import Frames, field, live_path
from tests.ami.truth import summary, truth_file

RESTART = "listener_restart"
KILL = datetime.fromisoformat(str(summary(RESTART)["kill"]).replace("Z", "+00:00"))
BACK = datetime.fromisoformat(str(summary(RESTART)["restart"]).replace("Z", "+00:00"))
R05 = "1796224167.282"  # answered, ended while the listener was down


def test_only_the_end_of_a_long_queue_log_is_read(tmp_path: Path) -> None:
    # Months of history before the scenario: the burst's real lines, moved back one day per copy.
    history = truth_file("burst", "queue_log").read_text("utf-8").splitlines()
    older = [
        f"{int(epoch) - day * 86400}|{rest}"
        for day in range(400, 0, -1)
        for epoch, rest in (line.split("|", 1) for line in history)
    ]
    recent = truth_file(RESTART, "queue_log").read_text("utf-8").splitlines()
    queue_log = tmp_path / "queue_log"
    queue_log.write_text("\n".join(older + recent) + "\n", "utf-8")
    pbx = PbxSettings(name="lab", queue_log_path=queue_log)

    records = read_records(pbx, KILL)

    assert records is not None
    lines = records[0].splitlines()
    wanted = [line for line in recent if int(line.split("|")[0]) >= (KILL - MARGIN).timestamp()]
    assert lines[-len(wanted) :] == wanted  # every line from shortly before the last event on
    assert all("|" in line and line.split("|")[0].isdigit() for line in lines)  # whole lines only
    # Not the whole file: at most one block more than what was needed.
    assert len(records[0].encode()) <= BLOCK + len("\n".join(recent).encode()) < queue_log.stat().st_size / 4


def _linkedid(row: list[str], seen: dict[str, str], callers: dict[str, str]) -> str:
    """The Linkedid Asterisk would write for a CDR row: from the AMI sessions when they saw the
    channel, else (a leg created in the gap) the call of the caller number the leg carries."""
    return seen.get(row[16]) or callers[row[1]]


def test_the_cdr_with_linkedids_finds_a_call_of_the_gap_without_queue_log() -> None:
    seen = {
        field(m, "Uniqueid") or "": field(m, "Linkedid") or ""
        for part in (".part1", ".part2")
        for m in Frames(live_path(RESTART, part)).all("Newchannel")
    }
    callers = {c["caller_num"]: c["linkedid"] for c in summary(RESTART)["calls"]}  # type: ignore[union-attr]
    rows = list(csv.reader(truth_file(RESTART, "cdr.csv").read_text("utf-8").splitlines()))
    out = io.StringIO()
    # cdr_custom.conf's layout: Master.csv's columns and the Linkedid.
    csv.writer(out).writerows([*row, _linkedid(row, seen, callers)] for row in rows)

    with_linkedid = gap_calls("", out.getvalue(), KILL, BACK)
    plain = gap_calls("", truth_file(RESTART, "cdr.csv").read_text("utf-8"), KILL, BACK)

    assert list(with_linkedid) == [R05]  # the one call that ended in the gap, none of its other legs
    call = with_linkedid[R05]
    (truth,) = [c for c in summary(RESTART)["calls"] if c["linkedid"] == R05]  # type: ignore[union-attr]
    assert call.started_at == datetime.fromisoformat(truth["start"].replace("Z", "+00:00"))
    assert call.ended_at == datetime.fromisoformat(truth["end"].replace("Z", "+00:00"))
    assert call.caller_number == truth["caller_num"]
    assert plain == {}  # Master.csv alone cannot tell the call's row from its other legs' rows


DIAL = "callback_dial"
DIAL_TRUTH: list[dict[str, Any]] = summary(DIAL)["calls"]  # type: ignore[assignment]
# The context of the leg that rang unanswered (case Dc), as our dialer's legs ring in dialer.dial_context.
(NO_ANSWER_CONTEXT,) = [
    requested(c["channel_originated"]).rpartition("@")[2]
    for c in DIAL_TRUTH
    if c["outcome"] == "originate_failed_reason_3"
]


def _cdr_custom(scenario: str) -> tuple[list[list[str]], str]:
    """The capture's CDR rows, and the same rows in cdr_custom.conf's layout: each with the Linkedid
    the AMI announced for its channel (the listener saw every channel of this scenario)."""
    seen = {
        field(m, "Uniqueid"): field(m, "Linkedid") or ""
        for m in Frames(live_path(scenario)).all("Newchannel")
    }
    rows = list(csv.reader(truth_file(scenario, "cdr.csv").read_text("utf-8").splitlines()))
    out = io.StringIO()
    csv.writer(out).writerows([*row, seen[row[16]]] for row in rows)
    return rows, out.getvalue()


@pytest.mark.parametrize("dial_context", [None, NO_ANSWER_CONTEXT])
def test_failed_dial_backs_recovered_from_the_cdr_are_no_citizens_calls(dial_context: str | None) -> None:
    """The listener was away for all of callback_dial: from Asterisk's records alone, each failed
    Originate's OutgoingSpoolFailed call is a failed dial-back (not a caller in the IVR), and so is our
    dialer's unanswered leg when dialer.dial_context names its context; the queued legs are answered."""
    start, end = (
        datetime.fromisoformat(str(summary(DIAL)[k]).replace("Z", "+00:00")) for k in ("start", "end")
    )
    rows, cdr = _cdr_custom(DIAL)
    state = LiveState("lab", dial_context=dial_context)

    close_vanished(
        state, end, gap_calls(truth_file(DIAL, "queue_log").read_text("utf-8"), cdr, start, end), start
    )

    outcomes = {c["linkedid"]: c["outcome"] for c in state.take_changes().calls}
    spool_failed = [row[16] for row in rows if row[5] == OUTGOING_SPOOL_FAILED]
    assert len(spool_failed) == len([c for c in DIAL_TRUTH if c["outcome"].startswith("originate_failed")])
    assert [outcomes[uniqueid] for uniqueid in spool_failed] == [CallOutcome.DIAL_BACK_FAILED] * len(
        spool_failed
    )
    no_answer_leg = next(
        row[16] for row in rows if local_into(row[5], NO_ANSWER_CONTEXT) and row[5].endswith(";1")
    )
    assert outcomes[no_answer_leg] == (
        CallOutcome.IVR_ONLY if dial_context is None else CallOutcome.DIAL_BACK_FAILED
    )
    queued = [c["linkedid"] for c in DIAL_TRUTH if c["queue"]]
    assert queued
    assert [outcomes[linkedid] for linkedid in queued] == [CallOutcome.ANSWERED] * len(queued)
