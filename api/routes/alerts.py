"""Supervisor alerts (the status-lookup limit tripped...): list and acknowledge; the wallboard shows them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request

from api.auth import Principal, require
from api.loop_schemas import AlertAck, AlertItem
from api.validation import column_max
from api.wiring import wiring_of
from hotline import lookup_limits
from hotline.db import transaction
from hotline.models import Role, SupervisorAlert
from hotline.timeutil import utcnow

router = APIRouter(tags=["alerts"])
ALERT_ROLES = (Role.SUPERVISOR, Role.ADMIN)


@router.get(
    "/api/alerts", response_model=list[AlertItem], summary="Alerts not acknowledged yet, newest first."
)
def list_alerts(
    *, request: Request, user: Annotated[Principal, require(*ALERT_ROLES)]
) -> list[dict[str, Any]]:
    with wiring_of(request).session_factory() as session:
        return lookup_limits.open_alerts(session, limit=100)


@router.post("/api/alerts/{alert_id}/ack", response_model=AlertAck, summary="Acknowledge an alert.")
def acknowledge(
    *,
    request: Request,
    alert_id: Annotated[int, Path(ge=1, le=column_max(SupervisorAlert.id))],
    user: Annotated[Principal, require(*ALERT_ROLES)],
) -> dict[str, Any]:
    with transaction(wiring_of(request).session_factory) as session:
        if not lookup_limits.acknowledge(session, alert_id, by=user.username, now=utcnow()):
            raise HTTPException(404, f"no open alert {alert_id}")
    return {"id": alert_id, "acknowledged_by": user.username}
