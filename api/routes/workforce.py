"""Supervisor reports: occupancy, pause reasons, interval KPIs (JSON, CSV, XLSX) and the reports page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep, SupervisionUser
from api.render import render
from api.routes.reports import window
from api.table_schemas import IntervalReport, OccupancyReport, PauseReport
from api.tableout import FILES_TOO, TableFormat, table_response
from api.validation import Moment
from hotline.timeutil import utcnow
from hotline.workforce import (
    INTERVAL_KEYS,
    OCCUPANCY_KEYS,
    PAUSE_KEYS,
    WORKFORCE_DEFINITIONS,
    interval_kpis,
    occupancy,
    pause_reasons,
)

router = APIRouter(tags=["reports"])
WindowEnd = Moment | None  # since or until of a report window


@router.get(
    "/api/reports/occupancy",
    summary="Occupancy per operator (by=agent) or queue: talk + wrap-up over logged-in, not paused time; "
    "calls per hour.",
    response_model=OccupancyReport,
    responses=FILES_TOO,
)
def occupancy_report(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    since: WindowEnd = None,
    until: WindowEnd = None,
    by: Literal["agent", "queue"] = "agent",
    wrapup_s: Annotated[float, Query(ge=0, le=3600)] = 0.0,
    format: TableFormat = "json",
) -> OccupancyReport | Response:
    start, end = window(settings, since, until)
    rows = occupancy(session, since=start, until=end, by=by, wrapup_s=wrapup_s, now=utcnow())
    return table_response(
        OccupancyReport,
        [row.as_dict() for row in rows],
        OCCUPANCY_KEYS,
        fmt=format,
        filename=f"occupancy-{by}-{start:%Y%m%d}",
        window=(start, end),
        definitions=WORKFORCE_DEFINITIONS,
        by=by,
        wrapup_s=wrapup_s,
    )


@router.get(
    "/api/reports/pauses",
    summary="Pause time per operator and reason, with each reason's share.",
    response_model=PauseReport,
    responses=FILES_TOO,
)
def pauses_report(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    since: WindowEnd = None,
    until: WindowEnd = None,
    format: TableFormat = "json",
) -> PauseReport | Response:
    start, end = window(settings, since, until)
    rows = pause_reasons(session, since=start, until=end, now=utcnow())
    return table_response(
        PauseReport,
        [row.as_dict() for row in rows],
        PAUSE_KEYS,
        fmt=format,
        filename=f"pauses-{start:%Y%m%d}",
        window=(start, end),
        definitions=WORKFORCE_DEFINITIONS,
    )


@router.get(
    "/api/reports/intervals",
    summary="Calls and KPIs per half-hour (minutes=30) or hour (60), per date (by=day) or per weekday "
    "(by=weekday, all weeks of the window summed).",
    response_model=IntervalReport,
    responses=FILES_TOO,
)
def intervals_report(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    since: WindowEnd = None,
    until: WindowEnd = None,
    minutes: Annotated[int, Query(ge=30, le=60, multiple_of=30)] = 30,
    by: Literal["day", "weekday"] = "day",
    format: TableFormat = "json",
) -> IntervalReport | Response:
    start, end = window(settings, since, until)
    rows = interval_kpis(session, since=start, until=end, settings=settings, minutes=minutes, by=by)
    return table_response(
        IntervalReport,
        rows,
        INTERVAL_KEYS,
        fmt=format,
        filename=f"intervals-{minutes}-{by}-{start:%Y%m%d}",
        window=(start, end),
        definitions=WORKFORCE_DEFINITIONS,
        minutes=minutes,
        by=by,
    )


@router.get("/reports", include_in_schema=False)
def reports_page(*, request: Request, user: SupervisionUser, settings: SettingsDep) -> Response:
    today = utcnow().astimezone(settings.zone).date()
    return render(
        request,
        "reports.html",
        user,
        since=(today - timedelta(days=6)).isoformat(),
        until=today.isoformat(),
        definitions=WORKFORCE_DEFINITIONS,
    )
