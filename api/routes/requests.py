"""Citizen requests: register, change status, overdue list and escalation, Open311-style status."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.csvout import csv_response
from api.deps import SUPERVISING, SessionDep, SettingsDep, SupervisionUser, SupervisorUser, masking
from api.schemas import CSV_TOO, Escalated, Open311Request, OverdueList, OverdueRequest, RequestPage
from api.validation import Text, column_max
from hotline import citizen, digest
from hotline.models import Call, CitizenRequest, RequestStatus
from hotline.privacy import Masking
from hotline.settings import Settings
from hotline.timeutil import utcnow

router = APIRouter(tags=["requests"])
WRITE_ROLES = SUPERVISING
NUMBER = r"^[0-9]{1,32}$"


class NewRequest(BaseModel):
    summary: Text = Field(min_length=1, max_length=10_000)
    caller_number: Text | None = Field(default=None, max_length=64)
    caller_name: Text | None = Field(default=None, max_length=255)
    topic: Text | None = Field(default=None, max_length=64)
    address: Text | None = Field(default=None, max_length=512)
    call_id: int | None = Field(default=None, ge=1, le=column_max(Call.id))


class StatusChange(BaseModel):
    status: RequestStatus
    note: Text = Field(default="", max_length=10_000)


def _today(settings: Settings) -> date:
    return citizen.local_day(settings, utcnow())


def _open311(row: CitizenRequest, mask: Masking) -> Open311Request:
    return Open311Request.model_validate(mask.record(citizen.as_open311(row)))


def _get(session: Session, number: str) -> CitizenRequest:
    row = citizen.find_request(session, number)
    if row is None:
        raise HTTPException(404, f"no request {number}")
    return row


@router.post(
    "/api/requests",
    status_code=201,
    summary="Register a citizen request; returns it with its new number and answer date.",
)
def create_request(
    body: NewRequest, session: SessionDep, settings: SettingsDep, user: SupervisorUser
) -> Open311Request:
    if body.call_id is not None and session.get(Call, body.call_id) is None:
        raise HTTPException(422, f"no call {body.call_id}")
    row = citizen.register_request(
        session, settings, created_by=user.username, **body.model_dump(exclude_none=True)
    )
    answer = _open311(row, masking(settings, user))
    session.commit()
    return answer


@router.get("/api/requests", summary="List requests, newest first.")
def list_requests(
    *,
    session: SessionDep,
    settings: SettingsDep,
    user: SupervisionUser,
    status: RequestStatus | None = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    caller_number: Annotated[str | None, Query(max_length=64)] = None,
    view: Literal["all", "overdue"] = "all",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RequestPage:
    query = select(CitizenRequest)
    if status is not None:
        query = query.where(CitizenRequest.status == status)
    if topic:
        query = query.where(CitizenRequest.topic == topic)
    if caller_number:
        query = query.where(CitizenRequest.caller_number == caller_number)
    if view == "overdue":
        query = query.where(citizen.overdue_clause(_today(settings)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(CitizenRequest.created_at.desc(), CitizenRequest.id.desc()).limit(limit).offset(offset)
    ).all()
    mask = masking(settings, user)
    return RequestPage(total=total, items=[_open311(row, mask) for row in rows])


@router.get(
    "/api/requests/overdue",
    summary="Open requests past their answer date (what goes to the head of department); format=csv.",
    response_model=OverdueList,
    responses=CSV_TOO,
)
def overdue(
    *,
    session: SessionDep,
    settings: SettingsDep,
    format: Literal["json", "csv"] = "json",
    user: SupervisionUser,
) -> OverdueList | Response:
    today = _today(settings)
    rows = citizen.overdue_requests(session, today=today)
    mask = masking(settings, user)
    items = [
        OverdueRequest.model_validate(
            mask.record(citizen.as_open311(row)) | {"days_overdue": (today - row.expected_at).days}
        )
        for row in rows
    ]
    if format == "csv":
        flat = [item.model_dump(exclude={"history"}) for item in items]
        return csv_response(flat, f"overdue-requests-{today:%Y%m%d}.csv")
    return OverdueList(as_of=today.isoformat(), total=len(items), items=items)


@router.post(
    "/api/requests/overdue/escalate",
    summary="Escalate overdue requests to their department heads (history, audit, e-mail when "
    "routing.mail is set); returns the newly escalated.",
)
def escalate(session: SessionDep, settings: SettingsDep, user: SupervisorUser) -> Escalated:
    rows = digest.escalate_overdue(session, settings.routing.mail, today=_today(settings))
    answer = Escalated(escalated=[row.number for row in rows])
    session.commit()
    return answer


@router.get(
    "/api/requests/{number}",
    summary="One request in the spirit of Open311: status, status notes, expected date, history.",
)
def get_request(
    number: Annotated[str, Path(pattern=NUMBER)],
    session: SessionDep,
    settings: SettingsDep,
    user: SupervisionUser,
) -> Open311Request:
    return _open311(_get(session, number), masking(settings, user))


@router.post(
    "/api/requests/{number}/status",
    summary="Change a request's status with a note (kept in its history).",
)
def set_status(
    body: StatusChange,
    number: Annotated[str, Path(pattern=NUMBER)],
    session: SessionDep,
    settings: SettingsDep,
    user: SupervisorUser,
) -> Open311Request:
    row = _get(session, number)
    citizen.change_status(session, row, status=body.status, note=body.note, changed_by=user.username)
    answer = _open311(row, masking(settings, user))
    session.commit()
    return answer
