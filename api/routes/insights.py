"""Analysts: frequent words and phrases with their measure, topic share per period with its base, the
calls behind a bar (down to the second to listen from), and why each incident was raised."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from api.auth import ALL_ROLES, Principal, require, roles_note
from api.routes.reports import window
from api.tableout import TableFormat, table_response
from api.wiring import wiring_of
from hotline.models import Incident, Role
from hotline.privacy import masking_for
from hotline.text_stats import FREQUENT_DEFINITIONS, frequent_terms
from hotline.topic_stats import TOPIC_SHARE_DEFINITIONS, calls_behind, period_start, topic_share

router = APIRouter(tags=["analytics"])
AUDIO_ROLES = (Role.ANALYST, Role.ADMIN)  # as api/routes/recordings.py
TERM_COLUMNS = (
    "term", "kind", "calls", "share_pct", "count", "previous_calls", "previous_share_pct", "change_pp",
)  # fmt: skip
SHARE_COLUMNS = ("period_start", "topic", "calls", "base_count", "share_pct", "base")


@router.get(
    "/api/analytics/frequent-terms",
    summary="Frequent words and two-word phrases in transcripts: calls containing each, their share of "
    "transcribed calls, occurrences, and the change against the previous window of the same length; "
    "terms in fewer than min_calls calls are left out. " + roles_note(*ALL_ROLES),
)
def frequent(
    *,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    min_calls: Annotated[int, Query(ge=1, le=10_000)] = 3,
    order: Literal["calls", "change"] = "calls",
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
    format: TableFormat = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    start, end = window(wiring.settings, since, until)
    with wiring.session_factory() as session:
        transcribed, before, rows = frequent_terms(
            session, since=start, until=end, min_calls=min_calls, order=order, limit=limit
        )
    meta = {
        "since": start.isoformat(),
        "until": end.isoformat(),
        "previous_since": (start - (end - start)).isoformat(),
        "transcribed_calls": transcribed,
        "previous_transcribed_calls": before,
        "min_calls": min_calls,
        "order": order,
        "definitions": FREQUENT_DEFINITIONS,
    }
    return table_response(
        [row.as_dict() for row in rows], TERM_COLUMNS, fmt=format, filename=f"terms-{start:%Y%m%d}", meta=meta
    )


@router.get(
    "/api/analytics/topic-periods",
    summary="Share of each topic per day, week or month out of a stated base: offered, answered or "
    "transcribed calls. " + roles_note(*ALL_ROLES),
)
def topic_periods(
    *,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    base: Literal["offered", "answered", "transcribed"] = "answered",
    period: Literal["day", "week", "month"] = "day",
    format: TableFormat = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    start, end = window(wiring.settings, since, until)
    with wiring.session_factory() as session:
        rows = topic_share(
            session, since=start, until=end, zone=wiring.settings.zone, base=base, period=period
        )
    meta = {"since": start.isoformat(), "until": end.isoformat(), "base": base, "period": period,
            "definitions": TOPIC_SHARE_DEFINITIONS}  # fmt: skip
    return table_response(
        [row.as_dict() for row in rows],
        SHARE_COLUMNS,
        fmt=format,
        filename=f"topics-{period}-{base}-{start:%Y%m%d}",
        meta=meta,
    )


@router.get(
    "/api/analytics/topic-calls",
    summary="The calls behind one bar of topic-periods, each with its recording and the second to start "
    "listening at (the first mention of the topic). " + roles_note(*ALL_ROLES),
)
def topic_calls(
    *,
    request: Request,
    start: date,
    topic: Annotated[str, Query(max_length=64)],
    base: Literal["offered", "answered", "transcribed"] = "answered",
    period: Literal["day", "week", "month"] = "day",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> dict[str, Any]:
    if not date(2000, 1, 1) <= start <= date(2200, 1, 1):
        raise HTTPException(422, "start out of range")
    wiring = wiring_of(request)
    start = period_start(start, period)
    with wiring.session_factory() as session:
        items = calls_behind(
            session, start=start, period=period, topic=topic, zone=wiring.settings.zone, base=base
        )
    mask = masking_for(wiring.settings, user.role)  # the one masking policy (hotline.privacy)
    may_listen = user.role in AUDIO_ROLES
    for item in items:
        item["caller_number"] = mask.number(item["caller_number"])
        item["audio_url"] = (
            f"/api/recordings/{item['recording_id']}/audio" if may_listen and item["recording_id"] else None
        )
    return {"start": start.isoformat(), "period": period, "topic": topic, "base": base, "items": items}


def incident_reason(row: Incident) -> str:
    """Why the incident was raised, in the detector's own terms (transcription.reports.detect_incidents)."""
    span = (row.window_end - row.window_start).total_seconds() / 60
    return (
        f"{row.call_count} calls about «{row.topic}» mentioning «{row.key_words}» within {span:.0f} min "
        f"({row.window_start:%Y-%m-%d %H:%M}–{row.window_end:%H:%M} UTC): a burst of calls with the same "
        "topic and address words within a few hours"
    )
