"""Analysts: frequent words and phrases with their measure, topic share per period with its base, the
calls behind a bar (down to the second to listen from), and why each incident was raised."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep, SupervisionUser, masking
from api.routes.recordings import AUDIO_ROLES
from api.routes.reports import window
from api.schemas import TopicCall, TopicCalls
from api.table_schemas import Base, FrequentTerms, Period, TopicPeriods
from api.tableout import FILES_TOO, TableFormat, table_response
from api.validation import Day, Moment
from hotline.models import Incident
from hotline.text_stats import FREQUENT_DEFINITIONS, frequent_terms
from hotline.topic_stats import TOPIC_SHARE_DEFINITIONS, calls_behind, period_start, topic_share

router = APIRouter(tags=["analytics"])
TERM_COLUMNS = (
    "term", "kind", "calls", "share_pct", "count", "previous_calls", "previous_share_pct", "change_pp",
)  # fmt: skip
SHARE_COLUMNS = ("period_start", "topic", "calls", "base_count", "share_pct", "base")


@router.get(
    "/api/analytics/frequent-terms",
    summary="Frequent words and two-word phrases in transcripts: calls containing each, their share of "
    "transcribed calls, occurrences, and the change against the previous window of the same length; "
    "terms in fewer than min_calls calls are left out.",
    response_model=FrequentTerms,
    responses=FILES_TOO,
)
def frequent(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    since: Moment | None = None,
    until: Moment | None = None,
    min_calls: Annotated[int, Query(ge=1, le=10_000)] = 3,
    order: Literal["calls", "change"] = "calls",
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
    format: TableFormat = "json",
) -> FrequentTerms | Response:
    start, end = window(settings, since, until)
    transcribed, before, rows = frequent_terms(
        session, since=start, until=end, min_calls=min_calls, order=order, limit=limit
    )
    return table_response(
        FrequentTerms,
        [row.as_dict() for row in rows],
        TERM_COLUMNS,
        fmt=format,
        filename=f"terms-{start:%Y%m%d}",
        window=(start, end),
        definitions=FREQUENT_DEFINITIONS,
        previous_since=(start - (end - start)).isoformat(),
        transcribed_calls=transcribed,
        previous_transcribed_calls=before,
        min_calls=min_calls,
        order=order,
    )


@router.get(
    "/api/analytics/topic-periods",
    summary="Share of each topic per day, week or month out of a stated base: offered, answered or "
    "transcribed calls.",
    response_model=TopicPeriods,
    responses=FILES_TOO,
)
def topic_periods(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    since: Moment | None = None,
    until: Moment | None = None,
    base: Base = "answered",
    period: Period = "day",
    format: TableFormat = "json",
) -> TopicPeriods | Response:
    start, end = window(settings, since, until)
    rows = topic_share(session, since=start, until=end, zone=settings.zone, base=base, period=period)
    return table_response(
        TopicPeriods,
        [row.as_dict() for row in rows],
        SHARE_COLUMNS,
        fmt=format,
        filename=f"topics-{period}-{base}-{start:%Y%m%d}",
        window=(start, end),
        definitions=TOPIC_SHARE_DEFINITIONS,
        base=base,
        period=period,
    )


@router.get(
    "/api/analytics/topic-calls",
    summary="The calls behind one bar of topic-periods, each with its recording and the second to start "
    "listening at (the first mention of the topic).",
)
def topic_calls(
    *,
    user: SupervisionUser,
    session: SessionDep,
    settings: SettingsDep,
    start: Day,
    topic: Annotated[str, Query(max_length=64)],
    base: Base = "answered",
    period: Period = "day",
) -> TopicCalls:
    start = period_start(start, period)
    items = calls_behind(session, start=start, period=period, topic=topic, zone=settings.zone, base=base)
    mask = masking(settings, user)  # the one masking policy (hotline.privacy)
    may_listen = user.role in AUDIO_ROLES
    calls = []
    for item in items:
        audio = (
            f"/api/recordings/{item['recording_id']}/audio" if may_listen and item["recording_id"] else None
        )
        masked = {"caller_number": mask.number(item["caller_number"]), "audio_url": audio}
        calls.append(TopicCall.model_validate({**item, **masked}))
    return TopicCalls(start=start.isoformat(), period=period, topic=topic, base=base, items=calls)


def incident_reason(row: Incident) -> str:
    """Why the incident was raised, in the detector's own terms (transcription.reports.detect_incidents)."""
    span = (row.window_end - row.window_start).total_seconds() / 60
    return (
        f"{row.call_count} calls about «{row.topic}» mentioning «{row.key_words}» within {span:.0f} min "
        f"({row.window_start:%Y-%m-%d %H:%M}–{row.window_end:%H:%M} UTC): a burst of calls with the same "
        "topic and address words within a few hours"
    )
