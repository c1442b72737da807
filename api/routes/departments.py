"""Departments and their request queue: list, take, answer, close, reassign, digest, escalation.

Department users see and work only their own department's requests (another department's number
is a 404 for them, never a 403 that would confirm it exists); supervisors and admins see all.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.audit import actor_of
from api.auth import Principal
from api.deps import DepartmentUser, RoutingUser, SessionDep, SettingsDep, SupervisorUser, masking
from api.loop_schemas import DepartmentDigest, DepartmentList, DepartmentQueue, QueueRequest
from api.routes.requests import NUMBER
from hotline import citizen, digest, routing
from hotline.audit import Actor
from hotline.errors import HotlineError, NotFoundError
from hotline.models import CitizenRequest, Department, Role
from hotline.privacy import Masking
from hotline.settings import Settings
from hotline.timeutil import utcnow

router = APIRouter(tags=["departments"])
NAME = routing.DEPARTMENT_NAME.pattern
Number = Annotated[str, Path(pattern=NUMBER)]


class Step(Protocol):
    """One change to a request, as hotline.routing's take, answer and close make it."""

    def __call__(
        self, session: Session, request: CitizenRequest, /, *, actor: Actor, department: Department | None
    ) -> object: ...


class AnswerBody(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


class CloseBody(BaseModel):
    note: str = Field(default="", max_length=2_000)


class ReassignBody(BaseModel):
    department: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2_000)


def own_department(session: Session, user: Principal) -> Department | None:
    """The department a department user is limited to; None for supervisors and admins."""
    if user.role != Role.DEPARTMENT:
        return None
    department = routing.department_of(session, user.user_id)
    if department is None:
        raise HTTPException(409, "your user belongs to no department")
    return department


def _today(settings: Settings) -> date:
    return citizen.local_day(settings, utcnow())


def request_item(row: CitizenRequest, shown: Masking, today: date) -> dict[str, Any]:
    """The request as the caller's role may see it (hotline.privacy), with its overdue flag."""
    item = shown.record(citizen.as_open311(row))
    item["overdue"] = citizen.is_overdue(row, today)
    return item


@router.get(
    "/api/departments",
    response_model=DepartmentList,
    summary="Departments with head, members and open/overdue counts.",
)
def list_departments(*, user: RoutingUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    today = _today(settings)
    items = [routing.describe(session, row, today=today) for row in routing.list_departments(session)]
    return {"total": len(items), "items": items}


@router.get(
    "/api/department/requests",
    response_model=DepartmentQueue,
    summary="The department's request queue (open and answered, due first); supervisors pass ?department=.",
)
def department_queue(
    *,
    user: DepartmentUser,
    session: SessionDep,
    settings: SettingsDep,
    department: Annotated[str | None, Query(pattern=NAME)] = None,
    include_closed: bool = False,
) -> dict[str, Any]:
    today = _today(settings)
    target = own_department(session, user)
    if target is None:
        if department is None:
            raise HTTPException(422, "name the department (?department=NAME)")
        target = _department(session, department)
    rows = routing.department_requests(session, target.id, include_closed=include_closed)
    digest_counts = digest.build_digest(session, target, today=today).counts()
    shown = masking(settings, user)
    return {
        "department": target.name,
        "title": target.title,
        "digest": digest_counts,
        "items": [request_item(row, shown, today) for row in rows],
    }


def _department(session: Session, name: str) -> Department:
    try:
        return routing.find_department(session, name)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None


def _work(
    request: Request, session: Session, settings: Settings, user: Principal, number: str, step: Step
) -> dict[str, Any]:
    """One step on a request in one transaction; another department's request is a 404 for its users."""
    today = _today(settings)
    row = citizen.find_request(session, number)
    department = own_department(session, user)
    if row is None or (department is not None and row.department_id != department.id):
        raise HTTPException(404, f"no request {number}")
    try:
        step(session, row, actor=actor_of(request, user), department=department)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except HotlineError as exc:
        raise HTTPException(409, str(exc)) from None
    item = request_item(row, masking(settings, user), today)
    session.commit()
    return item


@router.post(
    "/api/requests/{number}/take", response_model=QueueRequest, summary="Take a request to work on it."
)
def take(
    *, request: Request, number: Number, user: DepartmentUser, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    return _work(request, session, settings, user, number, routing.take)


@router.post(
    "/api/requests/{number}/answer",
    response_model=QueueRequest,
    summary="Answer a request with a text (the caller can hear it or get it by SMS).",
)
def answer(
    *,
    request: Request,
    body: AnswerBody,
    number: Number,
    user: DepartmentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    return _work(request, session, settings, user, number, partial(routing.answer, text=body.text))


@router.post("/api/requests/{number}/close", response_model=QueueRequest, summary="Close a request.")
def close(
    *,
    request: Request,
    body: CloseBody,
    number: Number,
    user: DepartmentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    return _work(request, session, settings, user, number, partial(routing.close, note=body.note))


@router.post(
    "/api/requests/{number}/reassign",
    response_model=QueueRequest,
    summary="Move a request to another department, with a reason.",
)
def reassign(
    *,
    request: Request,
    body: ReassignBody,
    number: Number,
    user: SupervisorUser,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    def step(session: Session, row: CitizenRequest, *, actor: Actor, department: Department | None) -> None:
        routing.reassign(session, row, _department(session, body.department), reason=body.reason, actor=actor)

    return _work(request, session, settings, user, number, step)


@router.get(
    "/api/departments/{name}/digest",
    response_model=DepartmentDigest,
    summary="The department's digest: open, due within 7 days, overdue.",
)
def department_digest(
    *,
    name: Annotated[str, Path(pattern=NAME)],
    user: DepartmentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    today = _today(settings)
    own = own_department(session, user)
    target = _department(session, name)
    if own is not None and own.id != target.id:
        raise HTTPException(404, f"no department {name!r}")
    result = digest.build_digest(session, target, today=today)
    numbers = {
        key: [row.number for row in rows]
        for key, rows in (
            ("open", result.open),
            ("due_this_week", result.due_this_week),
            ("overdue", result.overdue),
        )
    }
    return {
        "department": target.name,
        "as_of": today.isoformat(),
        "counts": result.counts(),
        "numbers": numbers,
    }
