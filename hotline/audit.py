"""Who changed what: one audit row per change made by a person (or by hotline itself)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hotline.models import AuditLog


@dataclass(frozen=True)
class Actor:
    """Who makes a change: kept in the audit log (and in a request's status history)."""

    username: str
    user_id: int | None = None
    client_addr: str | None = None


def record(
    session: Session, actor: Actor, *, action: str, object_type: str, object_id: str | int, **details: Any
) -> None:
    session.add(
        AuditLog(
            user_id=actor.user_id,
            username=actor.username,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            client_addr=actor.client_addr,
            details=details,
        )
    )
