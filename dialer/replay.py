"""A TCP server that answers Originate the way the real Asterisk 22 of the `callback_dial` capture did.

It serves the capture's own bytes (asterisk-live/callback_dial/callback_dial.originator.*): the
banner, the Login response, and per Originate one recorded case: the `Response: Success` ("Originate
successfully queued"), the events of the channels that Originate created, and its OriginateResponse,
at the recorded pace (divided by `speed`). Only the ActionID is rewritten to the client's, because
the PBX echoes the ActionID it was sent. The cases are played in the order of `script`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from dialer.ami import Message, parse, read_frame
from hotline.errors import AmiError, CaptureError

# The capture's Originates by what happened (see the fixture README, scenario 7).
CASES = {
    "operator_first": "ctl-callback_dial-2",  # (a) operator leg, then the citizen: Success, Reason 4
    "answer": "ctl-callback_dial-6",  # (b) Db1: citizen into the queue with QUEUE_PRIO=10: Reason 4
    "answer_no_priority": "ctl-callback_dial-5",  # (b) Db0
    "no_answer": "ctl-callback_dial-10",  # (c) Failure, Reason 3 after the 30 s Timeout
    "busy": "ctl-callback_dial-11",  # (d) Failure, Reason 5
    "congestion": "ctl-callback_dial-12",  # (d) Failure, Reason 8
    "failed": "ctl-callback_dial-13",  # (d) Failure, Reason 0 (channel could not be created)
}


@dataclass(frozen=True)
class Recorded:
    t: float
    data: bytes


@dataclass(frozen=True)
class Case:
    action_id: str
    channel: str
    response: Recorded
    events: tuple[Recorded, ...]  # the created channels' events, ending with the OriginateResponse


@dataclass(frozen=True)
class OriginateCapture:
    banner: bytes
    login_action_id: str
    login_response: bytes
    cases: dict[str, Case]


def _read(path: Path) -> bytes:
    # The demo ships the capture gzipped (hotline/demo_data); the fixtures folder has it plain.
    packed = Path(f"{path}.gz")
    return gzip.decompress(packed.read_bytes()) if packed.exists() else path.read_bytes()


def load(directory: Path) -> OriginateCapture:
    base = directory / "callback_dial.originator"
    try:
        ami = _read(Path(f"{base}.ami"))
        rows = [json.loads(line) for line in _read(Path(f"{base}.jsonl")).decode("utf-8").splitlines()]
    except (OSError, json.JSONDecodeError) as exc:
        raise CaptureError(f"{base}: cannot read the originator capture: {exc}") from None
    inbound = [row for row in rows if row.get("dir") == "in"]
    data = {row["i"]: ami[row["off"] : row["off"] + row["len"]] for row in inbound}
    banner = next(data[row["i"]] for row in inbound if row.get("kind") == "banner")
    login = next(row for row in rows if row.get("dir") == "out" and row.get("action") == "Login")
    login_response = next(
        data[row["i"]]
        for row in inbound
        if row.get("kind") == "response" and row.get("action_id") == login["action_id"]
    )
    originates = {
        row["action_id"]: parse(row["data"]).get("Channel", "")
        for row in rows
        if row.get("dir") == "out" and row.get("action") == "Originate"
    }
    cases: dict[str, Case] = {}
    for name, action_id in CASES.items():
        response = next(r for r in inbound if r.get("kind") == "response" and r.get("action_id") == action_id)
        final = next(
            r for r in inbound if r.get("name") == "OriginateResponse" and r.get("action_id") == action_id
        )
        channel = originates[action_id]
        mark = channel.removesuffix("/n").encode()
        events = [
            Recorded(r["t"], data[r["i"]])
            for r in inbound
            if response["i"] < r["i"] < final["i"] and r.get("kind") == "event" and mark in data[r["i"]]
        ]
        events.append(Recorded(final["t"], data[final["i"]]))
        cases[name] = Case(action_id, channel, Recorded(response["t"], data[response["i"]]), tuple(events))
    return OriginateCapture(banner, login["action_id"], login_response, cases)


def _with_action_id(data: bytes, old: str, new: str) -> bytes:
    return data.replace(b"ActionID: " + old.encode() + b"\r\n", b"ActionID: " + new.encode() + b"\r\n")


class OriginateReplay:
    """Serve the capture's answers to Originate; `received` keeps every action the client sent."""

    def __init__(
        self, directory: Path, script: list[str], *, speed: float = 1.0, host: str = "127.0.0.1"
    ) -> None:
        unknown = [name for name in script if name not in CASES]
        if unknown:
            raise CaptureError(f"unknown callback_dial cases {unknown}; known: {', '.join(CASES)}")
        self.capture = load(directory)
        self.script = list(script)
        self.speed = speed
        self.host = host
        self.received: list[Message] = []
        self.played: list[str] = []
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(self.capture.banner)
        try:
            while (frame := await read_frame(reader)) is not None:
                self._answer(parse(frame), writer)
                await writer.drain()
        except (OSError, ConnectionError, AmiError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    def _answer(self, action: Message, writer: asyncio.StreamWriter) -> None:
        self.received.append(action)
        action_id = action.get("ActionID", "")
        if action.get("Action") == "Login":
            writer.write(
                _with_action_id(self.capture.login_response, self.capture.login_action_id, action_id)
            )
        elif action.get("Action") == "Originate" and self.script:
            name = self.script.pop(0)
            self.played.append(name)
            task = asyncio.create_task(self._play(self.capture.cases[name], action_id, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _play(self, case: Case, action_id: str, writer: asyncio.StreamWriter) -> None:
        writer.write(_with_action_id(case.response.data, case.action_id, action_id))
        start = case.response.t
        loop = asyncio.get_running_loop()
        began = loop.time()
        for event in case.events:
            delay = (event.t - start) / self.speed - (loop.time() - began)
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(_with_action_id(event.data, case.action_id, action_id))
        with contextlib.suppress(OSError, ConnectionError):
            await writer.drain()
