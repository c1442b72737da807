"""One FastAGI call: runs the dialog's steps on the channel and keeps the visit record.

Runs in a worker thread with blocking socket streams (pyst2 is synchronous). Whatever happens -
hangup at any step, a refused command, the database down, a bug - the caller is handed to a queue
whenever possible and the visit record is completed.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, cast

from hotline.catalogue import Catalogue
from hotline.domain import IvrOutcome
from ivr.agi import CallerHungUp, CommandRejected, PeerGone, SocketAgi
from ivr.dialog import Dialog
from ivr.steps import (
    AnswerDelivered,
    CallbackCreated,
    CheckQueue,
    Collect,
    CreateCallback,
    Digits,
    Event,
    Expired,
    Finish,
    Hangup,
    LookupStatus,
    NoInput,
    Play,
    QueueLoad,
    ReadAnswer,
    SendAnswer,
    SetLanguage,
    Step,
)
from ivr.store import CallInfo, IvrStore

log = logging.getLogger(__name__)

# Caller ID values Asterisk uses for "no number".
_NO_NUMBER = {"", "unknown", "anonymous", "private", "restricted"}
VARIABLES = ("HOTLINE_TOPIC", "HOTLINE_QUEUE", "HOTLINE_LANG", "HOTLINE_VISIT", "HOTLINE_OUTCOME")


@dataclass(eq=False)
class CallControl:
    """Shared by a call's worker thread and the server: the time limit and the shutdown hand-off.

    `lock` orders the dialog's moves and the writes on the socket between the two threads, so a
    hand-off never interleaves with the call's own commands or its own final variables.
    """

    expired: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)
    handed_off: bool = False
    finishing: bool = False  # the call is setting its own final variables
    agi: SocketAgi | None = None
    dialog: Dialog | None = None
    visit_id: int | None = None


class _GuardedWriter:
    """The call's writer; refuses to write once the server handed the call off (as if closed)."""

    def __init__(self, raw: IO[str], control: CallControl) -> None:
        self.raw = raw
        self.control = control

    def write(self, text: str) -> int:
        with self.control.lock:
            if self.control.handed_off:
                raise BrokenPipeError("the call was handed to the operator queue at shutdown")
            return self.raw.write(text)

    def flush(self) -> None:
        with self.control.lock:
            if not self.control.handed_off:
                self.raw.flush()


@dataclass
class CallResult:
    uniqueid: str | None = None
    outcome: IvrOutcome | None = None
    visit_id: int | None = None
    commands_rejected: int = 0
    error: bool = False


def _clean(value: str | None) -> str | None:
    if value is None or value.strip().lower() in _NO_NUMBER:
        return None
    return value.strip()


def dialplan_options(env: dict[str, str]) -> dict[str, str]:
    """`key=value` AGI arguments, e.g. AGI(agi://host/ivr,lang=en,menu=utilities); others are ignored."""
    options: dict[str, str] = {}
    for key, value in env.items():
        if key.startswith("agi_arg_") and "=" in value:
            name, _, setting = value.partition("=")
            options[name.strip().lower()] = setting.strip()
    return options


