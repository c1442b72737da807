"""The dialog's state and the small helpers every branch uses (prompts, digits, dates, endings).

`ivr.dialog.Dialog` builds the branches of the catalogue on top of it; nothing here does I/O.
"""

from __future__ import annotations

from datetime import date, datetime

from hotline.catalogue import Catalogue, Topic
from hotline.domain import IvrOutcome
from ivr import spoken
from ivr.steps import Collect, Expired, Finish, Hangup, Mode, Play, Step, VisitRecord

_QUEUEING = (IvrOutcome.QUEUED, IvrOutcome.OPERATOR_FALLBACK)


class DialogBase:
    """One call's way through the catalogue.

    `now` decides working hours; `caller_number` None means the caller ID is hidden (no callback,
    no lookup of the caller's own requests).
    """

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        now: datetime,
        caller_number: str | None,
        lang: str | None = None,
        max_retries: int = 2,
        start_menu: str = "main",
    ) -> None:
        self.catalogue = catalogue
        self.now = now
        self.caller_number = caller_number
        start_lang = lang if lang in catalogue.languages else catalogue.default_language
        self.record = VisitRecord(lang=start_lang)
        self.max_retries = max_retries
        # A dialplan may enter the IVR at a submenu (one number per department).
        self.start_menu = start_menu if start_menu in catalogue.menus else "main"
        self.mode = Mode.MENU
        self._menus: list[str] = []  # stack; the last one is shown
        self._topic: Topic | None = None
        self._retries = 0
        self._status_failures = 0
        self._heard_answer = False
        self._told_status = False
        self._answer_number: str | None = None  # the request whose answer the caller may hear or get
        self._register = False

    # ------------------------------------------------------------------ public
    @property
    def lang(self) -> str:
        return self.record.lang

    @property
    def finished(self) -> bool:
        return self.mode is Mode.DONE

    # ------------------------------------------------------------------ helpers
    def _prompt(self, name: str) -> str:
        return f"hotline/{self.lang}/{name}"

    def _play(self, name: str) -> Play:
        return Play(self._prompt(name))

    def _say_digits(self, number: str) -> list[Step]:
        return [self._play(name) for name in spoken.digits(number)]

    def _say_date(self, day: date) -> list[Step]:
        return [self._play(name) for name in spoken.date_prompts(day, self.lang)]

    def _collect(self, name: str, *, max_digits: int = 1, timeout_ms: int | None = None) -> Collect:
        timeout = timeout_ms or self.catalogue.options.digit_timeout_ms
        return Collect(self._prompt(name), timeout, max_digits)

    def _finish(self, outcome: IvrOutcome, topic: Topic | None) -> list[Step]:
        self.mode = Mode.DONE
        self.record.outcome = outcome
        queue = topic.queue if topic is not None and outcome in _QUEUEING else None
        if topic is not None:
            self.record.topic = topic.id
        self.record.queue = queue
        return [Finish(outcome, self.record.topic, queue, self.lang)]

    def _goodbye(self, outcome: IvrOutcome, topic: Topic | None) -> list[Step]:
        return [self._play("goodbye"), *self._finish(outcome, topic)]

    def _queued(self, topic: Topic) -> list[Step]:
        return [self._play("queued"), *self._finish(IvrOutcome.QUEUED, topic)]

    def _set_mode(self, mode: Mode, label: str) -> None:
        if mode is not self.mode or label != (self.record.menu_path[-1] if self.record.menu_path else ""):
            self._retries = 0
            self.record.menu_path.append(label)
        self.mode = mode

    def _end_abruptly(self, event: Hangup | Expired) -> list[Step]:
        if isinstance(event, Expired):
            outcome = IvrOutcome.TIMED_OUT
        elif self._told_status:
            outcome = IvrOutcome.STATUS_TOLD
        elif self._heard_answer:
            outcome = IvrOutcome.FAQ
        elif self.record.callback_id is not None:
            outcome = IvrOutcome.CALLBACK
        else:
            outcome = IvrOutcome.HANGUP
        self.mode = Mode.DONE
        self.record.outcome = outcome
        if self._topic is not None:
            self.record.topic = self._topic.id
        # A caller still on the line when the time is up gets a person rather than silence
        # (the queue already chosen, if the time ran out during the last prompt).
        timed_out = outcome is IvrOutcome.TIMED_OUT
        queue = (self.record.queue or self.catalogue.operator.queue) if timed_out else None
        self.record.queue = queue
        return [Finish(outcome, self.record.topic, queue, self.lang)]
