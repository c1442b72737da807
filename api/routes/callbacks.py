"""Callbacks the IVR promised: list, claim, done, give up, KPIs (supervisors and operators)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from api.audit import actor_of
from api.auth import Principal, require
from api.loop_schemas import CallbackItem, CallbackKpis
from api.validation import column_max
from api.wiring import wiring_of
from hotline import callbacks
from hotline.db import transaction
from hotline.errors import NotFoundError
from hotline.models import CallbackRequest, CallbackStatus, Role
from hotline.privacy import masking_for
from hotline.timeutil import utcnow

router = APIRouter(tags=["callbacks"])
CALLBACK_ROLES = (Role.SUPERVISOR, Role.OPERATOR, Role.ADMIN)


class GiveUpBody(BaseModel):
    reason: str = Field(min_length=1, max_length=255)


@router.get(
    "/api/callbacks",
    response_model=list[CallbackItem],
    summary="Callbacks, newest first: who (masked for the role), topic, language, status, attempts.",
)
def list_callbacks(
    *,
    request: Request,
    user: Annotated[Principal, require(*CALLBACK_ROLES)],
    status: CallbackStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    with wiring_of(request).session_factory() as session:
        rows = callbacks.list_callbacks(session, status=status, limit=limit)
        shown = masking_for(wiring_of(request).settings, user.role)
        return [shown.record(callbacks.as_dict(row)) for row in rows]


@router.get(
    "/api/callbacks/kpis",
    response_model=CallbackKpis,
    summary="Callbacks requested in the last N days: done within N minutes, attempts per callback.",
)
def callback_kpis(
    *,
    request: Request,
    user: Annotated[Principal, require(*CALLBACK_ROLES)],
    days: Annotated[int, Query(ge=1, le=366)] = 1,
) -> dict[str, Any]:
    wiring = wiring_of(request)
    now = utcnow()
    with wiring.session_factory() as session:
        return callbacks.kpis(session, wiring.settings, since=now - timedelta(days=days), until=now).as_dict()


def _change(request: Request, user: Principal, callback_id: int, step: Any) -> dict[str, Any]:
    with transaction(wiring_of(request).session_factory) as session:
        try:
            row = callbacks.get_callback(session, callback_id)
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        try:
            step(session, row)
        except callbacks.CallbackError as exc:
            raise HTTPException(409, str(exc)) from None
        return masking_for(wiring_of(request).settings, user.role).record(callbacks.as_dict(row))


@router.post("/api/callbacks/{callback_id}/claim", response_model=CallbackItem, summary="Call back by hand.")
def claim(
    *,
    request: Request,
    callback_id: Annotated[int, Path(ge=1, le=column_max(CallbackRequest.id))],
    user: Annotated[Principal, require(*CALLBACK_ROLES)],
) -> dict[str, Any]:
    actor = actor_of(request, user)
    return _change(request, user, callback_id, lambda s, row: callbacks.claim(s, row, actor))


@router.post(
    "/api/callbacks/{callback_id}/done", response_model=CallbackItem, summary="The citizen was called back."
)
def done(
    *,
    request: Request,
    callback_id: Annotated[int, Path(ge=1, le=column_max(CallbackRequest.id))],
    user: Annotated[Principal, require(*CALLBACK_ROLES)],
) -> dict[str, Any]:
    actor = actor_of(request, user)
    return _change(request, user, callback_id, lambda s, row: callbacks.mark_done(s, row, actor))


@router.post(
    "/api/callbacks/{callback_id}/give-up",
    response_model=CallbackItem,
    summary="Give up calling back, with a reason.",
)
def give_up(
    *,
    request: Request,
    body: GiveUpBody,
    callback_id: Annotated[int, Path(ge=1, le=column_max(CallbackRequest.id))],
    user: Annotated[Principal, require(*CALLBACK_ROLES)],
) -> dict[str, Any]:
    actor = actor_of(request, user)
    return _change(
        request, user, callback_id, lambda s, row: callbacks.give_up(s, row, actor, reason=body.reason)
    )
