"""Topic share per day, week or month, always out of a stated base, and the calls behind each bar.

Bases (what 100% is): `offered` calls that entered a queue, `answered` calls an operator answered,
`transcribed` calls (or imported recordings) with a transcript. A call's topic is its transcript's,
else the one the caller chose in the IVR; calls with neither count under topic "" (no topic).
Periods are local: a day, an ISO week (starting Monday) or a calendar month, keyed by their first day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Call, CallOutcome, KeywordHit, Recording, Transcript

Base = Literal["offered", "answered", "transcribed"]
Period = Literal["day", "week", "month"]
TOPIC_SHARE_DEFINITIONS = __doc__ or ""


@dataclass(frozen=True)
class ShareRow:
    period_start: date
    topic: str
    calls: int
    base_count: int
    share_pct: float
    base: str

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "period_start": self.period_start.isoformat()}


@dataclass(frozen=True)
class _Item:
    key: tuple[str, int]
    call_id: int | None
    recording_id: int | None
    transcript_id: int | None
    at: datetime
    topic: str
    queue: str | None
    agent: str | None
    caller_number: str | None
    outcome: str | None


def period_start(day: date, period: Period) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _items(session: Session, since: datetime, until: datetime, base: Base) -> list[_Item]:
    started = func.coalesce(Call.started_at, Recording.created_at)
    columns = (
        Call.id,
        Recording.id,
        Transcript.id,
        started,
        Transcript.topic,
        Call.ivr_topic,
        Call.queue,
        Call.agent,
        Call.caller_number,
        Call.outcome,
    )
    if base == "transcribed":
        query = (
            select(*columns)
            .select_from(Recording)
            .join(Transcript, Transcript.recording_id == Recording.id)
            .outerjoin(Call, Call.id == Recording.call_id)
        )
    else:
        query = (
            select(*columns)
            .select_from(Call)
            .outerjoin(Recording, Recording.call_id == Call.id)
            .outerjoin(Transcript, Transcript.recording_id == Recording.id)
        )
        query = query.where(
            Call.outcome == CallOutcome.ANSWERED if base == "answered" else Call.queue_entered_at.is_not(None)
        )
    query = query.where(started >= since, started < until).order_by(started)
    items: dict[tuple[str, int], _Item] = {}
    for call_id, rec_id, tr_id, at, topic, ivr_topic, queue, agent, number, outcome in session.execute(query):
        key = ("call", call_id) if call_id is not None else ("recording", rec_id)
        held = items.get(key)
        if held is not None and (held.transcript_id is not None or tr_id is None):
            continue  # one row per call; the one with a transcript wins
        items[key] = _Item(
            key, call_id, rec_id, tr_id, at, topic or ivr_topic or "", queue, agent, number,
            outcome.value if outcome is not None else None,
        )  # fmt: skip
    return list(items.values())


def topic_share(
    session: Session, *, since: datetime, until: datetime, zone: ZoneInfo, base: Base, period: Period
) -> list[ShareRow]:
    per_period: dict[date, Counter[str]] = defaultdict(Counter)
    for item in _items(session, since, until, base):
        per_period[period_start(item.at.astimezone(zone).date(), period)][item.topic] += 1
    rows = []
    for start in sorted(per_period):
        counts = per_period[start]
        whole = sum(counts.values())
        for topic, calls in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append(ShareRow(start, topic, calls, whole, round(100.0 * calls / whole, 1), base))
    return rows


def calls_behind(
    session: Session,
    *,
    start: date,
    period: Period,
    topic: str,
    zone: ZoneInfo,
    base: Base,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The calls of one bar; each with the second to start listening at (its first hit of the topic)."""
    end = start + timedelta(days=1) if period == "day" else start + timedelta(days=7)
    if period == "month":
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    since = datetime(start.year, start.month, start.day, tzinfo=zone)
    until = datetime(end.year, end.month, end.day, tzinfo=zone)
    items = [item for item in _items(session, since, until, base) if item.topic == topic][:limit]
    transcripts = [item.transcript_id for item in items if item.transcript_id is not None]
    offsets: dict[int, float] = {}
    if transcripts and topic:
        hits = session.execute(
            select(KeywordHit.transcript_id, func.min(KeywordHit.start_s))
            .where(KeywordHit.transcript_id.in_(transcripts), KeywordHit.topic == topic)
            .group_by(KeywordHit.transcript_id)
        )
        offsets = {transcript_id: float(offset) for transcript_id, offset in hits}
    return [
        {
            "call_id": item.call_id,
            "recording_id": item.recording_id,
            "transcript_id": item.transcript_id,
            "started_at": item.at.isoformat(),
            "queue": item.queue,
            "agent": item.agent,
            "caller_number": item.caller_number,
            "outcome": item.outcome,
            "offset_s": offsets.get(item.transcript_id, 0.0) if item.transcript_id is not None else None,
        }
        for item in items
    ]
