"""panoramisk adapter: one AMI connection, with our framing, ordering and liveness rules.

What we change in panoramisk (by subclassing, not vendoring):
* framing: bytes are split into frames before decoding (see framing.py), bad frames are counted;
* dispatch: every message goes, synchronously and in arrival order, into one callback that only
  enqueues it (panoramisk would start each callback as an untracked task);
* reconnect: panoramisk's fixed-delay reconnect and its unchecked Ping are switched off; the caller
  (PbxLink) reconnects with backoff and checks that every Ping gets its reply in time;
* snapshot lists: their responses and items (tagged with our ActionID) bypass panoramisk's guessing
  of multi-message responses and reach the ordered consumer like any event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from panoramisk import Manager
from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from ami_listener.framing import FrameSplitter
from hotline.errors import AmiError

log = logging.getLogger(__name__)

LIST_PREFIX = "hotline-list-"

MessageSink = Callable[[Message], None]
FrameErrorSink = Callable[[str, str], None]


class HotlineProtocol(AMIProtocol):  # type: ignore[misc]
    def __init__(self, owner: AmiConnection) -> None:
        super().__init__()
        self._owner = owner

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        # panoramisk attaches the factory only in a later callback; the banner can arrive before it.
        self.factory = self._owner
        self.encoding = "utf8"
        self.splitter = FrameSplitter()

    def data_received(self, data: bytes) -> None:
        factory = self.factory
        splitter = self.splitter
        skipped = splitter.skipped
        frames = splitter.feed(data, factory.noise_filter)
        if splitter.skipped != skipped:
            factory.noise_seen(splitter.skipped - skipped)
        for frame in frames:
            if not frame.valid_utf8:
                factory.frame_error("frame is not valid UTF-8 (bad bytes replaced)", frame.text)
            message = Message.from_line(frame.text)
            if message is None:
                factory.frame_error("frame has neither Event nor Response", frame.text)
                continue
            self.handle_message(message)
        if getattr(self, "version", None) is None and self.splitter.banner:
            self.version = self.splitter.banner.partition("/")[2].strip()

    def handle_message(self, message: Message) -> None:
        action_id = message.action_id
        if isinstance(action_id, str) and action_id.startswith(LIST_PREFIX):
            self.factory.dispatch(message)
            return
        super().handle_message(message)


class AmiConnection(Manager):  # type: ignore[misc]
    """A panoramisk Manager that reports loss instead of reconnecting by itself."""

    def __init__(
        self,
        *,
        on_message: MessageSink,
        on_frame_error: FrameErrorSink,
        on_lost: Callable[[BaseException | None], None],
        noise_filter: Callable[[bytes], bool] | None = None,
        on_noise: Callable[[int], None] | None = None,
        **config: Any,
    ) -> None:
        config.setdefault("protocol_factory", lambda: HotlineProtocol(self))
        config.setdefault("ping_delay", 10**6)  # panoramisk's own pinger never checks replies: off
        super().__init__(**config)
        self._on_message = on_message
        self._on_frame_error = on_frame_error
        self._on_lost = on_lost
        self.noise_filter = noise_filter
        self._on_noise = on_noise
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._login: asyncio.Future[Any] | None = None

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        if f.cancelled() or f.exception() is not None:
            return  # PbxLink awaits the same future and handles the error
        super().connection_made(f)
        # Kept here: panoramisk sets authenticated_future back to None as soon as the answer is in,
        # which on a fast PBX can be before open() looks at it.
        self._login = self.authenticated_future

    def connection_lost(self, exc: BaseException | None) -> None:
        self._connected = False
        if not self._closed.done():
            self._closed.set_result(None)
        pinger = getattr(self, "pinger", None)
        if pinger is not None:
            pinger.cancel()
            self.pinger = None
        self._on_lost(exc if isinstance(exc, BaseException) else None)

    def ping(self) -> None:
        """Disabled: PbxLink sends Ping itself and waits for the reply."""

    def dispatch(self, event: Message) -> list[str]:
        self._on_message(event)
        return []

    def noise_seen(self, count: int) -> None:
        if self._on_noise is not None:
            self._on_noise(count)

    def frame_error(self, reason: str, sample: str) -> None:
        self._on_frame_error(reason, sample)

    async def open(self, limit_s: float) -> None:
        """Connect and log in; raises OSError, TimeoutError or AmiError."""
        task = self.connect()
        await asyncio.wait_for(asyncio.shield(task), limit_s)
        await asyncio.sleep(0)  # let panoramisk's connection_made callback run and send Login
        login = self._login
        if login is None:
            raise AmiError("AMI connection closed before login")
        done, _ = await asyncio.wait(
            [login, self._closed], timeout=limit_s, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            raise TimeoutError(f"no answer to Login within {limit_s} s")
        if not login.done():
            raise AmiError("AMI connection closed during login")
        response = login.result()
        if not response.success:
            raise AmiError(f"AMI login refused: {response.get('Message', response)}")

    def request_list(self, action: str, action_id: str) -> None:
        """Send a list action whose response and items reach on_message in stream order."""
        protocol = self.protocol
        if protocol is None or protocol.closed:
            return
        text = str(Action({"Action": action, "ActionID": action_id}))
        protocol.transport.write(text.encode(self.config["encoding"]))

    async def asterisk_version(self, limit_s: float) -> str | None:
        """AsteriskVersion from CoreSettings, or None when the PBX does not tell us."""
        try:
            response = await asyncio.wait_for(self.send_action({"Action": "CoreSettings"}), limit_s)
        except TimeoutError:
            return None
        version = response.get("AsteriskVersion") if response.success else None
        return str(version) if version else None

    async def ping_once(self, limit_s: float) -> None:
        """Raises TimeoutError when the PBX does not answer Ping in time (half-open connection)."""
        future = self.send_action({"Action": "Ping"})
        await asyncio.wait_for(future, limit_s)
