"""The audit log for admins: who played, downloaded or viewed what, from where; CSV export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from api.csvout import csv_response
from api.deps import AdminUser, SessionDep, SettingsDep
from api.routes.reports import window
from api.schemas import CSV_TOO, AuditEntry, AuditPage
from api.validation import Moment
from hotline.models import AuditLog

router = APIRouter(tags=["audit"])
COLUMNS = ["id", "at", "username", "action", "object_type", "object_id", "client_addr", "details"]


@router.get(
    "/api/audit",
    summary="Audit entries, newest first, filtered; format=csv exports (up to 100000).",
    response_model=AuditPage,
    responses=CSV_TOO,
)
def audit_log(
    *,
    user: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    since: Moment | None = None,
    until: Moment | None = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    object_type: Annotated[str | None, Query(max_length=64)] = None,
    object_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: Literal["json", "csv"] = "json",
) -> AuditPage | Response:
    start, end = window(settings, since, until)
    query = select(AuditLog).where(AuditLog.at >= start, AuditLog.at < end)
    for column, value in (
        (AuditLog.username, username),
        (AuditLog.action, action),
        (AuditLog.object_type, object_type),
        (AuditLog.object_id, object_id),
    ):
        if value:
            query = query.where(column == value)
    if format == "csv":
        limit, offset = 100_000, 0
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset))
    items = [
        AuditEntry(
            id=row.id,
            at=row.at.isoformat(),
            username=row.username,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            client_addr=row.client_addr,
            details=row.details,
        )
        for row in rows
    ]
    if format == "csv":
        return csv_response(
            [item.model_dump() for item in items], f"audit-{start:%Y%m%d}-{end:%Y%m%d}.csv", COLUMNS
        )
    return AuditPage(total=total, items=items)
