"""Reports: KPIs (the same implementation as `hotline report`) and call history; CSV for any of them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from api.deps import SessionDep, SettingsDep, SupervisionUser, masking
from api.schemas import CallPage, CallRow, KpiReport
from api.tableout import FILES_TOO, file_response
from api.validation import Moment
from hotline.models import Call
from hotline.reports import (
    CALL_COLUMNS,
    CALL_TIMES,
    CallFilters,
    ReportWindowError,
    call_query,
    call_row,
    report_window,
)
from hotline.settings import Settings

router = APIRouter(tags=["reports"])
Format = Literal["json", "csv", "xlsx"]


def window(settings: Settings, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The shared report window (hotline.reports); its errors are the client's: 422."""
    try:
        return report_window(settings, since, until)
    except ReportWindowError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get(
    "/api/reports/kpi",
    summary="KPIs per queue, agent, hour, day or topic over a window (default today, local time); "
    "definitions at /api/reports/kpi/definitions. format=csv for a spreadsheet.",
    response_model=KpiReport,
    responses=FILES_TOO,
)
def kpi_report(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    group_by: Literal["queue", "agent", "hour", "day", "topic"] = "queue",
    since: Moment | None = None,
    until: Moment | None = None,
    pbx: Annotated[str | None, Query(max_length=64)] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    format: Format = "json",
) -> KpiReport | Response:
    from hotline.kpi import compute_kpis

    start, end = window(settings, since, until)
    rows = compute_kpis(
        session, group_by=group_by, since=start, until=end, settings=settings, pbx=pbx, queue=queue
    )
    if format != "json":
        table = [row.as_dict() for row in rows]
        columns = list(table[0]) if table else ["key", "pbx"]
        return file_response(
            table, columns, fmt=format, filename=f"kpi-{group_by}-{start:%Y%m%d}-{end:%Y%m%d}"
        )
    return KpiReport(group_by=group_by, since=start.isoformat(), until=end.isoformat(), rows=rows)


@router.get(
    "/api/reports/kpi/definitions",
    summary="How each KPI is defined.",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def kpi_definitions(user: SupervisionUser) -> Response:
    from hotline.kpi import KPI_DEFINITIONS

    return Response(KPI_DEFINITIONS, media_type="text/plain; charset=utf-8")


@router.get(
    "/api/calls",
    summary="Call history with filters and paging, newest first; format=csv exports the filtered rows "
    "(up to 100000).",
    response_model=CallPage,
    responses=FILES_TOO,
)
def calls(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    since: Moment | None = None,
    until: Moment | None = None,
    filters: Annotated[CallFilters, Query()],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: Format = "json",
) -> CallPage | Response:
    start, end = window(settings, since, until)
    query = call_query(start, end, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if format != "json":
        limit, offset = 100_000, 0
    rows = session.scalars(query.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit).offset(offset))
    items = masking(settings, user).record([_call_dict(row) for row in rows])
    if format != "json":
        return file_response(
            items, list(CALL_COLUMNS), fmt=format, filename=f"calls-{start:%Y%m%d}-{end:%Y%m%d}"
        )
    return CallPage(
        total=total, limit=limit, offset=offset, items=[CallRow.model_validate(item) for item in items]
    )


def _call_dict(call: Call) -> dict[str, Any]:
    row = call_row(call)
    for column in CALL_TIMES:
        if row[column] is not None:
            row[column] = row[column].isoformat()
    return row
