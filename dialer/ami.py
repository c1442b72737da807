"""A small AMI client for the dialer: log in, send Originate, wait for its OriginateResponse.

The dialer's AMI user has `write = originate` and `read = call` (OriginateResponse is a `call` class
event); it does not need the listener's event stream, so a tiny client on asyncio streams does: one
reader task reads whole frames (up to the blank line, decoded only then, so a Cyrillic caller name
split across TCP reads stays whole) and resolves the waiters by ActionID. OriginateResponse is
broadcast to every user with read `call`, so events of other users' ActionIDs are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import Sequence

from hotline.errors import AmiError

log = logging.getLogger(__name__)

Message = dict[str, str]
FRAME_END = b"\r\n\r\n"
MAX_FRAME_BYTES = 1 << 20  # a real frame is a few KB; a larger one is garbage


async def read_frame(reader: asyncio.StreamReader) -> str | None:
    """The next AMI frame without its blank line; None at the end of the stream."""
    try:
        raw = await reader.readuntil(FRAME_END)
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError as exc:
        raise AmiError(f"AMI frame larger than {MAX_FRAME_BYTES} bytes") from exc
    return raw[: -len(FRAME_END)].decode("utf-8", "replace")


def parse(text: str) -> Message:
    headers: Message = {}
    for line in text.split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep and key not in headers:
            headers[key] = value
    return headers


def encode(action: str, action_id: str, fields: Sequence[tuple[str, str]]) -> bytes:
    lines = [("Action", action), ("ActionID", action_id), *fields]
    for key, value in lines:
        if "\r" in value or "\n" in value:
            raise AmiError(f"AMI header {key} must not contain a line break")
    return ("".join(f"{key}: {value}\r\n" for key, value in lines) + "\r\n").encode()


class DialerAmi:
    def __init__(self, host: str, port: int, username: str, secret: str, *, timeout_s: float = 10.0) -> None:
        self.host, self.port, self.username, self.secret = host, port, username, secret
        self.timeout_s = timeout_s
        self._prefix = f"hotline-dialer-{uuid.uuid4().hex[:8]}"
        self._ids = itertools.count(1)
        self._responses: dict[str, asyncio.Future[Message]] = {}
        self._originates: dict[str, asyncio.Future[Message]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    def next_action_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def connect(self) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=MAX_FRAME_BYTES), self.timeout_s
            )
            banner = await asyncio.wait_for(reader.readline(), self.timeout_s)
        except (OSError, TimeoutError) as exc:
            raise AmiError(f"dialer: cannot reach AMI at {self.host}:{self.port}: {exc}") from None
        if not banner.startswith(b"Asterisk Call Manager/"):
            writer.close()
            raise AmiError(f"dialer: {self.host}:{self.port} is not an AMI port (banner {banner[:40]!r})")
        self._writer = writer
        self.closed.clear()
        self._reader_task = asyncio.create_task(self._read(reader), name="dialer-ami-reader")
        answer = await self.action(
            "Login", [("Username", self.username), ("Secret", self.secret), ("Events", "on")]
        )
        if answer.get("Response") != "Success":
            await self.close()
            raise AmiError(f"dialer: AMI login as {self.username!r} refused: {answer.get('Message', '')}")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self._writer.wait_closed()
            self._writer = None
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
            self._reader_task = None
        self._fail_waiters()

    async def action(
        self, name: str, fields: Sequence[tuple[str, str]], action_id: str | None = None
    ) -> Message:
        """Send one action and wait for its Response."""
        if self._writer is None:
            raise AmiError("dialer: not connected to AMI")
        action_id = action_id or self.next_action_id()
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._responses[action_id] = future
        self._writer.write(encode(name, action_id, fields))
        await self._writer.drain()
        try:
            return await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            raise AmiError(f"dialer: no answer to {name} within {self.timeout_s} s") from None
        finally:
            self._responses.pop(action_id, None)

    def expect_originate(self, action_id: str) -> asyncio.Future[Message]:
        """Register before sending: the OriginateResponse may come right after the Response."""
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._originates[action_id] = future
        return future

    def forget_originate(self, action_id: str) -> None:
        self._originates.pop(action_id, None)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while (frame := await read_frame(reader)) is not None:
                self._dispatch(parse(frame))
        except (OSError, ConnectionError, AmiError) as exc:
            log.warning("dialer AMI connection lost", extra={"error": str(exc)})
        finally:
            self.closed.set()
            self._fail_waiters()

    def _dispatch(self, message: Message) -> None:
        action_id = message.get("ActionID", "")
        # OriginateResponse is an event that carries a `Response:` header too: test Event first.
        if message.get("Event") == "OriginateResponse":
            waiter = self._originates.pop(action_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)
        elif "Response" in message and "Event" not in message:
            future = self._responses.get(action_id)
            if future is not None and not future.done():
                future.set_result(message)

    def _fail_waiters(self) -> None:
        for waiters in (self._responses, self._originates):
            for future in waiters.values():
                if not future.done():
                    future.set_exception(AmiError("dialer: AMI connection closed"))
            waiters.clear()
