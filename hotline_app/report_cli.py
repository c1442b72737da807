"""`hotline report queues|agents|calls`: KPIs and call records from the database, as table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

import typer
from pydantic import ValidationError

from hotline.context import cli_sessions, cli_state
from hotline.domain import CallOutcome
from hotline.kpi import KPI_DEFINITIONS
from hotline.models import Call
from hotline.reports import (
    CALL_COLUMNS,
    CALL_TIMES,
    CallFilters,
    ReportWindowError,
    agent_rows,
    call_query,
    call_row,
    report_window,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.settings import Settings

report_app = typer.Typer(
    help="Reports over call records (KPIs per queue and agent, the call list).\n\n" + KPI_DEFINITIONS,
    no_args_is_help=True,
)

QUEUE_KEYS = (
    "pbx",
    "queue",
    "offered",
    "answered",
    "abandoned",
    "timeout",
    "answered_within_sl",
    "service_level_pct",
    "abandon_rate_pct",
    "asa_s",
    "aht_s",
    "max_wait_s",
)
AGENT_KEYS = ("pbx", "agent", "answered", "asa_s", "aht_s", "max_wait_s", "talk_s", "paused_s")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    import hotline_app.workforce_cli  # noqa: F401  (adds staffing, occupancy, pauses, intervals)

    app.add_typer(report_app, name="report")


def _when(value: str | None, zone: Any) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO date or date-time (2026-11-22, 2026-11-22T14:00)"
        ) from None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


def _window(since: str | None, until: str | None, settings: Settings) -> tuple[datetime, datetime]:
    """The shared report window; only --since without --until means one day (the API's default is now)."""
    start = _when(since, settings.zone)
    end = _when(until, settings.zone)
    try:
        if start is not None and end is None:
            end = start + timedelta(days=1)
        return report_window(settings, start, end)
    except OverflowError:
        raise typer.BadParameter("date out of range") from None
    except ReportWindowError as exc:
        raise typer.BadParameter(str(exc)) from None


class _Report(NamedTuple):
    session: Session
    settings: Settings
    start: datetime
    end: datetime


@contextmanager
def _report_session(ctx: typer.Context, since: str | None, until: str | None) -> Iterator[_Report]:
    """The settings, the --since/--until window and a database session that every report starts from."""
    settings = cli_state(ctx).settings()
    start, end = _window(since, until, settings)
    with cli_sessions(ctx)() as session:
        yield _Report(session, settings, start, end)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _emit(rows: list[dict[str, Any]], keys: tuple[str, ...], fmt: Format) -> None:
    rows = [{k: _plain(row.get(k)) for k in keys} for row in rows]
    if fmt is Format.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt is Format.csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(keys), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(out.getvalue(), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*keys)
    for row in rows:
        table.add_row(*("" if row[k] is None else str(row[k]) for k in keys))
    Console(width=max(120, 14 * len(keys))).print(table)


_SINCE = typer.Option(None, "--since", help="start, ISO date/time in local time (default: today 00:00)")
_UNTIL = typer.Option(None, "--until", help="end (exclusive; default: now, or a day after --since)")
_FORMAT = typer.Option(Format.table, "--format", help="table, json or csv")
_PBX = typer.Option(None, "--pbx", help="only this PBX")


@report_app.command("queues", epilog=KPI_DEFINITIONS)
def queues_command(
    ctx: typer.Context,
    since: str | None = _SINCE,
    until: str | None = _UNTIL,
    fmt: Format = _FORMAT,
    pbx: str | None = _PBX,
) -> None:
    """KPIs per queue: offered, answered, abandoned, service level, ASA, AHT, longest wait."""
    from hotline.kpi import compute_kpis

    with _report_session(ctx, since, until) as (session, settings, start, end):
        rows = compute_kpis(session, group_by="queue", since=start, until=end, settings=settings, pbx=pbx)
    _emit([{**r.as_dict(), "queue": r.key} for r in rows], QUEUE_KEYS, fmt)


@report_app.command("agents", epilog=KPI_DEFINITIONS)
def agents_command(
    ctx: typer.Context,
    since: str | None = _SINCE,
    until: str | None = _UNTIL,
    fmt: Format = _FORMAT,
    pbx: str | None = _PBX,
) -> None:
    """Per agent: calls answered, ASA, AHT, and talk and pause time in the window."""
    with _report_session(ctx, since, until) as (session, settings, start, end):
        rows = agent_rows(session, settings, start, end, pbx=pbx)
    _emit(rows, AGENT_KEYS, fmt)


@report_app.command("calls")
def calls_command(
    ctx: typer.Context,
    since: str | None = _SINCE,
    until: str | None = _UNTIL,
    fmt: Format = _FORMAT,
    pbx: str | None = _PBX,
    queue: str | None = typer.Option(None, "--queue", help="only calls of this queue"),
    agent: str | None = typer.Option(None, "--agent", help="only this agent (name or interface)"),
    topic: str | None = typer.Option(None, "--topic", help="only calls with this IVR topic"),
    outcome: CallOutcome | None = typer.Option(None, "--outcome", help="only calls with this outcome"),
    caller_number: str | None = typer.Option(None, "--caller-number", help="only calls from this number"),
) -> None:
    """One line per call started in the window (the columns of GET /api/calls), oldest first."""
    try:
        filters = CallFilters(
            pbx=pbx, queue=queue, agent=agent, topic=topic, outcome=outcome, caller_number=caller_number
        )
    except ValidationError as exc:  # a value longer than its column
        wrong = (f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}" for e in exc.errors())
        raise typer.BadParameter("; ".join(wrong)) from None
    with _report_session(ctx, since, until) as (session, settings, start, end):
        query = call_query(start, end, filters)
        rows = [call_row(call) for call in session.scalars(query.order_by(Call.started_at, Call.id))]
    for row in rows:
        for key in CALL_TIMES:
            if row[key] is not None:
                row[key] = row[key].astimezone(settings.zone)
    _emit(rows, CALL_COLUMNS, fmt)
