"""Supervisor alerts (the status-lookup limit tripped...): list and acknowledge; the wallboard shows them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from api.deps import SessionDep, SupervisorUser
from api.loop_schemas import AlertAck, AlertItem
from api.validation import column_max
from hotline import lookup_limits
from hotline.models import SupervisorAlert
from hotline.timeutil import utcnow

router = APIRouter(tags=["alerts"])


@router.get(
    "/api/alerts", response_model=list[AlertItem], summary="Alerts not acknowledged yet, newest first."
)
def list_alerts(*, user: SupervisorUser, session: SessionDep) -> list[dict[str, Any]]:
    return lookup_limits.open_alerts(session, limit=100)


@router.post("/api/alerts/{alert_id}/ack", response_model=AlertAck, summary="Acknowledge an alert.")
def acknowledge(
    *,
    alert_id: Annotated[int, Path(ge=1, le=column_max(SupervisorAlert.id))],
    user: SupervisorUser,
    session: SessionDep,
) -> dict[str, Any]:
    if not lookup_limits.acknowledge(session, alert_id, by=user.username, now=utcnow()):
        raise HTTPException(404, f"no open alert {alert_id}")
    session.commit()
    return {"id": alert_id, "acknowledged_by": user.username}
