"""The voice dialog as a pure state machine: caller input in, telephony steps out.

`Dialog.start()` and `Dialog.feed(event)` return the steps the adapter must carry out, in order.
Every batch ends with exactly one step that waits for something (`Collect`, `LookupStatus`,
`CreateCallback`, `CheckQueue`) or with `Finish`. Sockets, the clock and the database stay
outside: the adapter executes the steps and feeds back what happened, so every path is testable without a PBX.
"""

from __future__ import annotations

from hotline.catalogue import Menu, Topic
from hotline.domain import OPEN_STATUSES, IvrOutcome
from ivr.dialog_base import DialogBase
from ivr.steps import (
    AnswerDelivered,
    CallbackCreated,
    CheckQueue,
    CreateCallback,
    Digits,
    Event,
    Expired,
    Finish,
    Hangup,
    LookupStatus,
    Mode,
    NoInput,
    QueueLoad,
    RateLimited,
    ReadAnswer,
    SendAnswer,
    SetLanguage,
    StatusFound,
    StatusNotFound,
    Step,
)


class Dialog(DialogBase):
    """One call's way through the catalogue: events in, steps out."""

    # ------------------------------------------------------------------ public
    def start(self) -> list[Step]:
        return [SetLanguage(self.lang), self._play("welcome"), *self._enter_menu(self.start_menu)]

    def feed(self, event: Event) -> list[Step]:
        if self.mode is Mode.DONE:
            if isinstance(event, Hangup | Expired):  # during the last prompt ("queued", "goodbye")
                return self._end_abruptly(event)
            raise RuntimeError(f"the dialog is over; got {event!r}")
        if isinstance(event, Hangup | Expired):
            return self._end_abruptly(event)
        if isinstance(event, Digits | NoInput):
            if self.mode in (
                Mode.CALLBACK_WAIT,
                Mode.STATUS_WAIT,
                Mode.STATUS_LATEST,
                Mode.QUEUE_CHECK,
                Mode.ANSWER_WAIT,
            ):
                raise RuntimeError(f"{self.mode.value}: waiting for a lookup result, got {event!r}")
            if isinstance(event, Digits) and event.keys:
                return self._keys(event.keys)
            self.record.timeouts += 1
            return self._no_input()
        if isinstance(event, CallbackCreated):
            return self._callback_created(event)
        if isinstance(event, QueueLoad):
            return self._queue_load(event)
        if isinstance(event, AnswerDelivered):
            return self._answer_delivered(event)
        return self._status_result(event)

    def hand_off(self) -> Finish:
        """The IVR stops mid-call: how the caller leaves it (a person, never a hang-up).

        An ending already decided stands; otherwise the chosen topic's queue, or the operator's.
        """
        if self.mode is not Mode.DONE:
            operator = self.catalogue.operator
            topic = self._topic if self._topic is not None and self._topic.queue is not None else operator
            self._finish(IvrOutcome.OPERATOR_FALLBACK, topic)
        record = self.record
        return Finish(record.outcome, record.topic, record.queue, self.lang)

    # ------------------------------------------------------------------ the current prompt again
    def _ask(self) -> list[Step]:
        """The Collect of the current mode (used to show it first and to repeat it)."""
        mode, topic = self.mode, self._topic
        if mode is Mode.LANGUAGE:
            return [self._collect("language_menu")]
        if mode is Mode.MENU:
            return [self._collect(f"menu_{self._menus[-1]}")]
        if mode is Mode.FAQ and topic is not None:
            count = len(topic.faq)
            plays: list[Step] = [self._play(f"faq_{topic.id}_{n}_q") for n in range(1, count)]
            return [*plays, self._collect(f"faq_{topic.id}_{count}_q")]
        if mode is Mode.FAQ_AFTER:
            return [self._collect("faq_after")]
        if mode is Mode.AFTER_HOURS:
            return [self._collect("callback_offer")]
        if mode is Mode.STATUS_ENTER:
            options = self.catalogue.options
            return [
                self._collect(
                    "status_enter", max_digits=options.max_number_digits, timeout_ms=options.number_timeout_ms
                )
            ]
        if mode is Mode.STATUS_AFTER:
            return [self._collect("status_other")]
        if mode is Mode.QUEUE_OFFER:
            return [self._collect("queue_long")]
        raise RuntimeError(f"no prompt to repeat in mode {mode.value}")

    def _no_input(self) -> list[Step]:
        # Silence after an answer or after hours is a normal end, not a failure.
        if self.mode is Mode.FAQ_AFTER and self._topic is not None:
            return self._goodbye(IvrOutcome.FAQ, self._topic)
        if self.mode is Mode.STATUS_AFTER:
            return self._goodbye(IvrOutcome.STATUS_TOLD, self._topic)
        if self.mode is Mode.AFTER_HOURS:
            return self._goodbye(IvrOutcome.AFTER_HOURS, self._topic)
        if self.mode is Mode.QUEUE_OFFER and self._topic is not None:
            return self._queued(self._topic)
        if self.mode is Mode.FAQ and self._topic is not None and self._topic.queue is not None:
            return self._queue(self._topic, announce=False)
        return self._retry("no_input")

    def _retry(self, why: str) -> list[Step]:
        self._retries += 1
        if self._retries > self.max_retries:
            return self._to_operator(IvrOutcome.OPERATOR_FALLBACK, "to_operator")
        return [self._play(why), *self._ask()]

    def _invalid(self) -> list[Step]:
        self.record.invalid_inputs += 1
        return self._retry("invalid")

    def _to_operator(self, outcome: IvrOutcome, prompt: str) -> list[Step]:
        operator = self.catalogue.operator
        self._topic = operator
        return [self._play(prompt), *self._finish(outcome, operator)]

    # ------------------------------------------------------------------ keys
    def _keys(self, keys: str) -> list[Step]:
        if self.mode is Mode.STATUS_ENTER:
            self.record.key_path += "N"  # the typed number itself is personal data; lookups keep it
            number = keys.rstrip("#")
            if not number.isdigit():
                return self._invalid()
            self.mode = Mode.STATUS_WAIT
            return [LookupStatus(number)]
        self.record.key_path += keys
        key = keys[0]
        if self.mode is Mode.LANGUAGE:
            return self._language_key(key)
        if self.mode is Mode.MENU:
            return self._menu_key(key)
        if self.mode is Mode.FAQ:
            return self._faq_key(key)
        if self.mode is Mode.FAQ_AFTER:
            return self._faq_after_key(key)
        if self.mode is Mode.AFTER_HOURS:
            return self._after_hours_key(key)
        if self.mode is Mode.STATUS_AFTER:
            return self._status_after_key(key)
        if self.mode is Mode.QUEUE_OFFER:
            return self._queue_offer_key(key)
        raise RuntimeError(f"keys in mode {self.mode.value}")

    def _enter_menu(self, menu_id: str) -> list[Step]:
        self._menus.append(menu_id)
        self._set_mode(Mode.MENU, f"menu:{menu_id}")
        return self._ask()

    def _menu(self) -> Menu:
        return self.catalogue.menus[self._menus[-1]]

    def _menu_key(self, key: str) -> list[Step]:
        item = self._menu().items.get(key)
        if item is None:
            return self._invalid()
        if item.menu is not None:
            return self._enter_menu(item.menu)
        if item.topic is not None:
            return self._choose(self.catalogue.topic(item.topic))
        if item.action == "language":
            self._set_mode(Mode.LANGUAGE, "language")
            return self._ask()
        if item.action == "back":
            self._menus.pop()
            parent = self._menus.pop() if self._menus else "main"
            return self._enter_menu(parent)
        if item.action == "callback":
            return self._offer_callback(None, register=False)
        return self._ask()  # repeat

    def _language_key(self, key: str) -> list[Step]:
        langs = self.catalogue.languages
        if not key.isdigit() or not 1 <= int(key) <= len(langs):
            return self._invalid()
        self.record.lang = langs[int(key) - 1]
        self.record.language_chosen = True
        menu = self._menus.pop() if self._menus else self.start_menu
        return [SetLanguage(self.lang), *self._enter_menu(menu)]

    # ------------------------------------------------------------------ topics
    def _choose(self, topic: Topic) -> list[Step]:
        self._topic = topic
        self.record.topic = topic.id
        if topic.service == "status":
            return self._start_status(topic)
        if not self.catalogue.is_open(topic, self.now):
            return self._after_hours(topic)
        if topic.faq:
            self._set_mode(Mode.FAQ, f"faq:{topic.id}")
            return [self._play(f"topic_{topic.id}"), *self._ask()]
        return self._queue(topic, announce=True)

    def _queue(self, topic: Topic, *, announce: bool) -> list[Step]:
        if not self.catalogue.is_open(topic, self.now):
            return self._after_hours(topic)
        plays: list[Step] = [self._play(f"topic_{topic.id}")] if announce else []
        if topic.queue is None:  # an FAQ-only topic: nobody to talk to here
            return [*plays, *self._to_operator(IvrOutcome.OPERATOR_FALLBACK, "to_operator")]
        self._topic = topic
        if self.caller_number is not None and self.catalogue.options.callback_when_waiting is not None:
            self._set_mode(Mode.QUEUE_CHECK, f"queue:{topic.queue}")
            return [*plays, CheckQueue(topic.queue)]
        return [*plays, *self._queued(topic)]

    def _queue_load(self, event: QueueLoad) -> list[Step]:
        topic = self._topic
        if self.mode is not Mode.QUEUE_CHECK or topic is None:
            raise RuntimeError(f"unexpected {event!r} in mode {self.mode.value}")
        threshold = self.catalogue.options.callback_when_waiting
        if event.waiting is None or threshold is None or event.waiting < threshold:
            return self._queued(topic)
        self._set_mode(Mode.QUEUE_OFFER, f"queue_long:{topic.queue}")
        return self._ask()

    def _queue_offer_key(self, key: str) -> list[Step]:
        topic = self._topic
        assert topic is not None
        if key == self.catalogue.options.callback_topic_digit:
            return self._offer_callback(topic, register=False)
        # Any other key: the caller prefers to wait; no reason to make them listen again.
        return self._queued(topic)

    def _faq_key(self, key: str) -> list[Step]:
        topic = self._topic
        assert topic is not None
        if key == "0":
            return self._queue(topic, announce=False)
        if not key.isdigit() or not 1 <= int(key) <= len(topic.faq):
            return self._invalid()
        self._heard_answer = True
        self._set_mode(Mode.FAQ_AFTER, f"faq:{topic.id}:{key}")
        return [self._play(f"faq_{topic.id}_{key}_a"), *self._ask()]

    def _faq_after_key(self, key: str) -> list[Step]:
        topic = self._topic
        assert topic is not None
        if key == "0":
            return self._queue(topic, announce=False)
        if key == "*":
            self._menus.clear()
            return self._enter_menu(self.start_menu)
        return self._invalid()

    # ------------------------------------------------------------------ after hours and callbacks
    def _after_hours(self, topic: Topic) -> list[Step]:
        message = self._play(f"closed_{topic.id}" if topic.after_hours.message else "after_hours")
        rule = topic.after_hours
        if not (rule.offer_callback or rule.register_request):
            return [message, *self._goodbye(IvrOutcome.AFTER_HOURS, topic)]
        if self.caller_number is None:
            return [message, self._play("no_caller_id"), *self._goodbye(IvrOutcome.AFTER_HOURS, topic)]
        self._set_mode(Mode.AFTER_HOURS, f"closed:{topic.id}")
        return [message, *self._ask()]

    def _after_hours_key(self, key: str) -> list[Step]:
        topic = self._topic
        assert topic is not None
        if key != self.catalogue.options.callback_topic_digit:
            return self._invalid()
        return self._offer_callback(topic, register=topic.after_hours.register_request)

    def _offer_callback(self, topic: Topic | None, *, register: bool) -> list[Step]:
        if self.caller_number is None:
            return [self._play("no_caller_id"), *self._goodbye(IvrOutcome.AFTER_HOURS, topic)]
        self._register = register
        self._set_mode(Mode.CALLBACK_WAIT, f"callback:{topic.id if topic else ''}")
        return [CreateCallback(topic.id if topic else None, register)]

    def _callback_created(self, event: CallbackCreated) -> list[Step]:
        if self.mode is not Mode.CALLBACK_WAIT:
            raise RuntimeError(f"unexpected {event!r} in mode {self.mode.value}")
        self.record.callback_id = event.callback_id
        return [
            self._play("register_done" if self._register else "callback_done"),
            *self._say_digits(str(event.callback_id)),
            *self._goodbye(IvrOutcome.CALLBACK, self._topic),
        ]

    # ------------------------------------------------------------------ request status
    def _start_status(self, topic: Topic) -> list[Step]:
        plays: list[Step] = [self._play(f"topic_{topic.id}")]
        if self.caller_number is not None:
            self._set_mode(Mode.STATUS_LATEST, "status:latest")
            return [*plays, LookupStatus(None)]
        self._set_mode(Mode.STATUS_ENTER, "status:enter")
        return [*plays, *self._ask()]

    def _status_result(self, event: StatusFound | StatusNotFound | RateLimited) -> list[Step]:
        if self.mode not in (Mode.STATUS_LATEST, Mode.STATUS_WAIT):
            raise RuntimeError(f"unexpected {event!r} in mode {self.mode.value}")
        latest = self.mode is Mode.STATUS_LATEST
        if isinstance(event, StatusFound):
            self._told_status = True
            steps = self._say_status(event, latest=latest)
            self._set_mode(Mode.STATUS_AFTER, "status:told")
            return [*steps, *self._ask()]
        if isinstance(event, RateLimited):
            return self._to_operator(IvrOutcome.OPERATOR_FALLBACK, "status_limited")
        if latest:  # nothing under the caller's number: ask for one
            self._set_mode(Mode.STATUS_ENTER, "status:enter")
            return self._ask()
        self._status_failures += 1
        if self._status_failures >= self.catalogue.options.status_attempts:
            return self._to_operator(IvrOutcome.OPERATOR_FALLBACK, "to_operator")
        self.mode = Mode.STATUS_ENTER
        return [self._play("status_unknown"), *self._ask()]

    def _say_status(self, found: StatusFound, *, latest: bool) -> list[Step]:
        steps: list[Step] = [
            self._play("status_latest" if latest else "status_number"),
            *self._say_digits(found.number),
            self._play("status_registered_on"),
            *self._say_date(found.registered),
            self._play(f"status_{found.status}"),
        ]
        if found.status in OPEN_STATUSES:
            steps += [self._play("status_expected_by"), *self._say_date(found.expected)]
        self._answer_number = None
        if found.has_answer and "status_answer_offer" in self.catalogue.prompts:
            self._answer_number = found.number
            steps.append(self._play("status_answer_offer"))
        return steps

    def _answer_delivered(self, event: AnswerDelivered) -> list[Step]:
        if self.mode is not Mode.ANSWER_WAIT:
            raise RuntimeError(f"unexpected {event!r} in mode {self.mode.value}")
        self.mode = Mode.STATUS_AFTER
        name = ("answer_sms_sent" if event.by_sms else None) if event.ok else "answer_unavailable"
        plays = [self._play(name)] if name and name in self.catalogue.prompts else []
        return [*plays, *self._ask()]

    def _status_after_key(self, key: str) -> list[Step]:
        if key in ("2", "3") and self._answer_number is not None:
            self.mode = Mode.ANSWER_WAIT
            number = self._answer_number
            return [ReadAnswer(number) if key == "2" else SendAnswer(number)]
        if key == "1":
            self._set_mode(Mode.STATUS_ENTER, "status:enter")
            return self._ask()
        if key == "0" and self._topic is not None and self._topic.queue is not None:
            return [self._play("to_operator"), *self._finish(IvrOutcome.QUEUED, self._topic)]
        if key == "0":
            return self._to_operator(IvrOutcome.OPERATOR_FALLBACK, "to_operator")
        return self._invalid()
