"""Staffing report (Erlang C/A from the records) and its page."""

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
from hotline.staffing import (
    STAFFING_DEFINITIONS,
    STAFFING_KEYS,
    Target,
    forecast_week,
    next_week_start,
    past_intervals,
)
from hotline.timeutil import utcnow

router = APIRouter(tags=["reports"])
COLUMNS = (*STAFFING_KEYS, "understaffed")
HISTORY_WEEKS = 4


@router.get(
    "/api/reports/staffing",
    summary="Per half-hour: offered calls, AHT, operators required for the target service level (Erlang C, "
    "or Erlang A when caller patience is known) and operators logged in. mode=past: the window as it was; "
    "mode=next_week: the coming week forecast from the window (default: the last 4 weeks). "
    + roles_note(*ALL_ROLES),
)
def staffing_report(
    *,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Literal["past", "next_week"] = "past",
    sl_target: Annotated[float, Query(gt=0, lt=100)] = 80.0,
    sl_seconds: Annotated[float, Query(ge=0, le=3600)] = 20.0,
    wrapup_s: Annotated[float, Query(ge=0, le=3600)] = 0.0,
    format: TableFormat = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    zone = wiring.settings.zone
    if mode == "next_week" and since is None:
        week = next_week_start(utcnow(), zone)
        since, until = week - timedelta(weeks=HISTORY_WEEKS + 1), week - timedelta(weeks=1)
    start, end = window(wiring.settings, since, until)
    target = Target(sl_pct=sl_target, sl_seconds=sl_seconds, wrapup_s=wrapup_s)
    with wiring.session_factory() as session:
        if mode == "next_week":
            result = forecast_week(session, start, end, zone, target, next_week_start(utcnow(), zone))
        else:
            result = past_intervals(session, start, end, zone, target)
    rows = [{**row.as_dict(), "interval_start": row.interval_start.astimezone(zone)} for row in result.rows]
    meta = {
        "mode": mode,
        "since": start.isoformat(),
        "until": end.isoformat(),
        "model": result.model,
        "patience_s": None if result.patience_s is None else round(result.patience_s, 1),
        "sl_target": sl_target,
        "sl_seconds": sl_seconds,
        "definitions": STAFFING_DEFINITIONS,
    }
    return table_response(rows, COLUMNS, fmt=format, filename=f"staffing-{mode}-{start:%Y%m%d}", meta=meta)


@router.get("/staffing", include_in_schema=False, summary=roles_note(*ALL_ROLES))
def staffing_page(*, request: Request, user: Annotated[Principal, require(*ALL_ROLES)]) -> Response:
    today = utcnow().astimezone(wiring_of(request).settings.zone).date()
    return render(
        request,
        "staffing.html",
        user,
        since=(today - timedelta(days=6)).isoformat(),  # the last seven days, today included
        until=today.isoformat(),
        definitions=STAFFING_DEFINITIONS,
    )
