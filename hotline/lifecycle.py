"""One owner for a process's background tasks: signals, ordered shutdown, one TaskGroup.

    async with Lifecycle("ivr") as life:
        life.on_shutdown(server.close)         # 1. stop accepting (in the order registered)
        life.spawn(worker(), name="worker")    # runs in the TaskGroup
        await life.wait()                      # until SIGINT/SIGTERM, stop.set() or a task ends
    # 2. tasks drain for `grace_s`, 3. what still runs is cancelled; a task's failure is raised here

A task that ends (normally or not) stops the process, unless spawned with `ends_process=False`.
Failures are logged once when they happen; the first one is raised after the ordered shutdown, so the
CLI turns it into its usual one-line error.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
T = TypeVar("T")


class Lifecycle:
    def __init__(self, name: str, *, grace_s: float = 10.0, handle_signals: bool = True) -> None:
        self.name = name
        self.grace_s = grace_s
        self.stop = asyncio.Event()
        self._handle_signals = handle_signals
        self._group = asyncio.TaskGroup()
        self._tasks: list[asyncio.Task[None]] = []
        self._steps: list[Callable[[], Awaitable[object]]] = []
        self._failures: list[tuple[str, BaseException]] = []
        self._ended = asyncio.Event()
        self._signals: list[signal.Signals] = []

    async def __aenter__(self) -> Self:
        await self._group.__aenter__()
        if self._handle_signals:
            loop = asyncio.get_running_loop()
            for signum in STOP_SIGNALS:
                loop.add_signal_handler(signum, self.stop.set)
                self._signals.append(signum)
        return self

    def add_signal(self, signum: signal.Signals, callback: Callable[[], object]) -> None:
        """Another signal (SIGHUP: reload); ignored where the platform has none."""
        with contextlib.suppress(NotImplementedError, AttributeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signum, callback)
            self._signals.append(signum)

    def on_shutdown(self, step: Callable[[], Awaitable[object]]) -> None:
        """A shutdown step (stop accepting, close a server); steps run in the order registered."""
        self._steps.append(step)

    def spawn(
        self, work: Coroutine[Any, Any, object], *, name: str, ends_process: bool = True
    ) -> asyncio.Task[None]:
        task = self._group.create_task(self._supervised(work, name, ends_process), name=name)
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)
        return task

    async def _supervised(self, work: Coroutine[Any, Any, object], name: str, ends_process: bool) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Kept out of the TaskGroup, which would cancel the other tasks without their drain.
            log.error("%s component failed", self.name, extra={"component": name, "error": repr(exc)})
            self._failures.append((name, exc))
        finally:
            if ends_process:
                self._ended.set()

    async def wait(self, *events: asyncio.Event) -> None:
        """Until stop is set, one of `events` is set or a task ends; a task's failure raises here."""
        waiters = [asyncio.ensure_future(event.wait()) for event in (self.stop, self._ended, *events)]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failures:
            raise self._failures[0][1]

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop.set()
        try:
            for step in self._steps:
                try:
                    await step()
                except Exception as exc:
                    log.error("%s shutdown step failed", self.name, extra={"error": repr(exc)})
            pending = list(self._tasks)
            if pending:
                _, hanging = await asyncio.wait(pending, timeout=self.grace_s)
                for task in hanging:
                    log.warning(
                        "%s: cancelled after the grace period", self.name, extra={"task": task.get_name()}
                    )
                    task.cancel()
            # Tasks never raise (they are supervised); the body's own error propagates as itself,
            # not wrapped in an ExceptionGroup. Cancellation and KeyboardInterrupt go through the group.
            through = None if error is None or isinstance(error, Exception) else error
            await self._group.__aexit__(type(through) if through else None, through, tb if through else None)
        finally:
            loop = asyncio.get_running_loop()
            for signum in self._signals:
                loop.remove_signal_handler(signum)
        if error is None:
            self._raise_failure()


def bounded_queue(maxsize: int) -> asyncio.Queue[T]:
    """A queue with a limit, so a slow consumer shows as back-pressure, never as memory growth."""
    if maxsize <= 0:
        raise ValueError("a bounded queue needs maxsize > 0")
    return asyncio.Queue(maxsize)


# Young collections every 10,000 net allocations instead of CPython's 700: fewer objects are promoted,
# so full collections, which walk everything the process holds, come rarely.
GC_YOUNG_THRESHOLD = 10_000
# Start-up is over by then (app built, state restored, first connections made): what exists is kept.
GC_SETTLE_AFTER_S = 10.0


def settle_gc() -> None:
    """Keep collector pauses out of a long-running service's event loop.

    A service holds several hundred thousand long-lived objects (modules, SQLAlchemy and Pydantic
    machinery, the app). CPython's full collection walks them all: 100-220 ms with the loop stopped,
    which a wallboard sees as a change arriving that much late. Frozen objects are never walked again
    (they are still freed by reference counting), and a higher young threshold makes full collections rare.
    """
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(max(_young, GC_YOUNG_THRESHOLD), middle, old)


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on uvloop when installed (uvicorn[standard] brings it), as `uvicorn.run` does: the
    live stream writes each change to hundreds of sockets, and uvloop's loop and transports do that at a
    fraction of the CPU. The collector is settled (`settle_gc`) before start and once start-up is over."""
    settle_gc()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] is a dependency
        return asyncio.run(_settling(main))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_settling(main))


async def _settling(main: Coroutine[Any, Any, T]) -> T:
    # Only a freeze here, no collection: moving the objects aside is cheap, a collection is the pause.
    asyncio.get_running_loop().call_later(GC_SETTLE_AFTER_S, gc.freeze)
    return await main
