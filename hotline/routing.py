"""Requests routed to the competent department: who answers, by when, and what they do with it.

A topic's default department comes from the catalogue (`topics[].department`); registration assigns
it, a supervisor may reassign with a reason. Department users take a request, answer it with a text
and close it. Every change is one status-history row (what the caller hears about) and one audit row
(who did it).
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import citizen  # citizen imports this module too: use it at call time only
from hotline.audit import Actor
from hotline.audit import record as audit
from hotline.catalogue import Catalogue, load_catalogue
from hotline.domain import OPEN_STATUSES
from hotline.errors import HotlineError, NotFoundError
from hotline.models import (
    CitizenRequest,
    Department,
    DepartmentMember,
    RequestStatus,
    RequestStatusChange,
    User,
)
from hotline.settings import Settings
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)
# A department's short name is in URLs and in the catalogue (`topics[].department`).
DEPARTMENT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class RoutingError(HotlineError):
    """A routing step cannot be done as asked (wrong department, wrong state)."""


def _catalogue(settings: Settings) -> Catalogue | None:
    try:
        return load_catalogue(settings.agi.catalogue_path)
    except HotlineError as exc:
        log.warning("topic catalogue unreadable; requests stay unrouted", extra={"error": str(exc)})
        return None


def topic_department_name(settings: Settings, topic: str | None) -> str | None:
    catalogue = _catalogue(settings)
    if catalogue is None or not topic:
        return None
    for entry in catalogue.topics:
        if entry.id == topic:
            return entry.department
    return None


def department_for_topic(session: Session, settings: Settings, topic: str | None) -> Department | None:
    """The topic's default department; None (and a warning) when it is not set up."""
    name = topic_department_name(settings, topic)
    if name is None:
        return None
    department = session.scalar(select(Department).where(Department.name == name))
    if department is None:
        log.warning("topic's department is not set up; request stays unrouted", extra={"topic": topic})
    return department


def local_today(settings: Settings) -> date:
    return utcnow().astimezone(settings.zone).date()


def holidays(settings: Settings) -> set[date]:
    days = {date.fromisoformat(day) for day in settings.routing.holidays}
    catalogue = _catalogue(settings)
    if catalogue is not None:
        for schedule in catalogue.schedules.values():
            days.update(schedule.holidays)
    return days


def due_date(settings: Settings, start: date, days: int) -> date:
    """`days` after `start`, in calendar days or in working days (Mon-Fri, holidays skipped)."""
    if settings.routing.answer_days_count == "calendar":
        return start + timedelta(days=days)
    off = holidays(settings)
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            left -= 1
    return day


# ---------------------------------------------------------------------------- departments and members
def find_department(session: Session, name: str) -> Department:
    department = session.scalar(select(Department).where(Department.name == name))
    if department is None:
        raise NotFoundError(f"no department {name!r}")
    return department


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def add_department(
    session: Session, *, name: str, head: str | None = None, title: str = "", email: str | None = None
) -> Department:
    if not DEPARTMENT_NAME.match(name):
        raise RoutingError(f"invalid department name {name!r}: letters, digits and _ . - only, up to 64")
    if session.scalar(select(Department.id).where(Department.name == name)) is not None:
        raise RoutingError(f"department {name!r} already exists")
    department = Department(name=name, title=title or name, email=email)
    if head is not None:
        department.head_user_id = _user(session, head).id
    session.add(department)
    session.flush()
    return department


def add_member(session: Session, *, user: User, department: Department) -> None:
    member = session.get(DepartmentMember, user.id)
    if member is None:
        session.add(DepartmentMember(user_id=user.id, department_id=department.id))
    else:
        member.department_id = department.id
    session.flush()


def department_of(session: Session, user_id: int) -> Department | None:
    """The department a user works for (a member, or its head)."""
    member = session.get(DepartmentMember, user_id)
    if member is not None:
        return session.get(Department, member.department_id)
    return session.scalar(select(Department).where(Department.head_user_id == user_id).limit(1))


