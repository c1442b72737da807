"""Reports: KPIs (the same implementation as `hotline report`) and call history; CSV for any of them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from api.auth import ALL_ROLES, Principal, require, roles_note
from api.csvout import csv_response
from api.wiring import wiring_of
from hotline.models import Call, CallOutcome
from hotline.reports import CALL_COLUMNS, CALL_TIMES, ReportWindowError, call_query, call_row, report_window
from hotline.settings import Settings

router = APIRouter(tags=["reports"])
Format = Literal["json", "csv"]


def window(settings: Settings, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The shared report window (hotline.reports); its errors are the client's: 422."""
    try:
        return report_window(settings, since, until)
    except ReportWindowError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get(
    "/api/reports/kpi",
    summary="KPIs per queue, agent, hour, day or topic over a window (default today, local time); "
    "definitions at /api/reports/kpi/definitions. format=csv for a spreadsheet. " + roles_note(*ALL_ROLES),
)
def kpi_report(
    *,
    request: Request,
    group_by: Literal["queue", "agent", "hour", "day", "topic"] = "queue",
    since: datetime | None = None,
    until: datetime | None = None,
    pbx: Annotated[str | None, Query(max_length=64)] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    format: Format = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    from hotline.kpi import compute_kpis

    wiring = wiring_of(request)
    start, end = window(wiring.settings, since, until)
    with wiring.session_factory() as session:
        rows = [
            row.as_dict()
            for row in compute_kpis(
                session,
                group_by=group_by,
                since=start,
                until=end,
                settings=wiring.settings,
                pbx=pbx,
                queue=queue,
            )
        ]
    if format == "csv":
        return csv_response(rows, f"kpi-{group_by}-{start:%Y%m%d}-{end:%Y%m%d}.csv")
    return {"group_by": group_by, "since": start.isoformat(), "until": end.isoformat(), "rows": rows}


@router.get("/api/reports/kpi/definitions", summary="How each KPI is defined. " + roles_note(*ALL_ROLES))
def kpi_definitions(*, user: Annotated[Principal, require(*ALL_ROLES)]) -> Response:
    from hotline.kpi import KPI_DEFINITIONS

    return Response(KPI_DEFINITIONS, media_type="text/plain; charset=utf-8")


@router.get(
    "/api/calls",
    summary="Call history with filters and paging, newest first; format=csv exports the filtered rows "
    "(up to 100000). " + roles_note(*ALL_ROLES),
)
def calls(
    *,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    pbx: Annotated[str | None, Query(max_length=64)] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    agent: Annotated[str | None, Query(max_length=255)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    outcome: CallOutcome | None = None,
    caller_number: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: Format = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    start, end = window(wiring.settings, since, until)
    query = call_query(
        start,
        end,
        pbx=pbx,
        queue=queue,
        agent=agent,
        topic=topic,
        outcome=outcome,
        caller_number=caller_number,
    )
    with wiring.session_factory() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        if format == "csv":
            limit, offset = 100_000, 0
        rows = session.scalars(
            query.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit).offset(offset)
        )
        items = [_call_dict(row) for row in rows]
    if format == "csv":
        return csv_response(items, f"calls-{start:%Y%m%d}-{end:%Y%m%d}.csv", list(CALL_COLUMNS))
    return {"total": total, "limit": limit, "offset": offset, "items": items}


def _call_dict(call: Call) -> dict[str, Any]:
    row = call_row(call)
    for column in CALL_TIMES:
        if row[column] is not None:
            row[column] = row[column].isoformat()
    return row
