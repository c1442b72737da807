"""Asterisk's own records of the listener_restart gap: only their recent end is read, and the CDR
with the Linkedid column (asterisk_conf/cdr_custom.conf) finds a call that has no queue_log line."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from ami_listener.asterisk_records import BLOCK, MARGIN, read_records
from ami_listener.gap import gap_calls
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
