"""`hotline report queues|agents|calls`: KPIs and call records from the database, as table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

import typer

from hotline.context import cli_state
from hotline.kpi import KPI_DEFINITIONS

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
CALL_KEYS = (
    "pbx",
    "linkedid",
    "started_at",
    "caller_number",
    "caller_name",
    "dialed_number",
    "ivr_topic",
    "queue",
    "queue_entered_at",
    "initial_position",
    "outcome",
    "agent",
    "wait_s",
    "talk_s",
    "hangup_cause",
    "hangup_cause_text",
    "recording_file",
    "ended_at",
)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    import hotline.workforce_cli  # noqa: F401  (adds staffing, occupancy, pauses, intervals)

    app.add_typer(report_app, name="report")


def _when(value: str | None, default: datetime, zone: Any) -> datetime:
    if value is None:
        return default
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO date or date-time (2026-11-22, 2026-11-22T14:00)"
        ) from None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


def _window(since: str | None, until: str | None, zone: Any) -> tuple[datetime, datetime]:
    today = datetime.combine(date.today(), time(), tzinfo=zone)
    start = _when(since, today, zone)
    end = _when(until, start + timedelta(days=1) if since else datetime.now(zone), zone)
    if end <= start:
        raise typer.BadParameter("--until must be after --since")
    return start, end


class _Report(NamedTuple):
    session: Session
    settings: Settings
    start: datetime
    end: datetime


@contextmanager
def _report_session(ctx: typer.Context, since: str | None, until: str | None) -> Iterator[_Report]:
    """The settings, the --since/--until window and a database session that every report starts from."""
    from hotline import db

    settings = cli_state(ctx).settings()
    start, end = _window(since, until, settings.zone)
    factory = db.make_session_factory(db.make_engine(settings.database))
    with factory() as session:
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
    from sqlalchemy import select

    from hotline.kpi import compute_kpis
    from hotline.models import AgentPeriod, AgentPeriodKind

    with _report_session(ctx, since, until) as (session, settings, start, end):
        kpis = compute_kpis(session, group_by="agent", since=start, until=end, settings=settings, pbx=pbx)
        query = select(AgentPeriod).where(AgentPeriod.started_at < end)
        if pbx:
            query = query.where(AgentPeriod.pbx == pbx)
        totals: dict[tuple[str, str], dict[str, float]] = {}
        now = datetime.now(settings.zone)
        for period in session.scalars(query):
            ended = period.ended_at or now
            overlap = (min(ended, end) - max(period.started_at, start)).total_seconds()
            if overlap <= 0 or period.kind is AgentPeriodKind.LOGGED_IN:
                continue
            key = "talk_s" if period.kind is AgentPeriodKind.TALK else "paused_s"
            bucket = totals.setdefault((period.pbx, period.agent_name), {"talk_s": 0.0, "paused_s": 0.0})
            bucket[key] += overlap
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in kpis:
        rows[(r.pbx or "", r.key)] = {**r.as_dict(), "agent": r.key}
    for (row_pbx, agent), times in totals.items():
        row = rows.setdefault((row_pbx, agent), {"pbx": row_pbx, "agent": agent, "answered": 0})
        row.update({k: round(v, 1) for k, v in times.items()})
    _emit([rows[k] for k in sorted(rows)], AGENT_KEYS, fmt)


@report_app.command("calls")
def calls_command(
    ctx: typer.Context,
    since: str | None = _SINCE,
    until: str | None = _UNTIL,
    fmt: Format = _FORMAT,
    pbx: str | None = _PBX,
    queue: str | None = typer.Option(None, "--queue", help="only calls of this queue"),
) -> None:
    """One line per call started in the window: caller, topic, queue, outcome, agent, wait and talk."""
    from sqlalchemy import select

    from hotline.models import Call

    with _report_session(ctx, since, until) as (session, settings, start, end):
        query = select(Call).where(Call.started_at >= start, Call.started_at < end).order_by(Call.started_at)
        if pbx:
            query = query.where(Call.pbx == pbx)
        if queue:
            query = query.where(Call.queue == queue)
        rows = [{k: getattr(call, k) for k in CALL_KEYS} for call in session.scalars(query)]
    for row in rows:
        for key in ("started_at", "queue_entered_at", "ended_at"):
            if row[key] is not None:
                row[key] = row[key].astimezone(settings.zone)
    _emit(rows, CALL_KEYS, fmt)
