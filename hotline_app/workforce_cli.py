"""`hotline report staffing|occupancy|pauses|intervals`: the supervisor's workforce reports."""

from __future__ import annotations

from enum import StrEnum

import typer

from hotline.staffing import (
    STAFFING_DEFINITIONS,
    STAFFING_KEYS,
    Target,
    forecast_week,
    next_week_start,
    past_intervals,
)
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
from hotline_app.report_cli import _FORMAT, _SINCE, _UNTIL, Format, _emit, _report_session, report_app


@report_app.command("staffing", epilog=STAFFING_DEFINITIONS)
def staffing_command(
    ctx: typer.Context,
    since: str | None = _SINCE,
    until: str | None = _UNTIL,
    sl_target: float = typer.Option(80.0, "--sl-target", min=1, max=99.9, help="target service level, %"),
    sl_seconds: float = typer.Option(20.0, "--sl-seconds", min=0, help="answered within this many seconds"),
    wrapup_s: float = typer.Option(0.0, "--wrapup-s", min=0, help="wrap-up after each call, added to AHT"),
    next_week: bool = typer.Option(
        False, "--next-week", help="forecast the coming week from the --since/--until history"
    ),
    fmt: Format = _FORMAT,
) -> None:
    """Per half-hour: offered calls, AHT, operators required for the target SL, operators logged in."""
    target = Target(sl_pct=sl_target, sl_seconds=sl_seconds, wrapup_s=wrapup_s)
    with _report_session(ctx, since, until) as (session, settings, start, end):
        if next_week:
            week = next_week_start(utcnow(), settings.zone)
            result = forecast_week(session, start, end, settings.zone, target, week)
        else:
            result = past_intervals(session, start, end, settings.zone, target)
    rows = [
        {**row.as_dict(), "interval_start": row.interval_start.astimezone(settings.zone)}
        for row in result.rows
    ]
    if fmt is Format.table:
        patience = "unknown" if result.patience_s is None else f"{result.patience_s:.0f} s"
        typer.echo(f"model: {result.model}; caller patience: {patience}; target {sl_target:g}/{sl_seconds:g}")
    _emit(rows, STAFFING_KEYS, fmt)


class OccupancyBy(StrEnum):
    agent = "agent"
    queue = "queue"


class IntervalBy(StrEnum):
    day = "day"
    weekday = "weekday"


_WRAPUP = typer.Option(0.0, "--wrapup-s", min=0, help="wrap-up after each call (queue wrapuptime)")


@report_app.command("occupancy", epilog=WORKFORCE_DEFINITIONS)
def occupancy_command(
    ctx: typer.Context,
    since: str | None = _SINCE,
    until: str | None = _UNTIL,
    by: OccupancyBy = typer.Option(OccupancyBy.agent, "--by", help="agent or queue"),
    wrapup_s: float = _WRAPUP,
    fmt: Format = _FORMAT,
) -> None:
    """Occupancy per operator or queue: talk plus wrap-up over logged-in, not paused time."""
    with _report_session(ctx, since, until) as (session, _settings, start, end):
        rows = occupancy(session, since=start, until=end, by=by.value, wrapup_s=wrapup_s, now=utcnow())
    _emit([row.as_dict() for row in rows], OCCUPANCY_KEYS, fmt)


@report_app.command("pauses", epilog=WORKFORCE_DEFINITIONS)
def pauses_command(
    ctx: typer.Context, since: str | None = _SINCE, until: str | None = _UNTIL, fmt: Format = _FORMAT
) -> None:
    """Pause time per operator and reason, with each reason's share of the operator's pauses."""
    with _report_session(ctx, since, until) as (session, _settings, start, end):
        rows = pause_reasons(session, since=start, until=end, now=utcnow())
    _emit([row.as_dict() for row in rows], PAUSE_KEYS, fmt)


@report_app.command("intervals", epilog=WORKFORCE_DEFINITIONS)
def intervals_command(
    ctx: typer.Context,
    since: str | None = _SINCE,
    until: str | None = _UNTIL,
    hourly: bool = typer.Option(False, "--hourly", help="hours instead of half-hours"),
    by: IntervalBy = typer.Option(IntervalBy.day, "--by", help="day (each date) or weekday (weeks summed)"),
    fmt: Format = _FORMAT,
) -> None:
    """Calls and KPIs per half-hour or hour, by date or by weekday."""
    with _report_session(ctx, since, until) as (session, settings, start, end):
        rows = interval_kpis(
            session, since=start, until=end, settings=settings, minutes=60 if hourly else 30, by=by.value
        )
    _emit(rows, INTERVAL_KEYS, fmt)
