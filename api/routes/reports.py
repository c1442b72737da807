"""Reports: KPIs (the same implementation as `hotline report`) and call history; CSV for any of them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import func, or_, select

from api.csvout import csv_response
from api.deps import CurrentUser, SessionDep, SettingsDep, masking
from api.schemas import CSV_TOO, CallPage, CallRow, KpiReport
from api.validation import Moment
from hotline.models import Call, CallOutcome
from hotline.settings import Settings
from hotline.timeutil import utcnow

router = APIRouter(tags=["reports"])
Format = Literal["json", "csv"]
MAX_SPAN = timedelta(days=400)

CALL_COLUMNS = [
    "id", "pbx", "linkedid", "started_at", "caller_number", "ivr_topic", "language", "queue",
    "queue_entered_at", "answered_at", "outcome", "agent", "wait_s", "talk_s", "hangup_cause_text",
    "ended_at", "has_recording",
]  # fmt: skip


def window(settings: Settings, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """Default: today in local time. Naive inputs are local time; the span is bounded."""
    zone = settings.zone
    now = utcnow()
    if until is None:
        until = now
    elif until.tzinfo is None:
        until = until.replace(tzinfo=zone)
    if since is None:
        since = datetime.combine(until.astimezone(zone).date(), time(), tzinfo=zone)
    elif since.tzinfo is None:
        since = since.replace(tzinfo=zone)
    try:
        since, until = since.astimezone(UTC), until.astimezone(UTC)
    except (OverflowError, ValueError):
        raise HTTPException(422, "date out of range") from None
    if since >= until:
        raise HTTPException(422, "since must be before until")
    if until - since > MAX_SPAN:
        raise HTTPException(422, f"window longer than {MAX_SPAN.days} days")
    return since, until


@router.get(
    "/api/reports/kpi",
    summary="KPIs per queue, agent, hour, day or topic over a window (default today, local time); "
    "definitions at /api/reports/kpi/definitions. format=csv for a spreadsheet.",
    response_model=KpiReport,
    responses=CSV_TOO,
)
def kpi_report(
    *,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    group_by: Literal["queue", "agent", "hour", "day", "topic"] = "queue",
    since: Moment | None = None,
    until: Moment | None = None,
    pbx: Annotated[str | None, Query(max_length=64)] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    format: Format = "json",
) -> KpiReport | Response:
    from hotline.kpi import compute_kpis

    start, end = window(settings, since, until)
    rows = compute_kpis(
        session, group_by=group_by, since=start, until=end, settings=settings, pbx=pbx, queue=queue
    )
    if format == "csv":
        return csv_response(
            [row.as_dict() for row in rows], f"kpi-{group_by}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
        )
    return KpiReport(group_by=group_by, since=start.isoformat(), until=end.isoformat(), rows=rows)


@router.get(
    "/api/reports/kpi/definitions",
    summary="How each KPI is defined.",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def kpi_definitions(user: CurrentUser) -> Response:
    from hotline.kpi import KPI_DEFINITIONS

    return Response(KPI_DEFINITIONS, media_type="text/plain; charset=utf-8")


@router.get(
    "/api/calls",
    summary="Call history with filters and paging, newest first; format=csv exports the filtered rows "
    "(up to 100000).",
    response_model=CallPage,
    responses=CSV_TOO,
)
def calls(
    *,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    since: Moment | None = None,
    until: Moment | None = None,
    pbx: Annotated[str | None, Query(max_length=64)] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    agent: Annotated[str | None, Query(max_length=255)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    outcome: CallOutcome | None = None,
    caller_number: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: Format = "json",
) -> CallPage | Response:
    start, end = window(settings, since, until)
    query = select(Call).where(Call.started_at >= start, Call.started_at < end)
    if pbx:
        query = query.where(Call.pbx == pbx)
    if queue:
        query = query.where(Call.queue == queue)
    if agent:
        query = query.where(or_(Call.agent == agent, Call.agent_interface == agent))
    if topic:
        query = query.where(Call.ivr_topic == topic)
    if outcome:
        query = query.where(Call.outcome == outcome)
    if caller_number:
        query = query.where(Call.caller_number == caller_number)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if format == "csv":
        limit, offset = 100_000, 0
    rows = session.scalars(query.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit).offset(offset))
    items = masking(settings, user).record([_call_dict(row) for row in rows])
    if format == "csv":
        return csv_response(items, f"calls-{start:%Y%m%d}-{end:%Y%m%d}.csv", CALL_COLUMNS)
    return CallPage(
        total=total, limit=limit, offset=offset, items=[CallRow.model_validate(item) for item in items]
    )


def _call_dict(call: Call) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for column in CALL_COLUMNS[:-1]:
        value = getattr(call, column)
        data[column] = value.isoformat() if isinstance(value, datetime) else value
    data["outcome"] = call.outcome.value
    data["has_recording"] = bool(call.recording_file)
    return data
