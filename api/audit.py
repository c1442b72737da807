"""Audit trail of personal-data access (recording play/download, transcript view)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from hotline import audit as core_audit
from hotline.audit import Actor
from hotline.models import AuditLog
from hotline.timeutil import utcnow

# A player fetches a recording in many ranges while it plays and seeks; requests by the same user for
# the same recording within this time after the last entry are one play session, one entry.
PLAY_SESSION = timedelta(minutes=30)


def actor_of(request: Request, user: Principal) -> Actor:
    return Actor(user.username, user.user_id, request.client.host if request.client else None)


def record(
    session: Session,
    request: Request,
    user: Principal,
    *,
    action: str,
    object_type: str,
    object_id: str | int,
    **details: Any,
) -> None:
    core_audit.record(
        session,
        actor_of(request, user),
        action=action,
        object_type=object_type,
        object_id=object_id,
        **details,
    )


def record_play(
    session: Session,
    request: Request,
    user: Principal,
    *,
    action: str,
    recording_id: int,
    call_id: int | None,
    served: str,
) -> bool:
    """Audit serving recording content unless this play session is already audited; True if written."""
    covered = session.scalar(
        select(AuditLog.id)
        .where(
            AuditLog.at >= utcnow() - PLAY_SESSION,
            AuditLog.user_id == user.user_id,
            AuditLog.action == action,
            AuditLog.object_type == "recording",
            AuditLog.object_id == str(recording_id),
        )
        .limit(1)
    )
    if covered is not None:
        return False
    record(
        session,
        request,
        user,
        action=action,
        object_type="recording",
        object_id=recording_id,
        call_id=call_id,
        range=served,
    )
    return True
