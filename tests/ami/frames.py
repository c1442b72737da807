"""Real capture frames, cut from the `.ami` files by the offsets of their `.jsonl` index, for
event-level tests: one frame (or one call's frames) at a time through the real parser and state."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from panoramisk.message import Message

from ami_listener.capture import RecordedMessage, load_capture
from ami_listener.events import headers_of
from ami_listener.processor import Processor
from hotline.timeutil import from_epoch
from tests.conftest import DATA

LIVE = DATA / "asterisk-live"
TOPICS = ("HOTLINE_TOPIC",)


def live_path(scenario: str, part: str = "") -> Path:
    return LIVE / scenario / f"{scenario}{part}.ami"


def field(message: RecordedMessage, name: str) -> str | None:
    prefix = f"{name}: ".encode()
    for line in message.data.split(b"\r\n"):
        if line.startswith(prefix):
            return line[len(prefix) :].decode()
    return None


class Frames:
    """The messages of one capture, searchable by event name and header values."""

    def __init__(self, path: Path) -> None:
        self.messages = load_capture(path).messages

    def all(self, event: str, **fields: str) -> list[RecordedMessage]:
        return [
            m for m in self.messages if m.name == event and all(field(m, k) == v for k, v in fields.items())
        ]

    def one(self, event: str, nth: int = 0, **fields: str) -> RecordedMessage:
        found = self.all(event, **fields)
        assert len(found) > nth, f"no {event} #{nth} with {fields}"
        return found[nth]

    def of_call(self, linkedid: str, *, until: RecordedMessage | None = None) -> list[RecordedMessage]:
        """Every event of one call (any header naming its Linkedid), up to and including `until`."""
        needle = linkedid.encode()
        stop = until.offset if until is not None else None
        return [
            m
            for m in self.messages
            if m.kind == "event" and needle in m.data and (stop is None or m.offset <= stop)
        ]


def headers(message: RecordedMessage) -> tuple[dict[str, Any], datetime]:
    parsed = Message.from_line(message.data.decode().strip())
    assert parsed is not None
    return headers_of(parsed), from_epoch(message.wall)


def feed(processor: Processor, messages: Iterable[RecordedMessage]) -> None:
    for message in messages:
        processor.handle(*headers(message))


def processor() -> Processor:
    return Processor("lab", topic_variables=TOPICS)


def altered_capture(capture: Path, target_dir: Path, replacements: dict[bytes, bytes]) -> Path:
    """A copy of a real capture (.ami + .jsonl) with bytes replaced inside its messages and the
    offsets recomputed: the PBX's own frames, with one value changed (a name too long, a NUL byte)."""
    name = capture.name.removesuffix(".ami")
    ami = capture.read_bytes()
    rows = [json.loads(line) for line in capture.with_name(name + ".jsonl").read_text("utf-8").splitlines()]
    data = bytearray()
    kept = []
    for row in rows:
        if row.get("dir") == "chunk":
            continue  # recv() boundaries of the original bytes; the replay does not use them
        if row.get("dir") == "in":
            message = ami[row["off"] : row["off"] + row["len"]]
            for old, new in replacements.items():
                message = message.replace(old, new)
            row = {**row, "off": len(data), "len": len(message)}
            data += message
        kept.append(row)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / capture.name
    target.write_bytes(bytes(data))
    target.with_name(name + ".jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in kept), "utf-8"
    )
    return target
