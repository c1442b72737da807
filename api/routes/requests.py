"""Citizen requests: register, change status, overdue list and escalation, Open311-style status."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from api.auth import ALL_ROLES, Principal, require, roles_note
from api.csvout import csv_response
from api.wiring import wiring_of
from hotline import citizen, digest
from hotline.db import transaction
from hotline.models import Call, CitizenRequest, RequestStatus, Role
from hotline.timeutil import utcnow

router = APIRouter(tags=["requests"])
WRITE_ROLES = (Role.SUPERVISOR, Role.ADMIN)
NUMBER = r"^[0-9]{1,32}$"


class NewRequest(BaseModel):
    summary: str = Field(min_length=1, max_length=10_000)
    caller_number: str | None = Field(default=None, max_length=64)
    caller_name: str | None = Field(default=None, max_length=255)
    topic: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=512)
    call_id: int | None = Field(default=None, ge=1)


class StatusChange(BaseModel):
    status: RequestStatus
    note: str = Field(default="", max_length=10_000)


def _today(request: Request) -> date:
    return citizen.local_day(wiring_of(request).settings, utcnow())


def _get(session: Any, number: str) -> CitizenRequest:
    row = citizen.find_request(session, number)
    if row is None:
        raise HTTPException(404, f"no request {number}")
    return row


@router.post(
    "/api/requests",
    status_code=201,
    summary="Register a citizen request; returns it with its new number and answer date. "
    + roles_note(*WRITE_ROLES),
)
def create_request(
    *, request: Request, body: NewRequest, user: Annotated[Principal, require(*WRITE_ROLES)]
) -> dict[str, Any]:
    wiring = wiring_of(request)
    with transaction(wiring.session_factory) as session:
        if body.call_id is not None and session.get(Call, body.call_id) is None:
            raise HTTPException(422, f"no call {body.call_id}")
        row = citizen.register_request(
            session, wiring.settings, created_by=user.username, **body.model_dump(exclude_none=True)
        )
        return citizen.as_open311(row)


@router.get("/api/requests", summary="List requests, newest first. " + roles_note(*ALL_ROLES))
def list_requests(
    *,
    request: Request,
    user: Annotated[Principal, require(*ALL_ROLES)],
    status: RequestStatus | None = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    caller_number: Annotated[str | None, Query(max_length=64)] = None,
    view: Literal["all", "overdue"] = "all",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    with wiring_of(request).session_factory() as session:
        query = select(CitizenRequest)
        if status is not None:
            query = query.where(CitizenRequest.status == status)
        if topic:
            query = query.where(CitizenRequest.topic == topic)
        if caller_number:
            query = query.where(CitizenRequest.caller_number == caller_number)
        if view == "overdue":
            query = query.where(citizen.overdue_clause(_today(request)))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(CitizenRequest.created_at.desc(), CitizenRequest.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return {"total": total, "items": [citizen.as_open311(row) for row in rows]}


@router.get(
    "/api/requests/overdue",
    summary="Open requests past their answer date (what goes to the head of department); format=csv. "
    + roles_note(*ALL_ROLES),
)
def overdue(
    *,
    request: Request,
    format: Literal["json", "csv"] = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    today = _today(request)
    with wiring_of(request).session_factory() as session:
        rows = citizen.overdue_requests(session, today=today)
        items = [citizen.as_open311(row) | {"days_overdue": (today - row.expected_at).days} for row in rows]
    if format == "csv":
        flat = [{k: v for k, v in item.items() if k != "history"} for item in items]
        return csv_response(flat, f"overdue-requests-{today:%Y%m%d}.csv")
    return {"as_of": today.isoformat(), "total": len(items), "items": items}


@router.post(
    "/api/requests/overdue/escalate",
    summary="Escalate overdue requests to their department heads (history, audit, e-mail when "
    "routing.mail is set); returns the newly escalated. " + roles_note(*WRITE_ROLES),
)
def escalate(*, request: Request, user: Annotated[Principal, require(*WRITE_ROLES)]) -> dict[str, Any]:
    wiring = wiring_of(request)
    with transaction(wiring.session_factory) as session:
        rows = digest.escalate_overdue(session, wiring.settings.routing.mail, today=_today(request))
        return {"escalated": [row.number for row in rows]}


@router.get(
    "/api/requests/{number}",
    summary="One request in the spirit of Open311: status, status notes, expected date, history. "
    + roles_note(*ALL_ROLES),
)
def get_request(
    *,
    request: Request,
    number: Annotated[str, Path(pattern=NUMBER)],
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> dict[str, Any]:
    with wiring_of(request).session_factory() as session:
        return citizen.as_open311(_get(session, number))


@router.post(
    "/api/requests/{number}/status",
    summary="Change a request's status with a note (kept in its history). " + roles_note(*WRITE_ROLES),
)
def set_status(
    *,
    request: Request,
    body: StatusChange,
    number: Annotated[str, Path(pattern=NUMBER)],
    user: Annotated[Principal, require(*WRITE_ROLES)],
) -> dict[str, Any]:
    with transaction(wiring_of(request).session_factory) as session:
        row = _get(session, number)
        citizen.change_status(session, row, status=body.status, note=body.note, changed_by=user.username)
        return citizen.as_open311(row)
