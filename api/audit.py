"""Audit trail of personal-data access (recording play/download, transcript view)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from api.auth import Principal
from hotline import audit as core_audit
from hotline.audit import Actor


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
