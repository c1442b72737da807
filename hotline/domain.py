"""Domain enumerations shared by every layer: call and IVR outcomes, statuses, roles.

Pure code (the dialog, the live state, reports) imports these, not the ORM module; hotline.models stores them.
"""

from __future__ import annotations

import enum


class CallOutcome(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMEOUT = "timeout"
    EXIT_EMPTY = "exit_empty"
    IVR_ONLY = "ivr_only"
    AFTER_HOURS = "after_hours"
    CALLBACK_REQUESTED = "callback_requested"
    LOST_DURING_DISCONNECT = "lost_during_disconnect"
    # Legs the PBX placed with AMI Originate (the dial-back), never a citizen calling in: kept out of
    # the citizen figures. A dial-back leg that reached a queue keeps the queue's outcome.
    DIAL_BACK = "dial_back"  # an answered outgoing leg that never went through a queue
    DIAL_BACK_FAILED = "dial_back_failed"  # what a failed Originate left (OriginateResponse Failure)


class AgentPeriodKind(enum.StrEnum):
    LOGGED_IN = "logged_in"
    PAUSED = "paused"
    TALK = "talk"


class IvrOutcome(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    QUEUED = "queued"
    FAQ = "faq"
    STATUS_TOLD = "status_told"
    CALLBACK = "callback"
    AFTER_HOURS = "after_hours"
    OPERATOR_FALLBACK = "operator_fallback"
    HANGUP = "hangup"
    TIMED_OUT = "timed_out"
    ERROR = "error"


class RequestStatus(enum.StrEnum):
    REGISTERED = "registered"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"
    REJECTED = "rejected"


class CallbackStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # an operator calls back by hand; the dialer leaves it alone
    DIALING = "dialing"  # an Originate is out, or the citizen waits in the queue
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing to transcribe (e.g. a header-only recording); `error` says why


class Speaker(enum.StrEnum):
    CALLER = "caller"
    AGENT = "agent"
    MIXED = "mixed"


class HitKind(enum.StrEnum):
    KEYWORD = "keyword"
    ABUSE = "abuse"


class Role(enum.StrEnum):
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"
    OPERATOR = "operator"
    DEPARTMENT = "department"


class AttemptResult(enum.StrEnum):
    """What one dial-back attempt came to (dialer/policy.py maps OriginateResponse reasons)."""

    DIALING = "dialing"  # Originate sent, no OriginateResponse yet
    IN_QUEUE = "in_queue"  # the citizen answered (Reason 4) and waits for the operator
    ANSWERED = "answered"  # an operator answered the citizen: the callback is done
    NO_ANSWER = "no_answer"  # Reason 3
    BUSY = "busy"  # Reason 5
    CONGESTION = "congestion"  # Reason 8
    FAILED = "failed"  # Reason 0 or another: the channel could not be placed
    HUNG_UP = "hung_up"  # the citizen answered but left the queue before an operator did
    LOST = "lost"  # no OriginateResponse within the ring time (connection lost)


# Records of calls the hotline placed itself (dial-back), not calls a citizen made.
DIAL_BACK_OUTCOMES = (CallOutcome.DIAL_BACK, CallOutcome.DIAL_BACK_FAILED)

# A request the citizen still waits on: the IVR tells its expected date, the overdue list counts it.
OPEN_STATUSES = (RequestStatus.REGISTERED, RequestStatus.IN_PROGRESS)
FINAL_STATUSES = (RequestStatus.ANSWERED, RequestStatus.CLOSED, RequestStatus.REJECTED)
