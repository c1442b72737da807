"""Supervisor reports: occupancy, pause reasons, interval KPIs (JSON, CSV, XLSX) and the reports page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.auth import ALL_ROLES, Principal, require, roles_note
from api.render import render
from api.routes.reports import window
from api.tableout import TableFormat, table_response
from api.wiring import wiring_of
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
Since = datetime | None


def _meta(start: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "since": start.isoformat(),
        "until": end.isoformat(),
        "definitions": WORKFORCE_DEFINITIONS,
        **extra,
    }


@router.get(
    "/api/reports/occupancy",
    summary="Occupancy per operator (by=agent) or queue: talk + wrap-up over logged-in, not paused time; "
    "calls per hour. " + roles_note(*ALL_ROLES),
)
def occupancy_report(
    *,
    request: Request,
    since: Since = None,
    until: Since = None,
    by: Literal["agent", "queue"] = "agent",
    wrapup_s: Annotated[float, Query(ge=0, le=3600)] = 0.0,
    format: TableFormat = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    start, end = window(wiring.settings, since, until)
    with wiring.session_factory() as session:
        rows = occupancy(session, since=start, until=end, by=by, wrapup_s=wrapup_s, now=utcnow())
    return table_response(
        [row.as_dict() for row in rows],
        OCCUPANCY_KEYS,
        fmt=format,
        filename=f"occupancy-{by}-{start:%Y%m%d}",
        meta=_meta(start, end, by=by, wrapup_s=wrapup_s),
    )


@router.get(
    "/api/reports/pauses",
    summary="Pause time per operator and reason, with each reason's share. " + roles_note(*ALL_ROLES),
)
def pauses_report(
    *,
    request: Request,
    since: Since = None,
    until: Since = None,
    format: TableFormat = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    start, end = window(wiring.settings, since, until)
    with wiring.session_factory() as session:
        rows = pause_reasons(session, since=start, until=end, now=utcnow())
    return table_response(
        [row.as_dict() for row in rows],
        PAUSE_KEYS,
        fmt=format,
        filename=f"pauses-{start:%Y%m%d}",
        meta=_meta(start, end),
    )


@router.get(
    "/api/reports/intervals",
    summary="Calls and KPIs per half-hour (minutes=30) or hour (60), per date (by=day) or per weekday "
    "(by=weekday, all weeks of the window summed). " + roles_note(*ALL_ROLES),
)
def intervals_report(
    *,
    request: Request,
    since: Since = None,
    until: Since = None,
    minutes: Annotated[int, Query(ge=30, le=60, multiple_of=30)] = 30,
    by: Literal["day", "weekday"] = "day",
    format: TableFormat = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    start, end = window(wiring.settings, since, until)
    with wiring.session_factory() as session:
        rows = interval_kpis(
            session, since=start, until=end, settings=wiring.settings, minutes=minutes, by=by
        )
    return table_response(
        rows,
        INTERVAL_KEYS,
        fmt=format,
        filename=f"intervals-{minutes}-{by}-{start:%Y%m%d}",
        meta=_meta(start, end, minutes=minutes, by=by),
    )


@router.get("/reports", include_in_schema=False, summary=roles_note(*ALL_ROLES))
def reports_page(*, request: Request, user: Annotated[Principal, require(*ALL_ROLES)]) -> Response:
    today = utcnow().astimezone(wiring_of(request).settings.zone).date()
    return render(
        request,
        "reports.html",
        user,
        since=(today - timedelta(days=6)).isoformat(),
        until=today.isoformat(),
        definitions=WORKFORCE_DEFINITIONS,
    )
