"""The FastAGI server: accepts PBX connections on the event loop, runs each call in a worker thread.

Concurrency model: pyst2 speaks AGI over blocking text streams, so each call gets one thread of a
bounded pool (`agi.max_sessions`, 300 by default); the event loop only accepts, checks the peer
address, reads the environment block, and enforces the per-call time limit. A connection takes a
call slot only once its whole environment has arrived, within `agi.handshake_timeout_s` and
`agi.max_env_lines`: idle or endless connections are cut without holding a slot or a thread. A call
over capacity is refused at once (Asterisk then continues the dialplan with AGISTATUS=FAILURE, which
our dialplan sends to the operator queue), never left hanging. A crash in one call is caught in its
thread and touches no other call.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import ipaddress
import logging
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, cast

from sqlalchemy.orm import Session, sessionmaker

from hotline.catalogue import Catalogue
from hotline.settings import Settings
from hotline.timeutil import utcnow
from ivr.session import CallControl, CallHandler, CallResult
from ivr.store import IvrStore

log = logging.getLogger(__name__)

# After the call's time limit the dialog is asked to stop; the socket is cut this much later.
CUT_AFTER_EXPIRY_S = 2.0
# At shutdown, how long a handed-off call may take to reach the dialplan (Asterisk stops the
# prompt as soon as our lines arrive) before its socket is cut anyway.
HANDOFF_WAIT_S = 10.0
MAX_ENV_LINE = 65536  # as ivr.agi reads reply lines: far beyond any real agi_* line
# Connections still sending their environment are bounded too (file descriptors), but more loosely
# than calls: each lasts at most agi.handshake_timeout_s.
HANDSHAKES_PER_SLOT = 4


class BadEnvironment(Exception):
    """The peer's environment block breaks a limit: not an Asterisk speaking FastAGI."""


@dataclass(eq=False)
class _Call:
    conn: socket.socket
    peer: str
    environment: str  # the environment block, read before the call was admitted
    control: CallControl = field(default_factory=CallControl)
    future: asyncio.Future[CallResult] | None = None
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.shutdown(socket.SHUT_RDWR)


@dataclass
class ServerStats:
    accepted: int = 0
    completed: int = 0
    refused_peer: int = 0
    refused_capacity: int = 0
    errors: int = 0
    expired: int = 0
    commands_rejected: int = 0
    handshake_timeouts: int = 0
    bad_environments: int = 0


