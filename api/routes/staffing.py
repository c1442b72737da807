"""Staffing report (Erlang C/A from the records) and its page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep, SupervisionUser
from api.render import render
from api.routes.reports import window
from api.table_schemas import StaffingReport
from api.tableout import FILES_TOO, TableFormat, table_response
from api.validation import Moment
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
    "mode=next_week: the coming week forecast from the window (default: the last 4 weeks).",
    response_model=StaffingReport,
    responses=FILES_TOO,
)
def staffing_report(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    since: Moment | None = None,
    until: Moment | None = None,
    mode: Literal["past", "next_week"] = "past",
    sl_target: Annotated[float, Query(gt=0, lt=100)] = 80.0,
    sl_seconds: Annotated[float, Query(ge=0, le=3600)] = 20.0,
    wrapup_s: Annotated[float, Query(ge=0, le=3600)] = 0.0,
    format: TableFormat = "json",
) -> StaffingReport | Response:
    zone = settings.zone
    if mode == "next_week" and since is None:
        week = next_week_start(utcnow(), zone)
        since, until = week - timedelta(weeks=HISTORY_WEEKS + 1), week - timedelta(weeks=1)
    start, end = window(settings, since, until)
    target = Target(sl_pct=sl_target, sl_seconds=sl_seconds, wrapup_s=wrapup_s)
    if mode == "next_week":
        result = forecast_week(session, start, end, zone, target, next_week_start(utcnow(), zone))
    else:
        result = past_intervals(session, start, end, zone, target)
    rows = [{**row.as_dict(), "interval_start": row.interval_start.astimezone(zone)} for row in result.rows]
    return table_response(
        StaffingReport,
        rows,
        COLUMNS,
        fmt=format,
        filename=f"staffing-{mode}-{start:%Y%m%d}",
        window=(start, end),
        definitions=STAFFING_DEFINITIONS,
        mode=mode,
        model=result.model,
        patience_s=None if result.patience_s is None else round(result.patience_s, 1),
        sl_target=sl_target,
        sl_seconds=sl_seconds,
    )


@router.get("/staffing", include_in_schema=False)
def staffing_page(*, request: Request, user: SupervisionUser, settings: SettingsDep) -> Response:
    today = utcnow().astimezone(settings.zone).date()
    return render(
        request,
        "staffing.html",
        user,
        since=(today - timedelta(days=6)).isoformat(),  # the last seven days, today included
        until=today.isoformat(),
        definitions=STAFFING_DEFINITIONS,
    )
