"""Status lookups must not enumerate requests: unknown numbers are limited per caller and for everyone.

Both windows slide over the `status_lookup` rows (phone and web write the same table). A caller who
typed `per_caller` unknown numbers within `window_s` is refused until the oldest leaves the window;
when all callers together reach `all_callers`, every lookup of an unknown number is refused and
one supervisor alert is raised per window (someone is probably scanning).
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.loop_settings import LookupLimits
from hotline.models import CitizenRequest, StatusLookup, SupervisorAlert

log = logging.getLogger(__name__)

ALERT_KIND = "status_lookup_limit"


class Verdict(enum.StrEnum):
    ALLOWED = "allowed"
    CALLER_LIMITED = "caller_limited"
    GLOBAL_LIMITED = "global_limited"


def _unknown_since(session: Session, since: datetime, who: str | None = None) -> int:
    query = (
        select(func.count())
        .select_from(StatusLookup)
        .where(StatusLookup.found.is_(False), StatusLookup.at > since)
    )
    if who is not None:
        query = query.where(StatusLookup.caller_number == who)
    return session.scalar(query) or 0


def verdict(session: Session, limits: LookupLimits, who: str, now: datetime) -> Verdict:
    since = now - timedelta(seconds=limits.window_s)
    if _unknown_since(session, since, who) >= limits.per_caller:
        return Verdict.CALLER_LIMITED
    if _unknown_since(session, since) >= limits.all_callers:
        _alert_once(session, limits, now)
        return Verdict.GLOBAL_LIMITED
    return Verdict.ALLOWED


def _alert_once(session: Session, limits: LookupLimits, now: datetime) -> None:
    since = now - timedelta(seconds=limits.window_s)
    recent = session.scalar(
        select(func.count())
        .select_from(SupervisorAlert)
        .where(SupervisorAlert.kind == ALERT_KIND, SupervisorAlert.at > since)
    )
    if recent:
        return
    message = (
        f"{limits.all_callers} status lookups of unknown request numbers within {int(limits.window_s)} s: "
        "lookups of unknown numbers are refused until the window clears"
    )
    session.add(SupervisorAlert(kind=ALERT_KIND, message=message, at=now))
    log.warning("global status lookup limit tripped; supervisor alerted", extra={"limit": limits.all_callers})


def lookup(
    session: Session, limits: LookupLimits, *, who: str, number: str, now: datetime, phone: str | None = None
) -> tuple[Verdict, CitizenRequest | None]:
    """Find request `number` for `who` (a caller number or "web:<address>"), within the limits.

    `phone`, when given, must be the request's caller number too (the web page asks for both), so a
    number alone reveals nothing. Every lookup is recorded; only misses count against the limits.
    """
    state = verdict(session, limits, who, now)
    if state is not Verdict.ALLOWED:
        return state, None
    request = session.scalar(select(CitizenRequest).where(CitizenRequest.number == number))
    if request is not None and phone is not None and not same_phone(request.caller_number, phone):
        request = None
    session.add(
        StatusLookup(caller_number=who[:64], number_tried=number[:64], found=request is not None, at=now)
    )
    session.flush()
    return Verdict.ALLOWED, request


def same_phone(a: str | None, b: str | None) -> bool:
    """Same subscriber: the last ten digits agree (+7 916..., 8 916... and 916... are one number)."""
    digits_a = "".join(ch for ch in a or "" if ch.isdigit())[-10:]
    digits_b = "".join(ch for ch in b or "" if ch.isdigit())[-10:]
    return len(digits_a) >= 5 and digits_a == digits_b


def open_alerts(session: Session, limit: int = 20) -> list[dict[str, str | int]]:
    """Alerts no supervisor has acknowledged yet, newest first (the wallboard shows them)."""
    rows = session.scalars(
        select(SupervisorAlert)
        .where(SupervisorAlert.acknowledged_at.is_(None))
        .order_by(SupervisorAlert.at.desc(), SupervisorAlert.id.desc())
        .limit(limit)
    )
    return [
        {"id": row.id, "kind": row.kind, "message": row.message, "at": row.at.isoformat()} for row in rows
    ]


def acknowledge(session: Session, alert_id: int, *, by: str, now: datetime) -> bool:
    row = session.get(SupervisorAlert, alert_id)
    if row is None or row.acknowledged_at is not None:
        return False
    row.acknowledged_at = now
    row.acknowledged_by = by
    return True
