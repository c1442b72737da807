"""Analysts: transcript search, topic share, keyword trends, abuse flags and incidents."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from sqlalchemy import select

from api.auth import ALL_ROLES, Principal, require, roles_note
from api.csvout import csv_response
from api.routes.reports import window
from api.wiring import wiring_of
from hotline.db import transaction
from hotline.models import Incident, Role, Speaker
from hotline.text import topic_reports as reports
from hotline.text.masking import redact
from hotline.text.search import search
from hotline.text.topic_reports import abuse_flags, topic_share_per_day
from hotline.timeutil import utcnow

router = APIRouter(tags=["analytics"])
ANALYST_ROLES = (Role.ANALYST, Role.ADMIN)


def _incident(row: Incident) -> dict[str, Any]:
    return {
        "id": row.id,
        "topic": row.topic,
        "key_words": row.key_words,
        "window_start": row.window_start.isoformat(),
        "window_end": row.window_end.isoformat(),
        "call_count": row.call_count,
        "call_ids": row.call_ids,
        "detected_at": row.detected_at.isoformat(),
        "acknowledged_at": row.acknowledged_at.isoformat() if row.acknowledged_at else None,
        "acknowledged_by": row.acknowledged_by,
    }


@router.get(
    "/api/incidents",
    summary="Bursts of similar calls detected in the window (default today), newest first. "
    + roles_note(*ALL_ROLES),
)
def incidents(
    *,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    open_only: bool = False,
    format: Literal["json", "csv"] = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    start, end = window(wiring.settings, since, until)
    query = select(Incident).where(Incident.window_end >= start, Incident.window_start < end)
    if open_only:
        query = query.where(Incident.acknowledged_at.is_(None))
    with wiring.session_factory() as session:
        rows = session.scalars(query.order_by(Incident.window_start.desc()).limit(500)).all()
        items = [_incident(row) for row in rows]
    if format == "csv":
        return csv_response(items, f"incidents-{start:%Y%m%d}-{end:%Y%m%d}.csv")
    return {"items": items}


@router.post(
    "/api/incidents/{incident_id}/acknowledge",
    summary="Mark an incident as seen (by whom, when). " + roles_note(*ALL_ROLES),
)
def acknowledge_incident(
    *,
    request: Request,
    incident_id: Annotated[int, Path(ge=1, le=2**62)],
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> dict[str, Any]:
    with transaction(wiring_of(request).session_factory) as session:
        row = session.get(Incident, incident_id)
        if row is None:
            raise HTTPException(404, "no such incident")
        if row.acknowledged_at is None:
            row.acknowledged_at = utcnow()
            row.acknowledged_by = user.username
        return _incident(row)


def _redactor_for(request: Request, user: Principal) -> Any:
    if user.role.value not in wiring_of(request).settings.transcription.redact_for_roles:
        return None
    return redact


@router.get(
    "/api/search",
    summary="Search transcripts by words (any form: lemmatized), with filters; each hit gives the "
    "recording and the second to seek to. " + roles_note(*ANALYST_ROLES),
)
def search_transcripts(
    *,
    request: Request,
    query: Annotated[str, Query(min_length=1, max_length=500)],
    since: datetime | None = None,
    until: datetime | None = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    speaker: Speaker | None = None,
    agent: Annotated[str | None, Query(max_length=255)] = None,
    pbx: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    user: Annotated[Principal, require(*ANALYST_ROLES)],
) -> dict[str, Any]:
    wiring = wiring_of(request)
    start, end = (None, None) if since is None and until is None else _bounds(request, since, until)
    redact = _redactor_for(request, user)
    with wiring.session_factory() as session:
        page = search(
            session,
            query=query,
            since=start,
            until=end,
            queue=queue,
            topic=topic,
            speaker=speaker.value if speaker else None,
            agent=agent,
            pbx=pbx,
            limit=limit,
            offset=offset,
        )
    hits = []
    for hit in page.hits:
        item = asdict(hit)
        item["started_at"] = hit.started_at.isoformat() if hit.started_at else None
        if redact is not None:
            item["snippet"] = redact(hit.snippet)
        item["audio_url"] = f"/api/recordings/{hit.recording_id}/audio"
        hits.append(item)
    return {
        "total": page.total,
        "total_capped": page.total_capped,
        "limit": limit,
        "offset": offset,
        "hits": hits,
    }


def _bounds(request: Request, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    return window(wiring_of(request).settings, since, until)


@router.get(
    "/api/analytics/topic-share",
    summary="Share of each topic per local day; `base` says what 100% is (answered calls, or calls "
    "with a transcript). format=csv exports. " + roles_note(*ALL_ROLES),
)
def topic_share(
    *,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    base: Literal["answered", "transcribed"] = "answered",
    format: Literal["json", "csv"] = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    start, end = _bounds(request, since, until)
    with wiring.session_factory() as session:
        rows = topic_share_per_day(session, since=start, until=end, tz=wiring.settings.zone, base=base)
    items = [asdict(row) | {"day": row.day.isoformat()} for row in rows]
    if format == "csv":
        return csv_response(items, f"topic-share-{base}-{start:%Y%m%d}-{end:%Y%m%d}.csv")
    return {"base": base, "since": start.isoformat(), "until": end.isoformat(), "rows": items}


@router.get(
    "/api/analytics/keyword-trends",
    summary="Words said in more calls on `day` than on an average day of the window before. "
    + roles_note(*ALL_ROLES),
)
def keyword_trends(
    *,
    request: Request,
    day: date | None = None,
    window_days: Annotated[int, Query(ge=1, le=90)] = 7,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    format: Literal["json", "csv"] = "json",
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> Any:
    wiring = wiring_of(request)
    day = day or utcnow().astimezone(wiring.settings.zone).date()
    if not date(2000, 1, 1) <= day <= date(2200, 1, 1):
        raise HTTPException(422, "day out of range")
    with wiring.session_factory() as session:
        rows = reports.keyword_trends(
            session, day=day, tz=wiring.settings.zone, window_days=window_days, limit=limit
        )
    items = [asdict(row) for row in rows]
    if format == "csv":
        return csv_response(items, f"keyword-trends-{day:%Y%m%d}.csv")
    return {"day": day.isoformat(), "window_days": window_days, "rows": items}


@router.get(
    "/api/analytics/abuse",
    summary="Calls with abusive words, per speaker, with the first offset to listen from. "
    + roles_note(*ANALYST_ROLES),
)
def abuse(
    *,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    format: Literal["json", "csv"] = "json",
    user: Annotated[Principal, require(*ANALYST_ROLES)],
) -> Any:
    start, end = _bounds(request, since, until)
    with wiring_of(request).session_factory() as session:
        rows = abuse_flags(session, since=start, until=end)
    items = [
        asdict(row) | {"started_at": row.started_at.isoformat() if row.started_at else None} for row in rows
    ]
    if format == "csv":
        return csv_response(items, f"abuse-{start:%Y%m%d}-{end:%Y%m%d}.csv")
    return {"rows": items}