class CallHandler:
    """Shared by all calls; `handle` runs one call in the calling thread."""

    def __init__(
        self,
        catalogue: Catalogue,
        store: IvrStore,
        *,
        pbx_for_peer: Callable[[str], str],
        max_retries: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.catalogue = catalogue
        self.store = store
        self.pbx_for_peer = pbx_for_peer
        self.max_retries = max_retries
        self.clock = clock

    def handle(
        self, reader: IO[str], writer: IO[str], peer_host: str, control: CallControl | None = None
    ) -> CallResult:
        control = control or CallControl()
        result = CallResult()
        try:
            agi = SocketAgi(reader, cast(IO[str], _GuardedWriter(writer, control)))
        except PeerGone:
            log.info("FastAGI peer %s closed before sending its environment", peer_host)
            return result
        env = agi.env
        call = CallInfo(
            pbx=self.pbx_for_peer(peer_host),
            uniqueid=env.get("agi_uniqueid", "") or f"unknown-{id(agi)}",
            channel=env.get("agi_channel"),
            caller_number=_clean(env.get("agi_callerid")),
            caller_name=_clean(env.get("agi_calleridname")),
        )
        result.uniqueid = call.uniqueid
        started = self.clock()
        lang: str | None = None
        try:
            result.visit_id, lang = self.store.begin_visit(call, started)
        except Exception:  # the database being down must not drop the caller
            log.exception("cannot open the IVR visit record", extra={"uniqueid": call.uniqueid})
        options = dialplan_options(env)
        dialog = Dialog(
            self.catalogue,
            now=started,
            caller_number=call.caller_number,
            lang=lang or options.get("lang"),
            max_retries=self.max_retries,
            start_menu=options.get("menu", "main"),
        )
        with control.lock:
            control.agi, control.dialog, control.visit_id = agi, dialog, result.visit_id
        try:
            self._run(agi, dialog, call, result, control)
        except Exception:
            if control.handed_off:
                log.exception("IVR call failed after it was handed off", extra={"uniqueid": call.uniqueid})
                result.error = True
                return self._end(dialog, call, result, agi)
            log.exception(
                "IVR call failed; sending the caller to the operator", extra={"uniqueid": call.uniqueid}
            )
            result.error = True
            dialog.record.outcome = IvrOutcome.ERROR
            operator = self.catalogue.operator
            dialog.record.topic = dialog.record.topic or operator.id
            dialog.record.queue = None if agi.dead else operator.queue
            self._set_variables(agi, dialog.record.topic, dialog.record.queue, dialog.lang, result)
        return self._end(dialog, call, result, agi)

    def _end(self, dialog: Dialog, call: CallInfo, result: CallResult, agi: SocketAgi) -> CallResult:
        result.outcome = dialog.record.outcome
        result.commands_rejected = agi.rejected
        if result.visit_id is not None:
            try:
                self.store.end_visit(result.visit_id, call, dialog.record, self.clock())
            except Exception:
                log.exception("cannot complete the IVR visit record", extra={"uniqueid": call.uniqueid})
        return result

    def _run(
        self, agi: SocketAgi, dialog: Dialog, call: CallInfo, result: CallResult, control: CallControl
    ) -> None:
        expired = control.expired
        try:
            agi.answer()
            batch = dialog.start()
        except CommandRejected:
            batch = dialog.start()
        except CallerHungUp:
            if control.handed_off:
                return
            batch = dialog.feed(Expired() if expired.is_set() else Hangup())
        while True:
            event: Event | None = None
            for step in batch:
                if isinstance(step, Finish):
                    with control.lock:
                        if control.handed_off:
                            return
                        control.finishing = True
                    self._finish(agi, step, result)
                    return
                if expired.is_set():
                    event = Expired()
                    break
                try:
                    event = self._execute(agi, step, dialog, call, result)
                except CallerHungUp:
                    event = Expired() if expired.is_set() else Hangup()
                    break
            if event is None:
                raise RuntimeError(f"dialog batch without a waiting step: {batch!r}")
            with control.lock:
                if control.handed_off:  # the server already told Asterisk where the caller goes
                    return
                batch = dialog.feed(event)

    def hand_off(self, control: CallControl, conn: socket.socket) -> bool:
        """Shutdown: send the caller where the dialog says (a person, unless already decided).

        Writes the final variables and half-closes our side; Asterisk stops the pending prompt,
        sets them and continues the dialplan. False when the call is already setting its own.
        """
        with control.lock:
            if control.handed_off or control.finishing or control.agi is None or control.dialog is None:
                return False
            agi, dialog = control.agi, control.dialog
            finish = dialog.hand_off()
            values = _values(finish.topic, finish.queue, finish.lang, control.visit_id, finish.outcome)
            for name, value in zip(VARIABLES, values, strict=True):
                agi.send_command("SET VARIABLE", agi._quote(name), agi._quote(value))
            control.handed_off = True
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)
        log.warning(
            "IVR stopping: caller handed to queue %s",
            finish.queue,
            extra={"uniqueid": agi.env.get("agi_uniqueid"), "outcome": finish.outcome.value},
        )
        return True

    def _execute(
        self, agi: SocketAgi, step: Step, dialog: Dialog, call: CallInfo, result: CallResult
    ) -> Event | None:
        """Carry out one step; returns the event it produced, if it waits for one."""
        if isinstance(step, Collect):
            try:
                keys = str(agi.get_data(step.prompt, step.timeout_ms, step.max_digits))
            except CommandRejected:
                return NoInput()
            return Digits(keys) if keys else NoInput()
        if isinstance(step, LookupStatus):
            return self.store.lookup_status(call.caller_number, step.number, self.clock())
        if isinstance(step, SendAnswer):
            sent = self.store.send_answer_sms(call.caller_number, step.number, dialog.lang)
            return AnswerDelivered(sent, True)
        if isinstance(step, ReadAnswer):
            prompt = self.store.answer_prompt(call.caller_number, step.number)
            if prompt is not None:
                agi.stream_file(prompt)
            return AnswerDelivered(prompt is not None, False)
        if isinstance(step, CheckQueue):
            try:
                return QueueLoad(self.store.queue_waiting(call.pbx, step.queue, self.clock()))
            except Exception:  # the live view is a nicety; never keep a caller from the queue over it
                log.exception("cannot read the live queue view", extra={"queue": step.queue})
                return QueueLoad(None)
        if isinstance(step, CreateCallback):
            callback_id = self.store.create_callback(
                call,
                topic=step.topic,
                lang=dialog.lang,
                visit_id=_required(result.visit_id),
                register_request=step.register_request,
                now=self.clock(),
            )
            return CallbackCreated(callback_id)
        try:
            if isinstance(step, Play):
                agi.stream_file(step.prompt)
            elif isinstance(step, SetLanguage):
                agi.set_variable("CHANNEL(language)", step.lang)
        except CommandRejected:
            pass  # already logged and counted; a missing prompt must not end the call
        return None

    def _finish(self, agi: SocketAgi, finish: Finish, result: CallResult) -> None:
        self._set_variables(agi, finish.topic, finish.queue, finish.lang, result, finish.outcome)

    def _set_variables(
        self,
        agi: SocketAgi,
        topic: str | None,
        queue: str | None,
        lang: str,
        result: CallResult,
        outcome: IvrOutcome = IvrOutcome.ERROR,
    ) -> None:
        values = _values(topic, queue, lang, result.visit_id, outcome)
        for name, value in zip(VARIABLES, values, strict=True):
            try:
                agi.set_variable(name, value)
            except CommandRejected:
                continue
            except CallerHungUp:  # only when the connection itself is gone
                return


def _values(
    topic: str | None, queue: str | None, lang: str, visit_id: int | None, outcome: IvrOutcome
) -> tuple[str, ...]:
    """VARIABLES' values; HOTLINE_OUTCOME comes last, so empty means the IVR never finished."""
    return (topic or "", queue or "", lang, "" if visit_id is None else str(visit_id), outcome.value)


def _required(visit_id: int | None) -> int:
    if visit_id is None:
        raise RuntimeError("no visit record (database unavailable); cannot record a callback")
    return visit_id
