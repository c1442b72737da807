"""Analytics reports over the database for the API and the CLI (queries here, logic in analytics)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from hotline.models import (
    Call,
    CallOutcome,
    HitKind,
    Incident,
    KeywordHit,
    Recording,
    Transcript,
    TranscriptSegment,
    TranscriptWord,
)
from hotline.text.analytics import (
    CallTopic,
    TopicCall,
    Trend,
    address_words,
    find_bursts,
    topic_shares,
    trending_terms,
)
from hotline.text.lemmas import tokens

Base = Literal["answered", "transcribed"]
BASE_LABELS = {"answered": "answered calls", "transcribed": "transcribed calls"}

# Words too common to trend; the rest of the everyday vocabulary is steady and so never trends.
_STOPWORDS_TEXT = (
    "это что как так вот там тут уже еще или для при над под без про через если когда где кто "
    "чтобы быть мочь весь свой который такой наш ваш они она оно мой вы мы он я не нет да и а но "
    "що як так вже ще або для при над під без про через якщо коли де хто бути могти весь свій "
    "який такий наш ваш вони вона воно мій ви ми він я не ні так і а але the and for you are was "
    "with that this have not"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True)
class TopicShareRow:
    day: date
    topic: str
    calls: int
    base_count: int
    share_pct: float
    base: str  # "answered" or "transcribed"
    label: str  # "60% of 5 answered calls on 09.04.2026 were about passes"


TrendRow = Trend


@dataclass(frozen=True)
class AbuseRow:
    call_id: int | None
    recording_id: int
    transcript_id: int
    speaker: str
    words: list[str]
    count: int
    first_offset_s: float
    started_at: datetime | None
    queue: str | None
    agent: str | None


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def topic_share_per_day(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    tz: ZoneInfo | str,
    base: Base = "answered",
) -> list[TopicShareRow]:
    """Share of calls per topic and local day, out of answered (or transcribed) calls that day.

    A call's topic is what its transcript was about, else what the caller chose in the IVR.
    """
    zone = _zone(tz)
    started = Call.started_at if base == "answered" else _started_at()
    statement = select(Call.id, Recording.id, started, Transcript.topic, Call.ivr_topic).select_from(
        Recording if base == "transcribed" else Call
    )
    if base == "answered":
        statement = (
            statement.outerjoin(Recording, Recording.call_id == Call.id)
            .outerjoin(Transcript, Transcript.recording_id == Recording.id)
            .where(Call.outcome == CallOutcome.ANSWERED)
        )
    else:
        statement = statement.join(Transcript, Transcript.recording_id == Recording.id).outerjoin(
            Call, Call.id == Recording.call_id
        )
    statement = statement.where(started >= since, started < until).order_by(started)
    seen: dict[object, CallTopic] = {}
    for call_id, recording_id, at, topic, ivr_topic in session.execute(statement):
        key = ("call", call_id) if call_id is not None else ("recording", recording_id)
        current = seen.get(key)
        if current is None or (current.topic is None and (topic or ivr_topic)):
            seen[key] = CallTopic(at.astimezone(zone).date(), topic or ivr_topic)
    label = BASE_LABELS[base]
    return [
        TopicShareRow(
            row.day,
            row.topic,
            row.calls,
            row.base_count,
            row.share_pct,
            base,
            f"{row.share_pct:g}% of {row.base_count} {label} on {row.day:%d.%m.%Y} were about {row.topic}",
        )
        for row in topic_shares(seen.values())
    ]


def _started_at() -> ColumnElement[datetime]:
    """When the call began; a recording without a call (an import) counts from when it was registered."""
    return func.coalesce(Call.started_at, Recording.created_at)


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def keyword_trends(
    session: Session, *, day: date, tz: ZoneInfo | str, window_days: int = 7, limit: int = 20
) -> list[TrendRow]:
    """Terms said in more calls on `day` than on an average day of the `window_days` before."""
    zone = _zone(tz)
    since, _ = _day_bounds(day - timedelta(days=window_days), zone)
    _, until = _day_bounds(day, zone)
    started = _started_at()
    rows = session.execute(
        select(Transcript.id, started, TranscriptWord.lemma)
        .select_from(TranscriptWord)
        .join(TranscriptSegment, TranscriptSegment.id == TranscriptWord.segment_id)
        .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
        .join(Recording, Recording.id == Transcript.recording_id)
        .outerjoin(Call, Call.id == Recording.call_id)
        .where(started >= since, started < until)
        .distinct()
    )
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    calls_per_day: dict[date, set[int]] = defaultdict(set)
    for transcript_id, at, lemma in rows:
        local_day = at.astimezone(zone).date()
        calls_per_day[local_day].add(transcript_id)
        if len(lemma) < 3 or lemma in STOPWORDS or lemma.isdigit():
            continue
        per_day[local_day][lemma] += 1
    earlier = [day - timedelta(days=n) for n in range(1, window_days + 1)]
    return trending_terms(
        per_day.get(day, Counter()),
        len(calls_per_day.get(day, ())),
        [per_day.get(d, Counter()) for d in earlier],
        sum(len(calls_per_day.get(d, ())) for d in earlier),
        limit=limit,
    )


def detect_incidents(
    session: Session, *, now: datetime, window_hours: float = 3, min_calls: int = 3
) -> list[Incident]:
    """Bursts of calls on one topic from one street within `window_hours`, stored as incidents.

    Idempotent: a burst that grows updates its incident instead of opening another.
    """
    window = timedelta(hours=window_hours)
    started = _started_at()
    rows = session.execute(
        select(Call.id, started, Transcript.id, Transcript.topic, Transcript.language, TranscriptSegment.text)
        .select_from(Transcript)
        .join(Recording, Recording.id == Transcript.recording_id)
        .join(Call, Call.id == Recording.call_id)
        .join(TranscriptSegment, TranscriptSegment.transcript_id == Transcript.id)
        .where(Transcript.topic.is_not(None), started >= now - window, started <= now)
        .order_by(Transcript.id, TranscriptSegment.start_s)
    ).all()
    texts: dict[int, list[str]] = defaultdict(list)
    meta: dict[int, tuple[int, datetime, str, str]] = {}
    for call_id, at, transcript_id, topic, language, segment_text in rows:
        texts[transcript_id].extend(tokens(segment_text))
        meta[transcript_id] = (call_id, at, topic or "", language)
    calls = [
        TopicCall(call_id, at, topic, address_words(texts[tid], language))
        for tid, (call_id, at, topic, language) in meta.items()
    ]
    stored: list[Incident] = []
    for burst in find_bursts(calls, window=window, min_calls=min_calls):
        existing = session.scalar(
            select(Incident)
            .where(
                Incident.topic == burst.topic,
                Incident.key_words == burst.key_words,
                and_(Incident.window_end >= burst.window_start - window),
                Incident.window_start <= burst.window_end,
            )
            .order_by(Incident.window_start)
            .limit(1)
        )
        if existing is None:
            existing = Incident(
                topic=burst.topic,
                key_words=burst.key_words,
                window_start=burst.window_start,
                window_end=burst.window_end,
                call_count=len(burst.call_ids),
                call_ids=list(burst.call_ids),
            )
            session.add(existing)
        else:
            ids = sorted(set(existing.call_ids) | set(burst.call_ids))
            existing.call_ids = ids
            existing.call_count = len(ids)
            existing.window_end = max(existing.window_end, burst.window_end)
        stored.append(existing)
    session.flush()
    return stored


def abuse_flags(session: Session, *, since: datetime, until: datetime) -> list[AbuseRow]:
    """Calls with abusive language, one row per transcript and speaker, newest first."""
    started = _started_at()
    rows = session.execute(
        select(
            Recording.call_id,
            Recording.id,
            Transcript.id,
            KeywordHit.speaker,
            KeywordHit.keyword,
            KeywordHit.start_s,
            started,
            Call.queue,
            Call.agent,
        )
        .select_from(KeywordHit)
        .join(Transcript, Transcript.id == KeywordHit.transcript_id)
        .join(Recording, Recording.id == Transcript.recording_id)
        .outerjoin(Call, Call.id == Recording.call_id)
        .where(KeywordHit.kind == HitKind.ABUSE, started >= since, started < until)
        .order_by(started.desc(), Transcript.id, KeywordHit.speaker, KeywordHit.start_s)
    ).all()
    grouped: dict[tuple[int, str], AbuseRow] = {}
    for call_id, recording_id, transcript_id, speaker, word, offset, at, queue, agent in rows:
        key = (transcript_id, str(speaker.value))
        row = grouped.get(key)
        if row is None:
            grouped[key] = AbuseRow(
                call_id, recording_id, transcript_id, str(speaker.value), [word], 1, offset, at, queue, agent
            )
        else:
            row.words.append(word)
            grouped[key] = AbuseRow(
                row.call_id,
                row.recording_id,
                row.transcript_id,
                row.speaker,
                row.words,
                row.count + 1,
                row.first_offset_s,
                row.started_at,
                row.queue,
                row.agent,
            )
    return list(grouped.values())
