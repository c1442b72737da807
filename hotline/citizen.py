"""Citizen requests: registration numbers, answer dates, status changes, overdue escalation.

Numbers are digits only (callers type them on a phone keypad), random with a check digit
(hotline/request_numbers.py). The IVR looks requests up by the same `CitizenRequest.number`.
Routing to departments, answers and digests: hotline/routing.py.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import request_numbers, routing
from hotline.catalogue import load_catalogue
from hotline.domain import FINAL_STATUSES, OPEN_STATUSES
from hotline.errors import HotlineError
from hotline.models import CitizenRequest, RequestStatus, RequestStatusChange
from hotline.settings import Settings
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)


def answer_days(settings: Settings, topic: str | None) -> int:
    """Days to answer: the IVR catalogue's topic setting, else api settings per topic, else the default."""
    if topic:
        from_catalogue = _catalogue_days(settings, topic)
        if from_catalogue is not None:
            return from_catalogue
        if topic in settings.api.request_answer_days_by_topic:
            return settings.api.request_answer_days_by_topic[topic]
    return settings.api.request_answer_days


def _catalogue_days(settings: Settings, topic: str) -> int | None:
    try:
        catalogue = load_catalogue(settings.agi.catalogue_path)
    except HotlineError as exc:
        log.warning("topic catalogue unreadable; default answer days used", extra={"error": str(exc)})
        return None
    for entry in catalogue.topics:
        if entry.id == topic:
            days: int | None = entry.answer_days
            return days
    return None


def local_day(settings: Settings, moment: datetime) -> date:
    return moment.astimezone(settings.zone).date()


def register_request(
    session: Session,
    settings: Settings,
    *,
    summary: str,
    caller_number: str | None = None,
    caller_name: str | None = None,
    topic: str | None = None,
    address: str | None = None,
    call_id: int | None = None,
    created_by: str | None = None,
    now: datetime | None = None,
) -> CitizenRequest:
    """Create a request with a fresh number, routed to its topic's department; retries on a taken number."""
    now = now or utcnow()
    day = local_day(settings, now)
    department = routing.department_for_topic(session, settings, topic)
    for _attempt in range(10):
        request = CitizenRequest(
            number=request_numbers.new_number(),
            caller_number=caller_number,
            caller_name=caller_name,
            topic=topic,
            summary=summary,
            address=address,
            call_id=call_id,
            created_by=created_by,
            created_at=now,
            status=RequestStatus.REGISTERED,
            expected_at=routing.due_date(settings, day, answer_days(settings, topic)),
            department_id=department.id if department else None,
        )
        request.history.append(
            RequestStatusChange(
                status=RequestStatus.REGISTERED,
                note=routing.assignment_note(department),
                changed_by=created_by,
                changed_at=now,
            )
        )
        try:
            with session.begin_nested():
                session.add(request)
                session.flush()
        except IntegrityError:
            if find_request(session, request.number) is None:
                raise  # not a number collision: a real constraint failure
            continue
        return request
    raise HotlineError("could not allocate a request number (too many concurrent registrations)")


def change_status(
    session: Session,
    request: CitizenRequest,
    *,
    status: RequestStatus,
    note: str = "",
    changed_by: str | None = None,
    now: datetime | None = None,
) -> RequestStatusChange:
    now = now or utcnow()
    change = RequestStatusChange(status=status, note=note, changed_by=changed_by, changed_at=now)
    request.history.append(change)
    request.status = status
    request.closed_at = now if status in FINAL_STATUSES else None
    session.flush()
    return change


def find_request(session: Session, number: str) -> CitizenRequest | None:
    return session.scalar(select(CitizenRequest).where(CitizenRequest.number == number))


def latest_request_of(session: Session, caller_number: str) -> CitizenRequest | None:
    """The caller's most recent request: what the IVR tells a caller who types no number."""
    return session.scalar(
        select(CitizenRequest)
        .where(CitizenRequest.caller_number == caller_number)
        .order_by(CitizenRequest.created_at.desc(), CitizenRequest.id.desc())
        .limit(1)
    )


def overdue_clause(today: date) -> ColumnElement[bool]:
    """Open and past its answer date: the one definition of overdue for queries."""
    return and_(CitizenRequest.status.in_(OPEN_STATUSES), CitizenRequest.expected_at < today)


def is_overdue(request: CitizenRequest, today: date) -> bool:
    """The same definition for a row already loaded."""
    return request.status in OPEN_STATUSES and request.expected_at < today


def overdue_requests(session: Session, *, today: date) -> list[CitizenRequest]:
    """Open requests past their answer date, oldest due first."""
    return list(
        session.scalars(
            select(CitizenRequest)
            .where(overdue_clause(today))
            .order_by(CitizenRequest.expected_at, CitizenRequest.number)
        )
    )


def as_open311(request: CitizenRequest) -> dict[str, Any]:
    """Open311 GeoReport v2 style fields, plus the status history."""
    last = request.history[-1] if request.history else None
    return {
        "service_request_id": request.number,
        "status": "closed" if request.status in FINAL_STATUSES else "open",
        "detailed_status": request.status.value,
        "status_notes": last.note if last else "",
        "service_code": request.topic,
        "description": request.summary,
        "address": request.address,
        "requested_datetime": request.created_at.isoformat(),
        "updated_datetime": (last.changed_at if last else request.created_at).isoformat(),
        "expected_datetime": request.expected_at.isoformat(),
        "closed_datetime": request.closed_at.isoformat() if request.closed_at else None,
        "escalated_datetime": request.escalated_at.isoformat() if request.escalated_at else None,
        "department": request.department.name if request.department else None,
        "assignee": request.assignee,
        "answer_text": request.answer_text,
        "answered_datetime": request.answered_at.isoformat() if request.answered_at else None,
        "caller_number": request.caller_number,
        "caller_name": request.caller_name,
        "history": [
            {
                "status": change.status.value,
                "note": change.note,
                "changed_by": change.changed_by,
                "changed_at": change.changed_at.isoformat(),
            }
            for change in request.history
        ],
    }
