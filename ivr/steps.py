"""What the dialog asks the telephony adapter to do (steps) and what it hears back (events)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from hotline.domain import IvrOutcome


# ---------------------------------------------------------------------------- steps (output)
@dataclass(frozen=True)
class Play:
    """Play a prompt file (path under the sounds folder, no extension); keys are ignored."""

    prompt: str


@dataclass(frozen=True)
class Collect:
    """Play a prompt and collect up to `max_digits` keys (``#`` ends early): answer with Digits/NoInput."""

    prompt: str
    timeout_ms: int
    max_digits: int


@dataclass(frozen=True)
class SetLanguage:
    """Switch the channel language (Asterisk's own sounds, e.g. after a missing prompt, follow it)."""

    lang: str


@dataclass(frozen=True)
class LookupStatus:
    """Find a citizen request: `number` typed by the caller, or None for the caller's latest.

    Answer with StatusFound, StatusNotFound or RateLimited.
    """

    number: str | None


@dataclass(frozen=True)
class ReadAnswer:
    """Play the answer text of request `number` (synthesized); answer with AnswerDelivered."""

    number: str


@dataclass(frozen=True)
class SendAnswer:
    """Send the answer text of request `number` by SMS to the caller; answer with AnswerDelivered."""

    number: str


@dataclass(frozen=True)
class CreateCallback:
    """Record a callback request; answer with CallbackCreated."""

    topic: str | None
    register_request: bool


@dataclass(frozen=True)
class CheckQueue:
    """How many callers wait in `queue` now? Answer with QueueLoad."""

    queue: str


@dataclass(frozen=True)
class Finish:
    """The dialog is over. `queue` set = hand the call to that queue (the dialplan does Queue())."""

    outcome: IvrOutcome
    topic: str | None
    queue: str | None
    lang: str


Step = (
    Play
    | Collect
    | SetLanguage
    | LookupStatus
    | CreateCallback
    | CheckQueue
    | ReadAnswer
    | SendAnswer
    | Finish
)


# ---------------------------------------------------------------------------- events (input)
@dataclass(frozen=True)
class Digits:
    keys: str


@dataclass(frozen=True)
class NoInput:
    """Collect ended without a key (timeout)."""


@dataclass(frozen=True)
class Hangup:
    """The caller hung up (or the channel died) during the last step."""


@dataclass(frozen=True)
class Expired:
    """The call ran past its overall time limit."""


@dataclass(frozen=True)
class StatusFound:
    number: str
    status: str  # a hotline.models.RequestStatus value
    registered: date
    expected: date
    # The request has an answer text and it is the caller's own request (same phone number).
    has_answer: bool = False


@dataclass(frozen=True)
class AnswerDelivered:
    ok: bool
    by_sms: bool


@dataclass(frozen=True)
class StatusNotFound:
    pass


@dataclass(frozen=True)
class RateLimited:
    pass


@dataclass(frozen=True)
class CallbackCreated:
    callback_id: int


@dataclass(frozen=True)
class QueueLoad:
    waiting: int | None  # None = unknown (no live view): queue as usual


Event = (
    Digits
    | NoInput
    | Hangup
    | Expired
    | StatusFound
    | StatusNotFound
    | RateLimited
    | CallbackCreated
    | QueueLoad
    | AnswerDelivered
)


# ---------------------------------------------------------------------------- dialog state
class Mode(enum.Enum):
    LANGUAGE = "language"
    MENU = "menu"
    FAQ = "faq"
    FAQ_AFTER = "faq_after"
    AFTER_HOURS = "after_hours"
    CALLBACK_WAIT = "callback_wait"
    QUEUE_CHECK = "queue_check"
    QUEUE_OFFER = "queue_offer"
    STATUS_LATEST = "status_latest"
    STATUS_ENTER = "status_enter"
    STATUS_WAIT = "status_wait"
    STATUS_AFTER = "status_after"
    ANSWER_WAIT = "answer_wait"
    DONE = "done"


@dataclass
class VisitRecord:
    """What the visit record stores; kept up to date at every step."""

    lang: str
    key_path: str = ""
    menu_path: list[str] = field(default_factory=list)
    topic: str | None = None
    queue: str | None = None
    outcome: IvrOutcome = IvrOutcome.IN_PROGRESS
    invalid_inputs: int = 0
    timeouts: int = 0
    language_chosen: bool = False
    callback_id: int | None = None
