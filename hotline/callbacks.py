"""Callbacks the IVR promised: the list people work, their state changes, and the KPIs.

A callback is `pending` until the dialer (dialer/) or an operator takes it: `dialing` while an
Originate is out or the citizen waits in the queue, `claimed` when an operator calls back by hand,
then `done`, or `failed` with a reason (given up). Every change by a person is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.audit import Actor
from hotline.audit import record as audit
from hotline.errors import HotlineError, NotFoundError
from hotline.models import CallbackAttempt, CallbackRequest, CallbackStatus
from hotline.settings import Settings
from hotline.timeutil import utcnow

WAITING = (CallbackStatus.PENDING, CallbackStatus.DIALING)
OPEN = (CallbackStatus.PENDING, CallbackStatus.DIALING, CallbackStatus.CLAIMED)


class CallbackError(HotlineError):
    """A callback cannot change as asked (already done, given up...)."""


def as_dict(row: CallbackRequest) -> dict[str, Any]:
    """The callback as the API and the CLI show it (the API masks it for the caller's role)."""
    return {
        "id": row.id,
        "caller_number": row.caller_number,
        "caller_name": row.caller_name,
        "topic": row.topic,
        "language": row.language,
        "status": row.status.value,
        "attempts": row.attempts,
        "requested_at": row.requested_at.isoformat(),
        "done_at": row.handled_at.isoformat()
        if row.handled_at and row.status == CallbackStatus.DONE
        else None,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "claimed_by": row.claimed_by,
        "give_up_reason": row.give_up_reason,
    }


def list_callbacks(
    session: Session, *, status: CallbackStatus | None = None, limit: int = 200
) -> list[CallbackRequest]:
    query = select(CallbackRequest)
    if status is not None:
        query = query.where(CallbackRequest.status == status)
    order = (CallbackRequest.requested_at.desc(), CallbackRequest.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def get_callback(session: Session, callback_id: int) -> CallbackRequest:
    row = session.get(CallbackRequest, callback_id)
    if row is None:
        raise NotFoundError(f"no callback {callback_id}")
    return row


def _audit(session: Session, row: CallbackRequest, actor: Actor, action: str, **details: Any) -> None:
    audit(session, actor, action=action, object_type="callback", object_id=str(row.id), **details)


def claim(session: Session, row: CallbackRequest, actor: Actor) -> None:
    """An operator calls back by hand; the dialer leaves a claimed callback alone."""
    if row.status != CallbackStatus.PENDING:
        raise CallbackError(f"callback {row.id} is {row.status.value}; only a pending one can be claimed")
    row.status = CallbackStatus.CLAIMED
    row.claimed_by = actor.username
    _audit(session, row, actor, "callback.claim")
    session.flush()


def mark_done(session: Session, row: CallbackRequest, actor: Actor, *, at: datetime | None = None) -> None:
    if row.status not in OPEN:
        raise CallbackError(f"callback {row.id} is already {row.status.value}")
    row.status = CallbackStatus.DONE
    row.handled_at = at or utcnow()
    row.handled_by = actor.username
    row.next_attempt_at = None
    _audit(session, row, actor, "callback.done")
    session.flush()


def give_up(session: Session, row: CallbackRequest, actor: Actor, *, reason: str) -> None:
    if row.status not in OPEN:
        raise CallbackError(f"callback {row.id} is already {row.status.value}")
    if not reason.strip():
        raise CallbackError("giving up needs a reason")
    row.status = CallbackStatus.FAILED
    row.give_up_reason = reason.strip()[:255]
    row.handled_at = utcnow()
    row.handled_by = actor.username
    row.next_attempt_at = None
    _audit(session, row, actor, "callback.give_up", reason=row.give_up_reason)
    session.flush()


def attempts_of(session: Session, callback_id: int) -> list[CallbackAttempt]:
    return list(
        session.scalars(
            select(CallbackAttempt)
            .where(CallbackAttempt.callback_id == callback_id)
            .order_by(CallbackAttempt.number)
        )
    )


def topic_queues(settings: Settings) -> dict[str, str]:
    """Topic id -> queue, from the catalogue (where a callback of that topic is dialed into)."""
    from hotline.routing import _catalogue

    catalogue = _catalogue(settings)
    if catalogue is None:
        return {}
    return {topic.id: topic.queue for topic in catalogue.topics if topic.queue}


def waiting_per_queue(session: Session, settings: Settings) -> dict[str, int]:
    """Callbacks not yet done (pending or being dialed) per queue, for the wallboard."""
    queues = topic_queues(settings)
    rows = session.execute(
        select(CallbackRequest.topic, func.count())
        .where(CallbackRequest.status.in_(WAITING))
        .group_by(CallbackRequest.topic)
    ).all()
    counts: dict[str, int] = {}
    for topic, count in rows:
        queue = queues.get(topic or "", "") or "(no queue)"
        counts[queue] = counts.get(queue, 0) + count
    return counts


@dataclass(frozen=True)
class CallbackKpis:
    requested: int
    done: int
    done_in_time: int
    given_up: int
    attempts: int
    within_min: int

    @property
    def attempts_per_callback(self) -> float | None:
        finished = self.done + self.given_up
        return None if finished == 0 else round(self.attempts / finished, 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "done": self.done,
            "done_within_min": self.within_min,
            "done_in_time": self.done_in_time,
            "done_in_time_pct": None
            if self.requested == 0
            else round(100 * self.done_in_time / self.requested, 1),
            "given_up": self.given_up,
            "attempts_per_callback": self.attempts_per_callback,
        }


def kpis(session: Session, settings: Settings, *, since: datetime, until: datetime) -> CallbackKpis:
    """Callbacks requested in [since, until): done within N minutes, attempts per finished callback."""
    rows = session.scalars(
        select(CallbackRequest).where(
            CallbackRequest.requested_at >= since, CallbackRequest.requested_at < until
        )
    ).all()
    within = settings.dialer.done_within_min * 60
    done = [row for row in rows if row.status == CallbackStatus.DONE and row.handled_at]
    finished = [row for row in rows if row.status in (CallbackStatus.DONE, CallbackStatus.FAILED)]
    return CallbackKpis(
        requested=len(rows),
        done=len(done),
        done_in_time=sum(
            1
            for row in done
            if row.handled_at and (row.handled_at - row.requested_at).total_seconds() <= within
        ),
        given_up=sum(1 for row in rows if row.status == CallbackStatus.FAILED),
        attempts=sum(row.attempts for row in finished),
        within_min=settings.dialer.done_within_min,
    )