def describe(session: Session, department: Department, *, today: date) -> dict[str, Any]:
    head = session.get(User, department.head_user_id) if department.head_user_id else None
    members = session.scalars(
        select(User.username)
        .join(DepartmentMember, DepartmentMember.user_id == User.id)
        .where(DepartmentMember.department_id == department.id)
        .order_by(User.username)
    ).all()
    open_rows = _open(department.id)
    open_count = session.scalar(select(func.count()).select_from(open_rows.subquery())) or 0
    overdue = session.scalar(
        select(func.count()).select_from(open_rows.where(citizen.overdue_clause(today)).subquery())
    )
    return {
        "name": department.name,
        "title": department.title,
        "head": head.username if head else None,
        "email": department.email,
        "members": list(members),
        "open": open_count,
        "overdue": overdue or 0,
    }


def list_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def _open(department_id: int) -> Any:
    return select(CitizenRequest).where(
        CitizenRequest.department_id == department_id, CitizenRequest.status.in_(OPEN_STATUSES)
    )


# ---------------------------------------------------------------------------- working a request
def _record(
    session: Session,
    request: CitizenRequest,
    actor: Actor,
    *,
    action: str,
    status: RequestStatus | None = None,
    note: str = "",
    **details: Any,
) -> None:
    now = utcnow()
    new_status = status or request.status
    request.history.append(
        RequestStatusChange(status=new_status, note=note, changed_by=actor.username, changed_at=now)
    )
    request.status = new_status
    if new_status in (RequestStatus.CLOSED, RequestStatus.REJECTED):
        request.closed_at = now
    audit(
        session, actor, action=action, object_type="request", object_id=request.number, note=note, **details
    )
    session.flush()


def assignment_note(department: Department | None) -> str:
    return f"assigned to {department.name}" if department else "no department for this topic"


def reassign(
    session: Session, request: CitizenRequest, department: Department, *, reason: str, actor: Actor
) -> None:
    if not reason.strip():
        raise RoutingError("a reassignment needs a reason")
    if request.status not in OPEN_STATUSES:
        raise RoutingError(f"request {request.number} is {request.status.value}; only open requests move")
    before = session.get(Department, request.department_id) if request.department_id else None
    request.department = department
    request.assignee = None
    _record(
        session,
        request,
        actor,
        action="request.reassign",
        note=f"reassigned to {department.name}: {reason.strip()}",
        before=before.name if before else None,
        after=department.name,
    )


def _check_department(request: CitizenRequest, department: Department | None) -> None:
    # Department users work their own department's requests only (None = supervisor, any department).
    if department is not None and request.department_id != department.id:
        raise NotFoundError(f"no request {request.number} in department {department.name}")


def take(session: Session, request: CitizenRequest, *, actor: Actor, department: Department | None) -> None:
    _check_department(request, department)
    if request.status not in OPEN_STATUSES:
        raise RoutingError(f"request {request.number} is {request.status.value}")
    request.assignee = actor.username
    _record(session, request, actor, action="request.take", status=RequestStatus.IN_PROGRESS, note="taken")


def answer(
    session: Session, request: CitizenRequest, *, text: str, actor: Actor, department: Department | None
) -> None:
    _check_department(request, department)
    if not text.strip():
        raise RoutingError("the answer needs a text")
    if request.status not in (*OPEN_STATUSES, RequestStatus.ANSWERED):
        raise RoutingError(f"request {request.number} is {request.status.value}")
    request.answer_text = text.strip()
    request.answered_at = utcnow()
    request.assignee = request.assignee or actor.username
    _record(session, request, actor, action="request.answer", status=RequestStatus.ANSWERED, note="answered")


def close(
    session: Session, request: CitizenRequest, *, actor: Actor, department: Department | None, note: str = ""
) -> None:
    _check_department(request, department)
    if request.status in (RequestStatus.CLOSED, RequestStatus.REJECTED):
        raise RoutingError(f"request {request.number} is already {request.status.value}")
    _record(
        session, request, actor, action="request.close", status=RequestStatus.CLOSED, note=note or "closed"
    )


def department_requests(
    session: Session, department_id: int, *, include_closed: bool = False, limit: int = 200
) -> list[CitizenRequest]:
    query = select(CitizenRequest).where(CitizenRequest.department_id == department_id)
    if not include_closed:
        query = query.where(CitizenRequest.status.in_((*OPEN_STATUSES, RequestStatus.ANSWERED)))
    return list(session.scalars(query.order_by(CitizenRequest.expected_at, CitizenRequest.id).limit(limit)))
