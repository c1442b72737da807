"""A local TCP server that plays an Asterisk AMI capture back like the PBX it came from.

It sends the recorded banner, answers Login with the recorded login response (our client's ActionID
substituted), then sends the recorded messages with their recorded timing (`speed` 1.0 = real time,
0 = as fast as possible). Each event gets a `Timestamp:` header with its recorded wall time, exactly
as Asterisk sends it with `timestampevents = yes`, so replays reproduce the original times.

While playing it answers Ping and the snapshot lists (QueueStatus, CoreShowChannels) that the capture
does not answer itself (a live capture holds the real answers to the first ones) from the state the
capture had reached at that point (channels, waiting callers and members seen so far), in the
list format the captures show. Fault injection: `cuts` are byte offsets of the capture at which the
connection is closed mid-message; the next connection resumes at the message that was cut (Asterisk kept
running meanwhile, and nothing it said is lost). `next_parts` are served to later connections (the
`restart` capture); `loop=True` replays again and again with ids and times renumbered.
`present=True` re-times the capture to now, as a live PBX stamps its events: the first message carries
the time the replay starts and later ones follow at `speed`, so waits shown on screens are real seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Sequence
from pathlib import Path

from ami_listener.capture import RecordedMessage, Renumbered, load_capture, parse_frame, with_timestamp
from ami_listener.replay_mirror import Mirror, frame
from hotline.errors import CaptureError

log = logging.getLogger(__name__)

_ACTION_ID = re.compile(rb"\r\nActionID: ([^\r]*)\r\n")
# Epoch seconds in QueueMember/QueueMemberStatus; 0 (never) stays 0.
_MEMBER_TIME = re.compile(rb"(?<=\r\n)(LoginTime|LastCall|LastPause): (1\d{9})(?=\r\n)")


class ReplayServer:
    def __init__(
        self,
        capture: Path,
        *,
        speed: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "hotline",
        secret: str = "hotline",  # noqa: S107 - the lab captures' login
        timestamps: bool = True,
        cuts: Sequence[int] = (),
        next_parts: Sequence[Path] = (),
        loop: bool = False,
        repeat: int = 1,
        outage_s: float = 0.0,
        present: bool = False,
    ) -> None:
        if speed < 0:
            raise CaptureError("speed must be >= 0")
        if present and speed == 0:
            raise CaptureError("a replay re-timed to the present needs a speed > 0")
        self.parts = [load_capture(capture), *(load_capture(p) for p in next_parts)]
        # Action ids the capture itself answers (a live capture holds the real snapshot lists of the
        # listener's first requests): those are played as recorded, never answered from the mirror.
        self._recorded_ids = [
            {match.decode() for m in part.messages for match in _ACTION_ID.findall(m.data)}
            for part in self.parts
        ]
        self.speed = speed
        self.host = host
        self.port = port
        self.username = username
        self.secret = secret
        self.timestamps = timestamps
        self.cuts = sorted(cuts)
        self.loop = loop
        self.repeat = max(1, repeat)
        # After a cut, the PBX goes on for this long before the client is back: what happens in that
        # time is never sent (the client must learn it from the snapshot lists).
        self.outage_s = outage_s
        self._skip_until: float | None = None
        self.connections = 0
        self._part = 0
        self._index = 0  # next message of the current part
        self._round = 0
        self._mirror = Mirror()
        self._split: dict[tuple[int, int], Renumbered] = {}  # (part, offset) -> split around the ids
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()  # connections being served (close() ends them)
        self._closing = False
        self._done = asyncio.Event()
        self._busy = asyncio.Lock()
        self._eof_sent = False
        self._lists_answered = asyncio.Event()
        self._answered_kinds: set[str] = set()
        self.settle_s = 1.0
        span = (
            self.parts[0].messages[-1].wall - self.parts[0].messages[0].wall if self.parts[0].messages else 0
        )
        self._shift_step = int(span) + 10
        self.present = present
        self._first_wall = self.parts[0].messages[0].wall if self.parts[0].messages else 0.0
        self._present_origin: float | None = None  # wall clock when the first message was played

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        port: int = self._server.sockets[0].getsockname()[1]
        self.port = port
        return port

    async def wait_done(self) -> None:
        await self._done.wait()

    async def close(self) -> None:
        """Stop accepting and end the connection being played (a looping replay never ends itself)."""
        self._closing = True
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        self._done.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._done.is_set() or self._busy.locked() or self._closing:
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        async with self._busy:
            self.connections += 1
            log.debug("replay connection %d part %d index %d", self.connections, self._part, self._index)
            try:
                await self._session(reader, writer)
            except asyncio.CancelledError:
                if not self._closing:
                    raise
                # close() ended it: the handler returns normally, as asyncio's stream callback logs a
                # cancelled handler task as an error (Python 3.11).
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                log.debug("replay connection ended: %r", exc)
            except Exception:
                log.exception("replay session failed")
            finally:
                writer.close()
                self._handlers.discard(task)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        part = self.parts[self._part]
        self._eof_sent = False
        self._lists_answered = asyncio.Event()
        self._answered_kinds = set()
        writer.write(part.banner)
        login = parse_frame(await reader.readuntil(b"\r\n\r\n"))
        action_id = login.get("ActionID", "")
        if login.get("Username") != self.username or login.get("Secret") != self.secret:
            writer.write(
                frame([("Response", "Error"), ("ActionID", action_id), ("Message", "Authentication failed")])
            )
            await writer.drain()
            return
        writer.write(
            part.login_response.replace(
                f"ActionID: {part.login_action_id}".encode(), f"ActionID: {action_id}".encode()
            )
        )
        await writer.drain()
        actions = asyncio.create_task(self._answer_actions(reader, writer))
        try:
            finished = await self._play(writer)
            if finished:
                # A live PBX would still be there: give the client's resync lists time to be answered.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._lists_answered.wait(), self.settle_s)
            # Half-close (the client sees the PBX close the connection, also for a cut) but keep
            # reading until the client closes: closing at once would reset the socket when the
            # client writes, and a reset drops what the client has not read yet.
            await writer.drain()
            writer.write_eof()
            self._eof_sent = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(actions), 5.0)
        finally:
            actions.cancel()
        if finished:
            if self._part + 1 < len(self.parts):
                self._part += 1
                self._index = 0
                self._mirror = Mirror()
            else:
                self._done.set()

    def _wall(self, recorded: float) -> float:
        """The time a recorded wall time is stamped with in this round (see `present`)."""
        shifted = recorded + self._round * self._shift_step
        if self._present_origin is None:
            return shifted
        return self._present_origin + (shifted - self._first_wall) / self.speed

    def _message_bytes(self, message: RecordedMessage) -> bytes:
        shift = self._round * self._shift_step
        if self._present_origin is not None:
            # Ids are epoch seconds too: move them to the present so they read like today's calls.
            shift += int(self._present_origin - self._first_wall)
        if shift:
            key = (self._part, message.offset)
            split = self._split.get(key)
            if split is None:
                split = self._split[key] = Renumbered(message.data)
            data = split.at(shift)
        else:
            data = message.data
        if shift and _MEMBER_TIME.search(data):
            # A member's login, last call and last pause are epoch seconds too: the demo's operators
            # logged in today, not on the day of the capture (their periods and time in state show it).
            data = _MEMBER_TIME.sub(lambda m: b"%s: %d" % (m[1], int(self._wall(float(m[2])))), data)
        if self.timestamps and message.kind == "event":
            data = with_timestamp(data, self._wall(message.wall))
        return data

    async def _play(self, writer: asyncio.StreamWriter) -> bool:
        """Send from the resume point; False if the connection was cut on purpose."""
        loop = asyncio.get_running_loop()
        if self.present and self._present_origin is None:
            self._present_origin = time.time()
        while True:
            part = self.parts[self._part]
            messages = part.messages
            if self._index >= len(messages):
                if self.loop or (self._round + 1 < self.repeat and self._part == len(self.parts) - 1):
                    self._round += 1
                    self._index = 0
                    continue
                return True
            if self._skip_until is not None:
                while self._index < len(messages) and messages[self._index].t < self._skip_until:
                    skipped = messages[self._index]
                    self._mirror.observe(self._message_bytes(skipped), self._wall(skipped.wall))
                    self._index += 1
                self._skip_until = None
                if self._index >= len(messages):
                    continue
            base_t = messages[self._index].t
            started = loop.time()
            pending: list[tuple[bytes, float]] = []
            size = 0
            while self._index < len(messages):
                message = messages[self._index]
                if self.speed > 0:
                    due = started + (message.t - base_t) / self.speed
                    delay = due - loop.time()
                    if delay > 0.0005:
                        await self._send(writer, pending)
                        size = 0
                        await asyncio.sleep(delay)
                data = self._message_bytes(message)
                end = message.offset + len(message.data)
                if (
                    self.cuts
                    and self._round == 0
                    and self._part == 0
                    and message.offset <= self.cuts[0] < end
                ):
                    cut = self.cuts.pop(0)
                    await self._send(writer, pending)
                    if self.outage_s > 0:
                        self._skip_until = message.t + self.outage_s
                    writer.write(data[: max(0, cut - message.offset)])
                    return False
                pending.append((data, self._wall(message.wall)))
                size += len(data)
                self._index += 1
                if size >= 65536:
                    await self._send(writer, pending)
                    size = 0
            await self._send(writer, pending)
            if not (self.loop or (self._round + 1 < self.repeat and self._part == len(self.parts) - 1)):
                return True

    async def _send(self, writer: asyncio.StreamWriter, pending: list[tuple[bytes, float]]) -> None:
        # The mirror follows what the client has been sent, so snapshot answers match its stream.
        if not pending:
            return
        writer.write(b"".join(data for data, _ in pending))
        for data, wall in pending:
            self._mirror.observe(data, wall)
        pending.clear()
        await writer.drain()
        await asyncio.sleep(0)  # drain() does not yield while the client keeps up: answer its Pings

    async def _answer_actions(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                action = parse_frame(await reader.readuntil(b"\r\n\r\n"))
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                return
            name = action.get("Action", "").lower()
            action_id = action.get("ActionID", "")
            now = self._now()
            if name == "ping":
                frames = [
                    frame(
                        [
                            ("Response", "Success"),
                            ("ActionID", action_id),
                            ("Ping", "Pong"),
                            ("Timestamp", f"{now:.6f}"),
                        ]
                    )
                ]
            elif name in ("queuestatus", "coreshowchannels") and action_id in self._recorded_ids[self._part]:
                frames = []
            elif name == "queuestatus":
                frames = self._mirror.queue_status(action_id, now)
            elif name == "coreshowchannels":
                frames = self._mirror.core_show_channels(action_id, now)
            elif name == "logoff":
                frames = [
                    frame(
                        [
                            ("Response", "Goodbye"),
                            ("ActionID", action_id),
                            ("Message", "Thanks for all the fish."),
                        ]
                    )
                ]
            else:
                frames = [
                    frame(
                        [
                            ("Response", "Error"),
                            ("ActionID", action_id),
                            ("Message", "Invalid/unknown command"),
                        ]
                    )
                ]
            data = b"".join(frames)
            if not self.timestamps:
                data = re.sub(rb"Timestamp: [^\r]*\r\n", b"", data)
            if writer.transport.is_closing() or self._eof_sent:
                continue  # the stream is over; the client's late actions go unanswered, like a PBX gone
            writer.write(data)
            if name in ("queuestatus", "coreshowchannels"):
                self._answered_kinds.add(name)
                if len(self._answered_kinds) == 2:
                    self._lists_answered.set()

    def _now(self) -> float:
        part = self.parts[self._part]
        if not part.messages:
            return 0.0
        index = min(max(self._index - 1, 0), len(part.messages) - 1)
        return self._wall(part.messages[index].wall)
