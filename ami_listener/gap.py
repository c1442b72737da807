"""What happened while the listener was away, from Asterisk's own records (pure).

The AMI has no history, but Asterisk writes `queue_log` (`epoch|callid|queue|agent|event|data…`) and
the CDR (`cdr-csv/Master.csv`, `usegmtime = yes`) for every call. After a reconnect the listener reads
the lines of the gap (between the last event it saw and the reconnect) and uses them to complete the
calls that ended meanwhile, fill what it missed of calls still up, and record the calls that started
and ended entirely inside the gap (marked `recovered`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime

from hotline.timeutil import from_epoch

_CDR_CHANNEL, _CDR_START, _CDR_END, _CDR_DISPOSITION, _CDR_UNIQUEID, _CDR_LINKEDID = 5, 9, 11, 14, 16, 18


@dataclass
class GapCall:
    """One call as Asterisk's records tell it (callid = the caller channel's uniqueid = Linkedid)."""

    linkedid: str
    caller_number: str | None = None
    caller_name: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    queue: str | None = None
    entered_at: datetime | None = None
    position: int | None = None
    agent: str | None = None
    answered_at: datetime | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    completed_at: datetime | None = None
    outcome: str | None = None  # answered | abandoned | timeout | exit_empty
    origin_channel: str | None = None  # the CDR origin row's channel (OutgoingSpoolFailed: Originate failed)
    cdr_answered: bool = False  # the CDR origin row's disposition: ANSWERED
    lines: list[str] = field(default_factory=list)


def _cdr_time(value: str) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace(" ", "T") + "+00:00")


def _clid(value: str) -> tuple[str | None, str | None]:
    name, sep, rest = value.rpartition(" <")
    if not sep:
        return None, value or None
    return name.strip('"') or None, rest.rstrip(">") or None


def gap_calls(
    queue_log: str, cdr_csv: str, since: datetime, until: datetime, known: frozenset[str] = frozenset()
) -> dict[str, GapCall]:
    """Calls with queue_log lines or a CDR origin row between `since` and `until` (inclusive, whole
    seconds: Asterisk's records are second-precise), keyed by Linkedid.

    The CDR names a call by its origin row (uniqueid = linkedid). With the project's cdr_custom
    format (asterisk_conf/cdr_custom.conf) a 19th column carries the linkedid, so every call is
    found; with plain Master.csv only calls also in queue_log or in `known` are.
    """
    calls: dict[str, GapCall] = {}
    call: GapCall
    low, high = since.timestamp() - 1, until.timestamp() + 1
    for line in queue_log.splitlines():
        parts = line.split("|")
        if len(parts) < 5 or not parts[0].isdigit():
            continue
        epoch, callid, queue, agent, event, *data = parts
        if not low <= int(epoch) <= high or callid in ("NONE", "MANAGER", ""):
            continue
        at = from_epoch(int(epoch))
        call = calls.setdefault(callid, GapCall(callid))
        call.lines.append(line)
        call.queue = queue if queue != "NONE" else call.queue
        if event == "ENTERQUEUE":
            call.entered_at = at
            call.position = int(data[2]) if len(data) > 2 and data[2].isdigit() else None
        elif event == "CONNECT" and data:
            call.agent, call.answered_at, call.outcome = agent, at, "answered"
            call.wait_s = float(data[0])
        elif event in ("COMPLETEAGENT", "COMPLETECALLER") and len(data) > 1:
            call.agent, call.outcome = agent, "answered"
            call.wait_s = call.wait_s if call.wait_s is not None else float(data[0])
            call.talk_s, call.completed_at = float(data[1]), at
        elif event in ("ABANDON", "EXITWITHTIMEOUT") and len(data) > 2:
            call.outcome = "abandoned" if event == "ABANDON" else "timeout"
            call.wait_s, call.completed_at = float(data[2]), at
        elif event in ("EXITEMPTY", "EXITWITHKEY"):
            call.outcome, call.completed_at = "exit_empty", at
    for row in csv.reader(cdr_csv.splitlines()):
        if len(row) <= _CDR_UNIQUEID:
            continue
        uniqueid = row[_CDR_UNIQUEID]
        linkedid = row[_CDR_LINKEDID] if len(row) > _CDR_LINKEDID else None
        start, end = _cdr_time(row[_CDR_START]), _cdr_time(row[_CDR_END])
        if end is None or start is None or not low <= end.timestamp() <= high:
            continue  # a row is written when its call ends: only calls that ended in the gap
        if linkedid is not None and linkedid != uniqueid:
            continue  # another leg of a call
        origin = calls.get(uniqueid)
        if origin is None:
            if linkedid is None and uniqueid not in known:
                continue  # Master.csv: cannot tell a call's origin row from another leg's
            origin = calls[uniqueid] = GapCall(uniqueid)
        call = origin
        call.started_at = start
        call.ended_at = end
        call.caller_name, call.caller_number = _clid(row[4])
        call.caller_number = call.caller_number or row[1] or None
        call.origin_channel = row[_CDR_CHANNEL] or None
        call.cdr_answered = row[_CDR_DISPOSITION] == "ANSWERED"
    return calls
