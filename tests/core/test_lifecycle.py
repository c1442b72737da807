"""The process lifecycle: a signal stops accepting first, then tasks drain, then what hangs is cancelled."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import weakref
from collections.abc import Iterator

import pytest

from hotline.errors import HotlineError
from hotline.lifecycle import GC_YOUNG_THRESHOLD, Lifecycle, bounded_queue, settle_gc


async def test_sigterm_runs_the_shutdown_steps_in_order_then_drains_the_tasks() -> None:
    order: list[str] = []

    closed = asyncio.Event()

    async def worker() -> None:  # like the AMI listener: runs until it is told to stop, then flushes
        await closed.wait()
        order.append("worker drained")

    async def close(name: str) -> None:
        order.append(f"{name} closed")
        closed.set()

    async with Lifecycle("test") as life:
        life.on_shutdown(lambda: close("listener"))
        life.on_shutdown(lambda: close("server"))
        life.spawn(worker(), name="worker")
        asyncio.get_running_loop().call_soon(os.kill, os.getpid(), signal.SIGTERM)
        await life.wait()
        assert life.stop.is_set()
    assert order == ["listener closed", "server closed", "worker drained"]


async def test_a_task_that_ignores_stop_is_cancelled_after_the_grace_period() -> None:
    cancelled = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async with Lifecycle("test", grace_s=0.05, handle_signals=False) as life:
        task = life.spawn(stubborn(), name="stubborn")
        life.stop.set()
        await life.wait()
    assert cancelled.is_set()
    assert task.cancelled()


async def test_a_failing_task_stops_the_process_and_its_error_is_raised_after_the_drain() -> None:
    drained = asyncio.Event()

    async def fails() -> None:
        raise HotlineError("port 8000 is in use")

    async def healthy(stop: asyncio.Event) -> None:
        await stop.wait()
        drained.set()

    async def process() -> None:
        async with Lifecycle("test", handle_signals=False) as life:
            life.spawn(healthy(life.stop), name="healthy")
            life.spawn(fails(), name="fails")
            await life.wait()

    with pytest.raises(HotlineError, match="port 8000 is in use"):
        await process()
    assert drained.is_set()  # the other task was drained, not cancelled


async def test_a_background_task_that_ends_does_not_end_the_process() -> None:
    async def reload() -> None:
        return None

    async with Lifecycle("test", handle_signals=False) as life:
        await life.spawn(reload(), name="reload", ends_process=False)
        ready = asyncio.Event()
        asyncio.get_running_loop().call_later(0.01, ready.set)
        await life.wait(ready)
        assert not life.stop.is_set()


def test_bounded_queues_have_a_limit() -> None:
    queue: asyncio.Queue[int] = bounded_queue(5)
    assert queue.maxsize == 5
    with pytest.raises(ValueError, match="maxsize"):
        bounded_queue(0)


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_a_settled_service_no_longer_walks_its_start_up_objects_in_a_collection() -> None:
    # Objects alive after start-up (the app, its routes, the restored state) stand for the hundreds of
    # thousands a service holds: a full collection walking them all stops the event loop.
    held_since_start = [{"queue": name} for name in ("water", "power", "heating")]
    settle_gc()
    tracked = {id(obj) for obj in gc.get_objects()}
    assert not any(id(item) in tracked for item in held_since_start)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    # New objects are still collected as usual, cycles included.
    cycle: list[object] = []
    cycle.append(cycle)
    probe = weakref.ref(_Probe(cycle))
    del cycle
    gc.collect()
    assert probe() is None


class _Probe:
    def __init__(self, cycle: list[object]) -> None:
        self.cycle = cycle
        cycle.append(self)
