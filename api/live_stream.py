"""A viewer's share of the live hub: its mailbox, and its Server-Sent-Events stream as bare ASGI.

Every change goes to every connected viewer, so what runs per viewer and change is kept to the least.
The hub puts its bytes (encoded once) in each viewer's `Mailbox`: a list append and, if the stream
sleeps, one future set. The stream (`LiveStream`) takes everything pending in one go and hands it to
the server's `send` as one write, with no generator, task group or per-chunk check in between
(Starlette's StreamingResponse has all three). A lagging viewer's mailbox stays bounded: the hub
replaces its backlog with the latest whole state (api.live_hub). An idle second task per viewer notices
the browser going away, so a closed wallboard stops costing anything at once.
`sse_stream` is the plainer stream of a page that wants only some of the hub's messages (the desk).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from api.live_hub import LiveHub

HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


class Mailbox:
    """Messages for one viewer, in order. Only the hub puts; one reader takes."""

    __slots__ = ("_items", "_waiter", "closed")

    def __init__(self) -> None:
        self._items: list[bytes] = []
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False

    def put(self, message: bytes) -> None:
        self._items.append(message)
        self._wake()

    def replace(self, message: bytes) -> None:
        """Drop what is pending for `message` (the hub's latest whole state for a lagging viewer)."""
        self._items = [message]
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def _wait(self) -> None:
        while not self._items and not self.closed:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter

    async def take(self) -> list[bytes]:
        """Everything pending, once there is something; [] once closed and empty."""
        await self._wait()
        items, self._items = self._items, []
        return items

    async def get(self) -> bytes:
        """The next message (as asyncio.Queue.get)."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return self._items.pop(0)

    def get_nowait(self) -> bytes:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items


class LiveStream(StreamingResponse):
    """`first`, then whatever the hub sends, until `max_s` has passed or the browser went away.

    A StreamingResponse to the routes that return one; nothing of its streaming is used."""

    media_type = "text/event-stream"

    def __init__(self, hub: LiveHub, first: bytes, *, masked: bool, max_s: float) -> None:
        # As StreamingResponse: no body, so no Content-Length header.
        self.status_code = 200
        self.background = None
        self.init_headers(HEADERS)
        self.hub = hub
        self.first = first
        self.max_s = max_s
        # Subscribed now, before `first` is sent, so no change between them is lost.
        self.mailbox = hub.subscribe(masked=masked)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        mailbox = self.mailbox
        # The writes run in a task of their own: this coroutine sits under some twenty middleware and
        # routing frames, and each wake-up here would resume every one of them, for every viewer and change.
        pump = asyncio.create_task(self._pump(send))
        watcher = asyncio.create_task(_until_disconnected(receive, mailbox))
        # The browser reconnects at once when the stream ends (SSE retry), its session checked again.
        ends = asyncio.get_running_loop().call_later(self.max_s, mailbox.close)
        try:
            await pump
        finally:
            ends.cancel()
            watcher.cancel()
            pump.cancel()
            self.hub.unsubscribe(mailbox)

    async def _pump(self, send: Send) -> None:
        mailbox = self.mailbox
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.first, "more_body": True})
        while messages := await mailbox.take():
            body = messages[0] if len(messages) == 1 else b"".join(messages)
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnected(receive: Receive, mailbox: Mailbox) -> None:
    with contextlib.suppress(OSError):
        while (await receive())["type"] != "http.disconnect":
            pass
    mailbox.close()


def sse_stream(
    hub: LiveHub,
    first: bytes,
    *,
    max_s: float,
    pick: Callable[[bytes], bytes | None] = lambda m: m,
    masked: bool = False,
) -> AsyncIterator[bytes]:
    """A viewer's stream: `first`, then the hub's messages as `pick` turns them (None drops one),
    until `max_s` has passed (the browser reconnects at once and its session is checked again)."""

    queue = hub.subscribe(masked=masked)  # before `first` is sent, so no change between them is lost

    async def events() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + max_s
        try:
            yield first
            while loop.time() < ends_at:
                message = pick(await queue.get())
                if message is not None:
                    yield message
        finally:
            hub.unsubscribe(queue)

    return events()
