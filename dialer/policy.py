"""Pure decisions of the dialer: what an OriginateResponse means, when to retry, whom to dial now.

No I/O here: the service (dialer/service.py) reads the database and the live view and passes plain
values in, so every rule is tested without a PBX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.domain import AttemptResult
from hotline.live import AgentState, LiveView

# OriginateResponse `Reason` (Asterisk's AST_CONTROL_* of the outgoing leg), as the captures show.
ANSWERED_REASON = 4
REASONS: dict[int, AttemptResult] = {
    3: AttemptResult.NO_ANSWER,  # rang out (Timeout)
    5: AttemptResult.BUSY,
    8: AttemptResult.CONGESTION,  # network or number unavailable
    0: AttemptResult.FAILED,  # the channel could not be created at all
}
REASON_TEXT = {
    AttemptResult.NO_ANSWER: "no answer",
    AttemptResult.BUSY: "busy",
    AttemptResult.CONGESTION: "number unavailable (congestion)",
    AttemptResult.FAILED: "the call could not be placed",
    AttemptResult.HUNG_UP: "hung up before an operator answered",
    AttemptResult.LOST: "no answer from the PBX (connection lost)",
}


def result_of(response: str, reason: int | None) -> AttemptResult:
    """What one OriginateResponse says about the citizen's leg."""
    if response == "Success" and reason == ANSWERED_REASON:
        return AttemptResult.IN_QUEUE
    if reason is None:
        return AttemptResult.FAILED
    return REASONS.get(reason, AttemptResult.FAILED)


def next_attempt_at(now: datetime, attempts_done: int, backoff_s: Sequence[float]) -> datetime:
    """After attempt n (1-based) wait backoff_s[n-1]; the last value repeats."""
    index = min(max(attempts_done, 1), len(backoff_s)) - 1
    return now + timedelta(seconds=backoff_s[index])


def give_up_reason(attempts: int, last: AttemptResult) -> str:
    return f"{attempts} attempt(s), last: {REASON_TEXT.get(last, last.value)}"


@dataclass(frozen=True)
class QueueCapacity:
    """How many callbacks a queue can take now: free operators minus callers already waiting."""

    queue: str
    free: int
    waiting: int

    @property
    def room(self) -> int:
        return max(0, self.free - self.waiting)


def capacities(view: LiveView | None) -> dict[str, QueueCapacity]:
    """Room per queue from the PBX's live view; empty when the view is missing or disconnected.

    A callback is placed only where an operator is free and nobody waits: the citizen then joins an
    empty queue (with a priority, so no later caller is answered first), and no earlier caller loses
    their place to the callback.
    """
    if view is None or not view.connected:
        return {}
    return {
        queue.name: QueueCapacity(
            queue.name,
            sum(1 for m in queue.members if m.state is AgentState.FREE and not m.paused),
            len(queue.waiting),
        )
        for queue in view.queues
    }
