"""Audit trail of personal-data access (recording play/download, transcript view)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from api.auth import Principal
from hotline.models import AuditLog


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
    session.add(
        AuditLog(
            user_id=user.user_id,
            username=user.username,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            client_addr=request.client.host if request.client else None,
            details=details,
        )
    )
