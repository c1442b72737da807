"""Analysts: transcript search, topic share, keyword trends, abuse flags and incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from sqlalchemy import select

from api.auth import ALL_ROLES, Principal, require, roles_note
from api.routes.reports import window
from api.wiring import wiring_of
from hotline.db import transaction
from hotline.models import Incident, Role
from hotline.timeutil import utcnow

router = APIRouter(tags=["analytics"])
ANALYST_ROLES = (Role.ANALYST, Role.ADMIN)


def _incident(row: Incident) -> dict[str, Any]:
    return {
        "id": row.id,
        "topic": row.topic,
        "key_words": row.key_words,
        "window_start": row.window_start.isoformat(),
        "window_end": row.window_end.isoformat(),
        "call_count": row.call_count,
        "call_ids": row.call_ids,
        "detected_at": row.detected_at.isoformat(),
        "acknowledged_at": row.acknowledged_at.isoformat() if row.acknowledged_at else None,
        "acknowledged_by": row.acknowledged_by,
    }


@router.get(
    "/api/incidents",
    summary="Bursts of similar calls detected in the window (default today), newest first. "
    + roles_note(*ALL_ROLES),
)
def incidents(
    *,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    open_only: bool = False,
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> dict[str, Any]:
    wiring = wiring_of(request)
    start, end = window(wiring.settings, since, until)
    query = select(Incident).where(Incident.window_end >= start, Incident.window_start < end)
    if open_only:
        query = query.where(Incident.acknowledged_at.is_(None))
    with wiring.session_factory() as session:
        rows = session.scalars(query.order_by(Incident.window_start.desc()).limit(500)).all()
        return {"items": [_incident(row) for row in rows]}


@router.post(
    "/api/incidents/{incident_id}/acknowledge",
    summary="Mark an incident as seen (by whom, when). " + roles_note(*ALL_ROLES),
)
def acknowledge_incident(
    *,
    request: Request,
    incident_id: Annotated[int, Path(ge=1, le=2**62)],
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> dict[str, Any]:
    with transaction(wiring_of(request).session_factory) as session:
        row = session.get(Incident, incident_id)
        if row is None:
            raise HTTPException(404, "no such incident")
        if row.acknowledged_at is None:
            row.acknowledged_at = utcnow()
            row.acknowledged_by = user.username
        return _incident(row)
