"""The dial-back loop: when a topic's queue has a free operator within its hours, call the citizen.

Each tick: settle the attempts whose citizen answered (done when an operator answered the call
record, retried when they left the queue first), then originate the due callbacks, oldest promise
first, while their queue has room. The citizen's leg goes into the topic's queue with a queue
priority (QUEUE_PRIO), so no later caller is answered before them (asterisk_conf/README.md says why).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from dialer import policy
from dialer.ami import DialerAmi, Message
from dialer.store import DialerStore, Due
from hotline.catalogue import Catalogue, load_catalogue
from hotline.domain import AttemptResult
from hotline.errors import AmiError, HotlineError
from hotline.settings import Settings
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)
# After the ring timeout, the PBX answers within a moment; past this margin the response is lost.
RESPONSE_MARGIN_S = 15.0


class DialerService:
    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        *,
        clock: Callable[[], datetime] = utcnow,
        catalogue: Catalogue | None = None,
    ) -> None:
        dialer = settings.dialer
        pbx = settings.dialer_pbx()
        if pbx is None:
            raise HotlineError("dialer: no ami.pbxes entry to dial through (settings dialer.pbx)")
        self.settings = settings
        self.pbx = pbx.name
        self.ami = DialerAmi(
            dialer.host or pbx.host,
            dialer.port or pbx.port,
            dialer.username,
            dialer.secret.get_secret_value(),
        )
        self.store = DialerStore(
            factory,
            pbx=pbx.name,
            max_attempts=dialer.max_attempts,
            backoff_s=dialer.backoff_s,
            response_within=timedelta(seconds=dialer.ring_timeout_s + RESPONSE_MARGIN_S),
        )
        self.clock = clock
        self._catalogue = catalogue
        self._pending: set[asyncio.Task[None]] = set()

    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            return load_catalogue(self.settings.agi.catalogue_path)
        return self._catalogue

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every `dialer.poll_s` until `stop`; reconnects to AMI with a backoff when it drops."""
        delay = 1.0
        while not stop.is_set():
            try:
                await self.ami.connect()
                delay = 1.0
                while not stop.is_set() and not self.ami.closed.is_set():
                    try:
                        await self.tick()
                    except AmiError:
                        raise
                    except Exception:  # a database hiccup: the next tick tries again
                        log.exception("dialer: tick failed")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.settings.dialer.poll_s)
            except AmiError as exc:
                log.error("dialer: AMI unavailable; retrying", extra={"error": str(exc), "retry_s": delay})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 60.0)
            finally:
                if stop.is_set():  # unanswered attempts are settled as lost by the next start
                    for task in self._pending:
                        task.cancel()
                await self.drain()
                await self.ami.close()

    async def drain(self) -> None:
        """Wait for the OriginateResponses still expected (each bounded by the ring timeout)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def tick(self) -> int:
        """One round; returns how many Originates were sent."""
        now = self.clock()
        await asyncio.to_thread(self.store.resolve_in_queue, now)
        due = await asyncio.to_thread(self.store.due, now)
        if not due:
            return 0
        view = await asyncio.to_thread(self.store.live_view, now)
        room = {name: cap.room for name, cap in policy.capacities(view).items()}
        catalogue = self.catalogue()
        sent = 0
        for item in due:
            queue = self._queue_for(catalogue, item.topic)
            if queue is None or room.get(queue, 0) <= 0 or not self._open(catalogue, item.topic, now):
                continue
            room[queue] -= 1
            if await self._originate(item, queue, now):
                sent += 1
        return sent

    def _queue_for(self, catalogue: Catalogue, topic: str | None) -> str | None:
        try:
            entry = catalogue.topic(topic or catalogue.options.operator_topic)
        except KeyError:
            entry = catalogue.operator
        return entry.queue or catalogue.operator.queue

    def _open(self, catalogue: Catalogue, topic: str | None, now: datetime) -> bool:
        try:
            entry = catalogue.topic(topic or catalogue.options.operator_topic)
        except KeyError:
            return True
        return catalogue.is_open(entry, now)

    def originate_fields(self, item: Due, queue: str) -> list[tuple[str, str]]:
        dialer = self.settings.dialer
        name = (item.caller_name or "").replace('"', "")
        return [
            ("Channel", f"Local/{item.caller_number}@{dialer.dial_context}/n"),
            ("Context", "hotline-callback"),
            ("Exten", queue),
            ("Priority", "1"),
            # The queue, wallboard and call record show the citizen; the outbound context shows them
            # the hotline's number instead (asterisk_conf/extensions.conf, [hotline-callback-out]).
            ("CallerID", f'"{name}" <{item.caller_number}>'),
            ("Timeout", str(int(dialer.ring_timeout_s * 1000))),
            ("Async", "true"),
            ("Variable", f"QUEUE_PRIO={dialer.queue_priority}"),
            ("Variable", f"HOTLINE_TOPIC={item.topic or ''}"),
            ("Variable", f"HOTLINE_LANG={item.language}"),
            ("Variable", f"HOTLINE_CALLBACK={item.callback_id}"),
            ("Variable", f"HOTLINE_CLI={dialer.caller_id}"),
        ]

    async def _originate(self, item: Due, queue: str, now: datetime) -> bool:
        fields = self.originate_fields(item, queue)
        action_id = self.ami.next_action_id()
        placed = await asyncio.to_thread(
            self.store.start_attempt, item, action_id=action_id, channel=fields[0][1], queue=queue, now=now
        )
        if placed is None:
            return False
        waiter = self.ami.expect_originate(action_id)
        try:
            answer = await self.ami.action("Originate", fields, action_id=action_id)
        except AmiError as exc:
            waiter.cancel()
            self.ami.forget_originate(action_id)
            await self._finish(placed.attempt_id, AttemptResult.LOST, None, None)
            log.error("dialer: Originate not sent", extra={"callback": item.callback_id, "error": str(exc)})
            return False
        if answer.get("Response") != "Success":
            waiter.cancel()
            self.ami.forget_originate(action_id)
            await self._finish(placed.attempt_id, AttemptResult.FAILED, None, None)
            log.error(
                "dialer: Originate refused",
                extra={"callback": item.callback_id, "message": answer.get("Message")},
            )
            return False
        log.info(
            "dialer: calling back",
            extra={"callback": item.callback_id, "attempt": placed.number, "queue": queue},
        )
        task = asyncio.create_task(self._await_response(placed.attempt_id, action_id, waiter))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return True

    async def _await_response(self, attempt_id: int, action_id: str, waiter: asyncio.Future[Message]) -> None:
        timeout = self.settings.dialer.ring_timeout_s + RESPONSE_MARGIN_S
        try:
            message = await asyncio.wait_for(waiter, timeout)
        except (TimeoutError, AmiError):
            self.ami.forget_originate(action_id)
            await self._finish(attempt_id, AttemptResult.LOST, None, None)
            return
        reason = _int(message.get("Reason"))
        result = policy.result_of(message.get("Response", ""), reason)
        uniqueid = message.get("Uniqueid")
        linkedid = uniqueid if uniqueid and uniqueid != "<unknown>" else None
        await self._finish(attempt_id, result, reason, linkedid)

    async def _finish(
        self, attempt_id: int, result: AttemptResult, reason: int | None, linkedid: str | None
    ) -> None:
        await asyncio.to_thread(
            self.store.finish_attempt, attempt_id, result, reason=reason, linkedid=linkedid, now=self.clock()
        )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
