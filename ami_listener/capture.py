"""Recorded AMI sessions: the `.ami` bytes and their `.jsonl` timing index, read as a list of messages.

The capture layout (banner, responses, events, `in`/`out`/`meta`/`chunk` records with offsets into
the `.ami` file) is described in tests/data/asterisk*/README.md. Pure helpers for replaying them:
renumbering ids for another round and adding the `Timestamp:` header Asterisk would add.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import CaptureError

# An id is never followed by a digit or ".digit" (but may be by ".wav" in a MixMonitor file name).
_EPOCH_ID = re.compile(rb"(?<![\d.])(1\d{9})\.(\d+)(?!\d|\.\d)")


@dataclass(frozen=True, slots=True)
class RecordedMessage:
    offset: int
    data: bytes
    t: float
    wall: float
    kind: str
    name: str


@dataclass
class Capture:
    banner: bytes
    login_response: bytes
    login_action_id: str
    messages: list[RecordedMessage]
    closed_by_peer: bool


def _read(path: Path) -> bytes:
    for candidate in (path, path.with_name(path.name + ".gz")):
        if candidate.exists():
            data = candidate.read_bytes()
            return gzip.decompress(data) if candidate.suffix == ".gz" else data
    raise CaptureError(f"{path}: capture file not found")


def load_capture(path: Path) -> Capture:
    """Read X.ami (or X.ami.gz) and its timing file X.jsonl (or X.jsonl.gz)."""
    name = path.name.removesuffix(".gz").removesuffix(".ami")
    ami = _read(path.with_name(name + ".ami"))
    try:
        rows = [json.loads(line) for line in _read(path.with_name(name + ".jsonl")).splitlines() if line]
    except json.JSONDecodeError as exc:
        raise CaptureError(f"{path}: timing file is not JSONL: {exc}") from None
    banner = b""
    login_id = ""
    login_response = b""
    messages: list[RecordedMessage] = []
    closed_by_peer = False
    for row in rows:
        if row.get("dir") == "out" and row.get("action") == "Login" and not login_id:
            login_id = row.get("action_id") or ""
        elif row.get("dir") == "in":
            data = ami[row["off"] : row["off"] + row["len"]]
            if row.get("kind") == "banner":
                banner = data
            elif not login_response and row.get("kind") == "response" and row.get("action_id") == login_id:
                login_response = data
            else:
                messages.append(
                    RecordedMessage(
                        row["off"], data, row["t"], row["wall"], row.get("kind", ""), row.get("name") or ""
                    )
                )
        elif row.get("dir") == "meta" and row.get("what") == "closed_by_peer":
            closed_by_peer = True
    if not banner or not login_response:
        raise CaptureError(f"{path}: no banner or login response in the capture")
    return Capture(banner, login_response, login_id, messages, closed_by_peer)


def renumber(data: bytes, shift: int) -> bytes:
    """Shift every epoch-style id (Uniqueid/Linkedid '1795316914.8') by `shift` seconds."""
    if not shift:
        return data
    return Renumbered(data).at(shift)


class Renumbered:
    """One message split once around its ids, so that each further round only formats numbers
    (a replay of many rounds would otherwise run the id search on every message again)."""

    __slots__ = ("_data", "_parts")

    def __init__(self, data: bytes) -> None:
        self._data = data
        # re.split with two groups: text, epoch, suffix, text, epoch, suffix, ..., text
        self._parts = _EPOCH_ID.split(data)

    def at(self, shift: int) -> bytes:
        parts = self._parts
        if len(parts) == 1 or not shift:
            return self._data
        out = [parts[0]]
        for i in range(1, len(parts), 3):
            out.append(b"%d.%s" % (int(parts[i]) + shift, parts[i + 1]))
            out.append(parts[i + 2])
        return b"".join(out)


def with_timestamp(data: bytes, wall: float) -> bytes:
    """Put `Timestamp:` after the Event line, where Asterisk puts it (timestampevents=yes); a frame
    that already has one (a capture of a PBX with timestampevents) gets it replaced, never doubled."""
    end = data.find(b"\r\n")
    if end < 0 or not data.startswith(b"Event:"):
        return data
    stamp = b"Timestamp: %.6f\r\n" % wall
    found = data.find(b"\r\nTimestamp: ")
    if found >= 0:
        stop = data.find(b"\r\n", found + 2)
        if stop >= 0:
            return data[: found + 2] + stamp + data[stop + 2 :]
    return data[: end + 2] + stamp + data[end + 2 :]


def parse_frame(data: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep and key not in headers:
            headers[key] = value
    return headers
