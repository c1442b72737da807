"""Reports over call records, written once for `hotline report` and the API: the window, the call rows
and the agents' talk and pause totals. KPIs themselves are in hotline.kpi.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from hotline.domain import AgentPeriodKind, CallOutcome
from hotline.errors import HotlineError
from hotline.kpi import compute_kpis
from hotline.models import AgentPeriod, Call
from hotline.settings import Settings
from hotline.timeutil import utcnow

MAX_SPAN = timedelta(days=400)

# One list of columns for the CLI's `report calls` and `GET /api/calls` (JSON and CSV). The recording's
# path stays on the server: `has_recording` says whether there is one.
CALL_COLUMNS = (
    "id", "pbx", "linkedid", "started_at", "caller_number", "caller_name", "dialed_number", "ivr_topic",
    "language", "queue", "queue_entered_at", "initial_position", "answered_at", "outcome", "agent", "wait_s",
    "talk_s", "hangup_cause", "hangup_cause_text", "ended_at", "has_recording",
)  # fmt: skip
CALL_TIMES = ("started_at", "queue_entered_at", "answered_at", "ended_at")


class ReportWindowError(HotlineError):
    """A report window that cannot be answered: backwards, too long or out of range."""

    exit_code = 2


def report_window(
    settings: Settings, since: datetime | None, until: datetime | None, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """[since, until) in UTC. Default: today so far in the configured time zone; naive inputs are local
    time there (never the host's); the span is at most MAX_SPAN."""
    zone = settings.zone
    if until is None:
        until = now or utcnow()
    elif until.tzinfo is None:
        until = until.replace(tzinfo=zone)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=zone)
    try:
        # Converting a moment near year 1 or 9999 to another zone can leave the calendar.
        if since is None:
            since = datetime.combine(until.astimezone(zone).date(), time(), tzinfo=zone)
        since, until = since.astimezone(UTC), until.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ReportWindowError("date out of range") from None
    if since >= until:
        raise ReportWindowError("since must be before until")
    if until - since > MAX_SPAN:
        raise ReportWindowError(f"window longer than {MAX_SPAN.days} days")
    return since, until


class CallFilters(BaseModel):
    """The filters of the call list, for `hotline report calls` and `GET /api/calls` (its query
    parameters). The lengths are the columns': a longer value could match no call."""

    model_config = ConfigDict(frozen=True)

    pbx: str | None = Field(default=None, max_length=64)
    queue: str | None = Field(default=None, max_length=64)
    agent: str | None = Field(default=None, max_length=255, description="name or interface")
    topic: str | None = Field(default=None, max_length=64)
    outcome: CallOutcome | None = None
    caller_number: str | None = Field(default=None, max_length=64)


def call_query(since: datetime, until: datetime, filters: CallFilters) -> Select[Call]:
    """Calls started in [since, until) matching every filter given."""
    query = select(Call).where(Call.started_at >= since, Call.started_at < until)
    if filters.pbx:
        query = query.where(Call.pbx == filters.pbx)
    if filters.queue:
        query = query.where(Call.queue == filters.queue)
    if filters.agent:
        query = query.where(or_(Call.agent == filters.agent, Call.agent_interface == filters.agent))
    if filters.topic:
        query = query.where(Call.ivr_topic == filters.topic)
    if filters.outcome:
        query = query.where(Call.outcome == filters.outcome)
    if filters.caller_number:
        query = query.where(Call.caller_number == filters.caller_number)
    return query


def call_row(call: Call) -> dict[str, Any]:
    """One call as CALL_COLUMNS; times stay aware datetimes for the caller to render."""
    row: dict[str, Any] = {column: getattr(call, column) for column in CALL_COLUMNS[:-1]}
    row["outcome"] = call.outcome.value
    row["has_recording"] = bool(call.recording_file)
    return row


def agent_time_totals(
    session: Session, since: datetime, until: datetime, *, pbx: str | None = None, now: datetime | None = None
) -> dict[tuple[str, str], dict[str, float]]:
    """Seconds of talk and pause per (pbx, agent) inside [since, until); open periods count up to now."""
    now = now or utcnow()
    query = select(AgentPeriod).where(AgentPeriod.started_at < until)
    if pbx:
        query = query.where(AgentPeriod.pbx == pbx)
    totals: dict[tuple[str, str], dict[str, float]] = {}
    for period in session.scalars(query):
        ended = period.ended_at or now
        overlap = (min(ended, until) - max(period.started_at, since)).total_seconds()
        if overlap <= 0 or period.kind is AgentPeriodKind.LOGGED_IN:
            continue
        key = "talk_s" if period.kind is AgentPeriodKind.TALK else "paused_s"
        bucket = totals.setdefault((period.pbx, period.agent_name), {"talk_s": 0.0, "paused_s": 0.0})
        bucket[key] += overlap
    return totals


def agent_rows(
    session: Session, settings: Settings, since: datetime, until: datetime, *, pbx: str | None = None
) -> list[dict[str, Any]]:
    """Per agent: the KPIs of the calls answered and the talk and pause seconds, sorted by (pbx, agent)."""
    kpis = compute_kpis(session, group_by="agent", since=since, until=until, settings=settings, pbx=pbx)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for kpi in kpis:
        rows[(kpi.pbx or "", kpi.key)] = {**kpi.as_dict(), "agent": kpi.key}
    for (row_pbx, agent), times in agent_time_totals(session, since, until, pbx=pbx).items():
        row = rows.setdefault((row_pbx, agent), {"pbx": row_pbx, "agent": agent, "answered": 0})
        row.update({key: round(value, 1) for key, value in times.items()})
    return [rows[key] for key in sorted(rows)]
