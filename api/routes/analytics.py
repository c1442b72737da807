"""Analysts: transcript search, topic share, keyword trends, abuse flags and incidents."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import select

from api.csvout import csv_response
from api.deps import AnalystUser, SessionDep, SettingsDep, SupervisionUser, masking
from api.routes.insights import incident_reason
from api.routes.reports import window
from api.schemas import (
    CSV_TOO,
    AbuseOut,
    AbuseReport,
    IncidentList,
    IncidentOut,
    KeywordTrends,
    SearchHitOut,
    SearchPageOut,
    TopicShareOut,
    TopicShareReport,
)
from api.validation import Day, IncidentId, Moment
from hotline.models import Incident, Speaker
from hotline.text import topic_reports as reports
from hotline.text.search import search
from hotline.text.topic_reports import abuse_flags, topic_share_per_day
from hotline.timeutil import utcnow

router = APIRouter(tags=["analytics"])


def _incident(row: Incident) -> IncidentOut:
    return IncidentOut(
        id=row.id,
        topic=row.topic,
        key_words=row.key_words,
        window_start=row.window_start.isoformat(),
        window_end=row.window_end.isoformat(),
        call_count=row.call_count,
        call_ids=row.call_ids,
        detected_at=row.detected_at.isoformat(),
        acknowledged_at=row.acknowledged_at.isoformat() if row.acknowledged_at else None,
        acknowledged_by=row.acknowledged_by,
        reason=incident_reason(row),
    )


@router.get(
    "/api/incidents",
    summary="Bursts of similar calls detected in the window (default today), newest first.",
    response_model=IncidentList,
    responses=CSV_TOO,
)
def incidents(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    since: Moment | None = None,
    until: Moment | None = None,
    open_only: bool = False,
    format: Literal["json", "csv"] = "json",
) -> IncidentList | Response:
    start, end = window(settings, since, until)
    query = select(Incident).where(Incident.window_end >= start, Incident.window_start < end)
    if open_only:
        query = query.where(Incident.acknowledged_at.is_(None))
    rows = session.scalars(query.order_by(Incident.window_start.desc()).limit(500)).all()
    items = [_incident(row) for row in rows]
    if format == "csv":
        return csv_response(
            [item.model_dump() for item in items], f"incidents-{start:%Y%m%d}-{end:%Y%m%d}.csv"
        )
    return IncidentList(items=items)


@router.post(
    "/api/incidents/{incident_id}/acknowledge",
    summary="Mark an incident as seen (by whom, when).",
)
def acknowledge_incident(user: SupervisionUser, session: SessionDep, incident_id: IncidentId) -> IncidentOut:
    row = session.get(Incident, incident_id)
    if row is None:
        raise HTTPException(404, "no such incident")
    if row.acknowledged_at is None:
        row.acknowledged_at = utcnow()
        row.acknowledged_by = user.username
    session.commit()
    return _incident(row)


@router.get(
    "/api/search",
    summary="Search transcripts by words (any form: lemmatized), with filters; each hit gives the "
    "recording and the second to seek to.",
)
def search_transcripts(
    *,
    user: AnalystUser,
    session: SessionDep,
    settings: SettingsDep,
    query: Annotated[str, Query(min_length=1, max_length=500)],
    since: Moment | None = None,
    until: Moment | None = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    speaker: Speaker | None = None,
    agent: Annotated[str | None, Query(max_length=255)] = None,
    pbx: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> SearchPageOut:
    start, end = (None, None) if since is None and until is None else window(settings, since, until)
    mask = masking(settings, user)
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
        item["snippet"] = mask.text(hit.snippet)
        item["audio_url"] = f"/api/recordings/{hit.recording_id}/audio"
        hits.append(SearchHitOut.model_validate(item))
    return SearchPageOut(
        total=page.total, total_capped=page.total_capped, limit=limit, offset=offset, hits=hits
    )


@router.get(
    "/api/analytics/topic-share",
    summary="Share of each topic per local day; `base` says what 100% is (answered calls, or calls "
    "with a transcript). format=csv exports.",
    response_model=TopicShareReport,
    responses=CSV_TOO,
)
def topic_share(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    since: Moment | None = None,
    until: Moment | None = None,
    base: Literal["answered", "transcribed"] = "answered",
    format: Literal["json", "csv"] = "json",
) -> TopicShareReport | Response:
    start, end = window(settings, since, until)
    rows = topic_share_per_day(session, since=start, until=end, tz=settings.zone, base=base)
    items = [asdict(row) | {"day": row.day.isoformat()} for row in rows]
    if format == "csv":
        return csv_response(items, f"topic-share-{base}-{start:%Y%m%d}-{end:%Y%m%d}.csv")
    return TopicShareReport(
        base=base,
        since=start.isoformat(),
        until=end.isoformat(),
        rows=[TopicShareOut.model_validate(item) for item in items],
    )


@router.get(
    "/api/analytics/keyword-trends",
    summary="Words said in more calls on `day` than on an average day of the window before.",
    response_model=KeywordTrends,
    responses=CSV_TOO,
)
def keyword_trends(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    day: Day | None = None,
    window_days: Annotated[int, Query(ge=1, le=90)] = 7,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    format: Literal["json", "csv"] = "json",
) -> KeywordTrends | Response:
    day = day or utcnow().astimezone(settings.zone).date()
    rows = reports.keyword_trends(session, day=day, tz=settings.zone, window_days=window_days, limit=limit)
    if format == "csv":
        return csv_response([asdict(row) for row in rows], f"keyword-trends-{day:%Y%m%d}.csv")
    return KeywordTrends(day=day.isoformat(), window_days=window_days, rows=list(rows))


@router.get(
    "/api/analytics/abuse",
    summary="Calls with abusive words, per speaker, with the first offset to listen from.",
    response_model=AbuseReport,
    responses=CSV_TOO,
)
def abuse(
    *,
    user: AnalystUser,
    session: SessionDep,
    settings: SettingsDep,
    since: Moment | None = None,
    until: Moment | None = None,
    format: Literal["json", "csv"] = "json",
) -> AbuseReport | Response:
    start, end = window(settings, since, until)
    rows = abuse_flags(session, since=start, until=end)
    items = [
        asdict(row) | {"started_at": row.started_at.isoformat() if row.started_at else None} for row in rows
    ]
    if format == "csv":
        return csv_response(items, f"abuse-{start:%Y%m%d}-{end:%Y%m%d}.csv")
    return AbuseReport(rows=[AbuseOut.model_validate(item) for item in items])