def normalize_host(host: str) -> str:
    """'::ffff:127.0.0.1' (IPv4 on a dual-stack socket) -> '127.0.0.1'."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def pbx_resolver(settings: Settings) -> Callable[[str], str]:
    """Map a FastAGI peer address to the PBX name from settings.ami.pbxes (fallback 'default')."""
    table: dict[str, str] = {}
    for pbx in settings.ami.pbxes:
        for address in (pbx.agi_peer, pbx.host):
            if address:
                table.setdefault(normalize_host(address), pbx.name)
    return lambda host: table.get(normalize_host(host), "default")


class AgiServer:
    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        catalogue: Catalogue,
        *,
        store: IvrStore | None = None,
        clock: Callable[[], datetime] = utcnow,
        grace_s: float = 5.0,
        cut_after_expiry_s: float = CUT_AFTER_EXPIRY_S,
        handoff_wait_s: float = HANDOFF_WAIT_S,
    ) -> None:
        self.settings = settings
        self.grace_s = grace_s
        self.handoff_wait_s = handoff_wait_s
        self.cut_after_expiry_s = cut_after_expiry_s
        self.allowed = {normalize_host(host) for host in settings.agi.allowed_peers}
        store = store or IvrStore(
            session_factory,
            lookups_per_hour=settings.agi.status_lookups_per_hour,
            zone=settings.zone,
            limits=settings.lookups,
            sms=settings.sms,
            sounds_dir=settings.agi.sounds_dir,
        )
        self.handler = CallHandler(
            catalogue,
            store,
            pbx_for_peer=pbx_resolver(settings),
            max_retries=settings.agi.max_menu_retries,
            clock=clock,
        )
        self.stats = ServerStats()
        self._calls: set[_Call] = set()
        self._handshakes: set[asyncio.Task[None]] = set()
        self._sock: socket.socket | None = None
        self._accept_task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None

    @property
    def active_calls(self) -> int:
        return len(self._calls)

    async def start(self) -> int:
        """Listen; returns the bound port (settings.agi.port may be 0)."""
        agi = self.settings.agi
        self._sock = socket.create_server((agi.host, agi.port), backlog=1024)
        self._sock.setblocking(False)
        self._executor = ThreadPoolExecutor(max_workers=agi.max_sessions, thread_name_prefix="agi-call")
        self._accept_task = asyncio.create_task(self._accept_loop(), name="agi-accept")
        port: int = self._sock.getsockname()[1]
        log.info(
            "FastAGI listening on %s:%d",
            agi.host,
            port,
            extra={"allowed_peers": ",".join(sorted(self.allowed))},
        )
        return port

    async def close(self) -> None:
        """Stop accepting, let running calls finish for `grace_s`, then hand each to a queue.

        A call still in the IVR after the grace period gets its final variables (the queue its
        dialog chose, or the operator's) and our side of the socket closes: the dialplan queues
        the caller. Only a call that does not end even then is cut. No thread is left.
        """
        if self._accept_task is not None:
            self._accept_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accept_task
            self._accept_task = None
        for handshake in list(self._handshakes):
            handshake.cancel()
        await asyncio.gather(*self._handshakes, return_exceptions=True)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        running = [call.future for call in self._calls if call.future is not None]
        if running:
            _done, pending = await asyncio.wait(running, timeout=self.grace_s)
            if pending:
                calls = list(self._calls)
                handed = await asyncio.gather(
                    *(asyncio.to_thread(self.handler.hand_off, call.control, call.conn) for call in calls)
                )
                log.warning("IVR stopping: %d calls still running handed to a queue", sum(handed))
                _done, pending = await asyncio.wait(pending, timeout=self.handoff_wait_s)
            if pending:
                log.warning("cutting %d IVR calls still running at shutdown", len(pending))
                for call in list(self._calls):
                    call.control.expired.set()
                    call.cut()
                await asyncio.wait(pending)
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, wait=True)
        log.info(
            "FastAGI server stopped", extra={f"calls_{key}": value for key, value in vars(self.stats).items()}
        )

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        while True:
            try:
                conn, address = await loop.sock_accept(self._sock)
            except OSError as exc:  # e.g. out of file descriptors: keep serving the calls we have
                log.error("FastAGI accept failed: %s", exc)
                await asyncio.sleep(0.1)
                continue
            peer = normalize_host(str(address[0]))
            if peer not in self.allowed:
                self.stats.refused_peer += 1
                log.warning("refused FastAGI connection from %s: not in agi.allowed_peers", peer)
                conn.close()
                continue
            if len(self._handshakes) >= HANDSHAKES_PER_SLOT * self.settings.agi.max_sessions:
                self.stats.refused_capacity += 1
                log.error("refused FastAGI connection from %s: too many connections not yet speaking", peer)
                conn.close()
                continue
            handshake = asyncio.create_task(self._handshake(loop, conn, peer), name="agi-handshake")
            self._handshakes.add(handshake)
            handshake.add_done_callback(self._handshakes.discard)

    async def _handshake(self, loop: asyncio.AbstractEventLoop, conn: socket.socket, peer: str) -> None:
        """Read the environment block on the event loop, then admit the call; or cut the connection."""
        agi = self.settings.agi
        try:
            environment = await asyncio.wait_for(self._read_environment(loop, conn), agi.handshake_timeout_s)
        except TimeoutError:
            self.stats.handshake_timeouts += 1
            log.warning(
                "FastAGI peer %s sent no complete environment in %.1f s; cut", peer, agi.handshake_timeout_s
            )
            conn.close()
            return
        except BadEnvironment as exc:
            self.stats.bad_environments += 1
            log.warning("FastAGI peer %s cut: %s", peer, exc)
            conn.close()
            return
        except BaseException:  # the peer went away, or the server is closing
            conn.close()
            raise
        if environment is None:
            log.info("FastAGI peer %s closed before sending its environment", peer)
            conn.close()
            return
        try:
            self._admit(loop, conn, peer, environment)
        except Exception:  # never let one bad connection stop the others
            log.exception("cannot start an IVR call")
            conn.close()

    async def _read_environment(self, loop: asyncio.AbstractEventLoop, conn: socket.socket) -> str | None:
        """The bytes up to and including the blank line that ends the agi_* block; None if closed first."""
        received = bytearray()
        lines = 0
        while True:
            chunk = await loop.sock_recv(conn, 4096)
            if not chunk:
                return None
            start = len(received)
            received += chunk
            for offset in range(start, len(received)):
                if received[offset] != 0x0A:
                    continue
                lines += 1
                line_start = received.rfind(b"\n", 0, offset) + 1
                if not received[line_start:offset].strip(b"\r"):
                    return received.decode("utf-8", errors="replace")
                if lines > self.settings.agi.max_env_lines:
                    raise BadEnvironment(f"environment longer than {self.settings.agi.max_env_lines} lines")
            if len(received) - (received.rfind(b"\n") + 1) > MAX_ENV_LINE:
                raise BadEnvironment(f"an environment line longer than {MAX_ENV_LINE} bytes")

    def _admit(
        self, loop: asyncio.AbstractEventLoop, conn: socket.socket, peer: str, environment: str
    ) -> None:
        if len(self._calls) >= self.settings.agi.max_sessions:
            self.stats.refused_capacity += 1
            log.error(
                "refused FastAGI connection from %s: %d calls already running (agi.max_sessions)",
                peer,
                len(self._calls),
            )
            conn.close()
            return
        assert self._executor is not None
        self.stats.accepted += 1
        conn.setblocking(True)
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        call = _Call(conn, peer, environment)
        self._calls.add(call)
        call.future = loop.run_in_executor(self._executor, self._serve, call)
        call.timers.append(loop.call_later(self.settings.agi.call_timeout_s, self._expire, loop, call))
        call.future.add_done_callback(lambda future: self._done(call, future))

    def _expire(self, loop: asyncio.AbstractEventLoop, call: _Call) -> None:
        self.stats.expired += 1
        log.warning("IVR call from %s passed agi.call_timeout_s; ending it", call.peer)
        call.control.expired.set()
        call.timers.append(loop.call_later(self.cut_after_expiry_s, call.cut))

    def _done(self, call: _Call, future: asyncio.Future[CallResult]) -> None:
        for timer in call.timers:
            timer.cancel()
        self._calls.discard(call)
        self.stats.completed += 1
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self.stats.errors += 1
            log.error("IVR worker crashed", exc_info=error)
            return
        result = future.result()
        self.stats.commands_rejected += result.commands_rejected
        if result.error:
            self.stats.errors += 1

    def _serve(self, call: _Call) -> CallResult:
        """Worker thread: one whole call on blocking streams."""
        conn = call.conn
        reader = conn.makefile("r", encoding="utf-8", errors="replace", newline="\n")
        writer = conn.makefile("w", encoding="utf-8", newline="\n")
        try:
            replayed = cast(IO[str], _Replayed(call.environment, reader))
            return self.handler.handle(replayed, writer, call.peer, call.control)
        finally:
            for stream in (writer, reader):
                with contextlib.suppress(OSError):
                    stream.close()
            if call.control.handed_off:
                _drain(conn, self.handoff_wait_s)
            conn.close()


def _drain(conn: socket.socket, timeout_s: float) -> None:
    """Read until Asterisk closes, so our final lines are not lost to a reset from our close."""
    with contextlib.suppress(OSError):
        conn.settimeout(timeout_s)
        while conn.recv(4096):
            pass


class _Replayed:
    """Reads the environment already received first, then the socket (pyst2 reads it line by line)."""

    def __init__(self, head: str, rest: IO[str]) -> None:
        self._head = io.StringIO(head)
        self._rest = rest

    def readline(self, size: int = -1) -> str:
        line = self._head.readline(size)
        if not line:
            return self._rest.readline(size)
        if not line.endswith("\n") and (size < 0 or len(line) < size):
            # The bytes received with the environment ended mid-line: the rest is on the socket.
            line += self._rest.readline(size - len(line) if size >= 0 else -1)
        return line
