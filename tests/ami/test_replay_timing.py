"""Replaying a capture of a PBX with `timestampevents = yes` keeps its times to the microsecond, and a
truncated frame in a capture is a counted parse error, never a crashed replay session nor a lost call."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.capture import renumber
from hotline.models import Call, QueueEntry
from tests.ami.frames import Frames, altered_capture, field, live_path
from tests.ami.support import lab_settings, replay_capture
from tests.ami.truth import compare, summary

TIMEOUT = live_path("queue_timeout")


def _stamp(frames: Frames, event: str, uniqueid: str) -> float:
    return float(field(frames.one(event, Uniqueid=uniqueid), "Timestamp") or "nan")


async def test_waits_keep_the_sub_second_times_of_the_timestamp_headers(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    await replay_capture(TIMEOUT, lab_settings(db_url, tmp_path), session_factory)
    frames = Frames(TIMEOUT)
    with session_factory() as session:
        stays = {s.uniqueid: s for s in session.scalars(select(QueueEntry))}
        calls = {c.linkedid: c for c in session.scalars(select(Call))}
    assert len(stays) == 3
    for uniqueid, stay in stays.items():
        joined = _stamp(frames, "QueueCallerJoin", uniqueid)
        left = _stamp(frames, "QueueCallerAbandon", uniqueid)  # a timeout's first sign, see README
        # Asterisk's HoldTime says 10 for each; the frames' own times say 9.92 .. 10.26.
        assert stay.wait_s is not None
        assert abs(stay.wait_s - (left - joined)) < 0.001
        assert stay.wait_s != round(stay.wait_s)
        assert calls[uniqueid].wait_s == stay.wait_s


async def test_a_truncated_frame_is_a_parse_error_not_a_reconnect(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    frames = Frames(TIMEOUT)
    second = summary("queue_timeout")["calls"][1]  # type: ignore[index]
    join = frames.one("QueueCallerJoin", Uniqueid=second["linkedid"])
    cut = join.data[: join.data.index(b"\r\nChannelState: ")] + b"\r\n\r\n"  # no Queue, no Uniqueid
    capture = altered_capture(TIMEOUT, tmp_path / "capture", {join.data: cut})

    result = await replay_capture(capture, lab_settings(db_url, tmp_path), session_factory)

    link = result.service.links[0]
    assert result.server.connections == 1  # the replay session went on after the bad frame
    assert link.reconnects_total == 0
    assert link.processor.parse_errors_total == 1
    assert link.processor.state_errors_total == 0
    # The damaged caller still counts in its queue: its stay opened from the abandon's HoldTime.
    assert compare("queue_timeout", session_factory).problems == []


def test_a_replay_round_renumbers_every_id_also_in_recording_file_names() -> None:
    frame = next(m.data for m in Frames(TIMEOUT).messages if b"MIXMONITOR_FILENAME=/" in m.data)
    name = next(line for line in frame.split(b"\r\n") if b"MIXMONITOR_FILENAME=/" in line)
    ids = re.findall(rb"1\d{9}\.\d+", name)  # <queue>-<linkedid>-<uniqueid>.wav
    assert len(ids) == 2
    moved = renumber(frame, 100)
    for old in ids:
        seconds, _, rest = old.partition(b".")
        assert b"%d.%s" % (int(seconds) + 100, rest) in moved
    assert old not in moved
