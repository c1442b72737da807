"""Callbacks the IVR promised: list, claim, done, give up, KPIs (supervisors and operators)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.audit import actor_of
from api.auth import Principal
from api.deps import OperatorUser, SessionDep, SettingsDep, masking
from api.loop_schemas import CallbackItem, CallbackKpis
from api.validation import column_max
from hotline import callbacks
from hotline.audit import Actor
from hotline.errors import NotFoundError
from hotline.models import CallbackRequest, CallbackStatus
from hotline.settings import Settings
from hotline.timeutil import utcnow

router = APIRouter(tags=["callbacks"])
CallbackId = Annotated[int, Path(ge=1, le=column_max(CallbackRequest.id))]
Step = Callable[[Session, CallbackRequest, Actor], object]


class GiveUpBody(BaseModel):
    reason: str = Field(min_length=1, max_length=255)


@router.get(
    "/api/callbacks",
    response_model=list[CallbackItem],
    summary="Callbacks, newest first: who (masked for the role), topic, language, status, attempts.",
)
def list_callbacks(
    *,
    user: OperatorUser,
    session: SessionDep,
    settings: SettingsDep,
    status: CallbackStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    rows = callbacks.list_callbacks(session, status=status, limit=limit)
    shown = masking(settings, user)
    return [shown.record(callbacks.as_dict(row)) for row in rows]


@router.get(
    "/api/callbacks/kpis",
    response_model=CallbackKpis,
    summary="Callbacks requested in the last N days: done within N minutes, attempts per callback.",
)
def callback_kpis(
    *,
    user: OperatorUser,
    session: SessionDep,
    settings: SettingsDep,
    days: Annotated[int, Query(ge=1, le=366)] = 1,
) -> dict[str, Any]:
    now = utcnow()
    return callbacks.kpis(session, settings, since=now - timedelta(days=days), until=now).as_dict()


def _change(
    request: Request, user: Principal, session: Session, settings: Settings, callback_id: int, step: Step
) -> dict[str, Any]:
    """One step of a callback in one transaction: 404 for no such callback, 409 if the step is refused."""
    actor = actor_of(request, user)
    try:
        row = callbacks.get_callback(session, callback_id)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    try:
        step(session, row, actor)
    except callbacks.CallbackError as exc:
        raise HTTPException(409, str(exc)) from None
    answer = masking(settings, user).record(callbacks.as_dict(row))
    session.commit()
    return answer


@router.post("/api/callbacks/{callback_id}/claim", response_model=CallbackItem, summary="Call back by hand.")
def claim(
    *,
    request: Request,
    callback_id: CallbackId,
    user: OperatorUser,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    return _change(request, user, session, settings, callback_id, callbacks.claim)


@router.post(
    "/api/callbacks/{callback_id}/done", response_model=CallbackItem, summary="The citizen was called back."
)
def done(
    *,
    request: Request,
    callback_id: CallbackId,
    user: OperatorUser,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    return _change(request, user, session, settings, callback_id, callbacks.mark_done)


@router.post(
    "/api/callbacks/{callback_id}/give-up",
    response_model=CallbackItem,
    summary="Give up calling back, with a reason.",
)
def give_up(
    *,
    request: Request,
    body: GiveUpBody,
    callback_id: CallbackId,
    user: OperatorUser,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    def step(session: Session, row: CallbackRequest, actor: Actor) -> None:
        callbacks.give_up(session, row, actor, reason=body.reason)

    return _change(request, user, session, settings, callback_id, step)
