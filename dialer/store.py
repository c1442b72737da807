"""The dialer's database work (sync SQLAlchemy, called in a worker thread by dialer/service.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dialer import policy
from hotline.db import transaction
from hotline.domain import DIAL_BACK_OUTCOMES
from hotline.live import LiveView
from hotline.models import (
    AttemptResult,
    Call,
    CallbackAttempt,
    CallbackRequest,
    CallbackStatus,
    CallOutcome,
    LiveSnapshot,
)

# A live view older than this belongs to a listener that is down: nobody is known to be free.
STALE_AFTER_S = 60.0
# A citizen who answered but whose call record never shows up (listener down) is retried after this.
IN_QUEUE_LIMIT = timedelta(hours=2)
DIALER = "dialer"
# The citizen answered but no operator did. A leg that never reached its queue is `ivr_only` or, when the
# listener saw the Originate's response, `dial_back`.
ENDED_UNANSWERED = (
    CallOutcome.ABANDONED,
    CallOutcome.TIMEOUT,
    CallOutcome.EXIT_EMPTY,
    CallOutcome.IVR_ONLY,
    *DIAL_BACK_OUTCOMES,
)


@dataclass(frozen=True)
class Due:
    callback_id: int
    caller_number: str
    caller_name: str | None
    topic: str | None
    language: str


@dataclass(frozen=True)
class Placed:
    attempt_id: int
    number: int


class DialerStore:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        pbx: str,
        max_attempts: int,
        backoff_s: list[float],
        response_within: timedelta = timedelta(seconds=45),
    ):
        self.factory = factory
        self.pbx = pbx
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        # An attempt still `dialing` after this had its OriginateResponse lost (dialer stopped, link down).
        self.response_within = response_within

    def live_view(self, now: datetime) -> LiveView | None:
        with self.factory() as session:
            row = session.get(LiveSnapshot, self.pbx)
        if row is None or (now - row.updated_at).total_seconds() > STALE_AFTER_S:
            return None
        return LiveView.model_validate(row.data)

    def due(self, now: datetime, limit: int = 50) -> list[Due]:
        """Pending callbacks whose next attempt may start, oldest promise first (their order is kept)."""
        with self.factory() as session:
            rows = session.scalars(
                select(CallbackRequest)
                .where(CallbackRequest.status == CallbackStatus.PENDING)
                .where((CallbackRequest.next_attempt_at.is_(None)) | (CallbackRequest.next_attempt_at <= now))
                .order_by(CallbackRequest.requested_at, CallbackRequest.id)
                .limit(limit)
            ).all()
            return [Due(r.id, r.caller_number, r.caller_name, r.topic, r.language) for r in rows]

    def start_attempt(
        self, due: Due, *, action_id: str, channel: str, queue: str, now: datetime
    ) -> Placed | None:
        """Mark the callback dialing and write the attempt before the Originate goes out."""
        with transaction(self.factory) as session:
            callback = session.get(CallbackRequest, due.callback_id, with_for_update=True)
            if callback is None or callback.status != CallbackStatus.PENDING:
                return None  # claimed or done by someone meanwhile
            callback.attempts += 1
            callback.status = CallbackStatus.DIALING
            callback.next_attempt_at = None
            attempt = CallbackAttempt(
                callback_id=callback.id,
                number=callback.attempts,
                pbx=self.pbx,
                action_id=action_id,
                channel=channel,
                queue=queue,
                started_at=now,
            )
            session.add(attempt)
            session.flush()
            return Placed(attempt.id, attempt.number)

    def finish_attempt(
        self,
        attempt_id: int,
        result: AttemptResult,
        *,
        reason: int | None,
        linkedid: str | None,
        now: datetime,
    ) -> None:
        """Record what the OriginateResponse said; a failure schedules a retry or gives up."""
        with transaction(self.factory) as session:
            attempt = session.get(CallbackAttempt, attempt_id)
            if attempt is None:
                return
            attempt.result = result
            attempt.reason_code = reason
            attempt.linkedid = linkedid
            if result is not AttemptResult.IN_QUEUE:
                attempt.ended_at = now
                self._after_failure(session, attempt, now)

    def _after_failure(self, session: Session, attempt: CallbackAttempt, now: datetime) -> None:
        callback = session.get(CallbackRequest, attempt.callback_id)
        if callback is None or callback.status != CallbackStatus.DIALING:
            return  # an operator took it over meanwhile
        if callback.attempts >= self.max_attempts:
            callback.status = CallbackStatus.FAILED
            callback.give_up_reason = policy.give_up_reason(callback.attempts, attempt.result)
            callback.handled_at = now
            callback.handled_by = DIALER
        else:
            callback.status = CallbackStatus.PENDING
            callback.next_attempt_at = policy.next_attempt_at(now, callback.attempts, self.backoff_s)

    def resolve_in_queue(self, now: datetime) -> int:
        """Citizens who answered: done once an operator answered their call, retried if they left first."""
        changed = 0
        with transaction(self.factory) as session:
            lost = session.scalars(
                select(CallbackAttempt).where(
                    CallbackAttempt.pbx == self.pbx,
                    CallbackAttempt.result == AttemptResult.DIALING,
                    CallbackAttempt.started_at < now - self.response_within,
                )
            ).all()
            for attempt in lost:
                attempt.result = AttemptResult.LOST
                attempt.ended_at = now
                self._after_failure(session, attempt, now)
                changed += 1
            attempts = session.scalars(
                select(CallbackAttempt).where(
                    CallbackAttempt.pbx == self.pbx, CallbackAttempt.result == AttemptResult.IN_QUEUE
                )
            ).all()
            for attempt in attempts:
                call = session.scalar(
                    select(Call).where(Call.pbx == attempt.pbx, Call.linkedid == attempt.linkedid)
                )
                if call is not None:
                    attempt.call_id = call.id
                if call is not None and call.outcome is CallOutcome.ANSWERED:
                    attempt.result = AttemptResult.ANSWERED
                    attempt.ended_at = call.answered_at or now
                    callback = session.get(CallbackRequest, attempt.callback_id)
                    if callback is not None and callback.status == CallbackStatus.DIALING:
                        callback.status = CallbackStatus.DONE
                        callback.handled_at = call.answered_at or now
                        callback.handled_by = DIALER
                    changed += 1
                elif (call is not None and call.outcome in ENDED_UNANSWERED) or (
                    call is None and now - attempt.started_at > IN_QUEUE_LIMIT
                ):
                    attempt.result = AttemptResult.HUNG_UP if call is not None else AttemptResult.LOST
                    attempt.ended_at = (call.ended_at if call else None) or now
                    self._after_failure(session, attempt, now)
                    changed += 1
        return changed
