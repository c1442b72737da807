"""`hotline report staffing`: operators needed per half-hour (Erlang C/A) beside those logged in."""

from __future__ import annotations

import typer

from hotline.report_cli import _FORMAT, _SINCE, _UNTIL, Format, _emit, _report_session, report_app
from hotline.staffing import STAFFING_DEFINITIONS, Target, forecast_week, next_week_start, past_intervals
from hotline.timeutil import utcnow

STAFFING_KEYS = (
    "interval_start",
    "offered",
    "aht_s",
    "agents_required",
    "agents_logged_in",
    "sl_forecast_pct",
)


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
