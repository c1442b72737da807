"""Frequent words and phrases in transcripts, each with a stated measure.

For a window [since, until) and the previous window of the same length:
  calls        transcribed calls whose transcript contains the term (lemma, or two lemmas in a row)
  share_pct    calls / transcribed calls in the window * 100
  count        occurrences of the term in the window
  change_pp    share_pct minus the previous window's share, in percentage points
Terms said in fewer than `min_calls` calls are left out, so one chatty call cannot rank first.
Stop words per language come from the `stop-words` package (ru, uk, en and more), checked on both the
word as said and its lemma.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Call, Recording, Transcript, TranscriptSegment, TranscriptWord

Order = Literal["calls", "change"]
FREQUENT_DEFINITIONS = __doc__ or ""
LANGUAGE_NAMES = {"ru": "russian", "uk": "ukrainian", "en": "english"}
MIN_LETTERS = 3


@cache
def stop_words(language: str) -> frozenset[str]:
    from stop_words import get_stop_words

    return frozenset(get_stop_words(LANGUAGE_NAMES.get(language, language)))


@cache
def _all_stop_words() -> frozenset[str]:
    return frozenset().union(*(stop_words(code) for code in LANGUAGE_NAMES))


def _is_content(word: str, lemma: str, language: str) -> bool:
    stops = stop_words(language) if language in LANGUAGE_NAMES else _all_stop_words()
    return (
        len(lemma) >= MIN_LETTERS and not lemma.isdigit() and word.lower() not in stops and lemma not in stops
    )


@dataclass(frozen=True)
class TermRow:
    term: str
    kind: Literal["word", "phrase"]
    calls: int
    share_pct: float
    count: int
    previous_calls: int
    previous_share_pct: float | None
    change_pp: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _Window:
    transcripts: int
    calls: Counter[str]
    count: Counter[str]


def _window(session: Session, since: datetime, until: datetime) -> _Window:
    started = func.coalesce(Call.started_at, Recording.created_at)
    rows = session.execute(
        select(
            Transcript.id,
            Transcript.language,
            TranscriptSegment.id,
            TranscriptWord.word,
            TranscriptWord.lemma,
        )
        .select_from(TranscriptWord)
        .join(TranscriptSegment, TranscriptSegment.id == TranscriptWord.segment_id)
        .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
        .join(Recording, Recording.id == Transcript.recording_id)
        .outerjoin(Call, Call.id == Recording.call_id)
        .where(started >= since, started < until)
        .order_by(Transcript.id, TranscriptSegment.start_s, TranscriptWord.start_s)
    )
    per_transcript: dict[int, list[str]] = defaultdict(list)
    count: Counter[str] = Counter()
    previous: tuple[int, str] | None = None  # (segment, lemma) of the last content word
    for transcript_id, language, segment_id, word, lemma in rows:
        per_transcript.setdefault(transcript_id, [])
        lemma = (lemma or word).lower()
        if not _is_content(word, lemma, language):
            previous = None  # a stop word breaks a phrase
            continue
        terms = [lemma]
        if previous is not None and previous[0] == segment_id and previous[1] != lemma:
            terms.append(previous[1] + " " + lemma)
        previous = (segment_id, lemma)
        per_transcript[transcript_id].extend(terms)
        count.update(terms)
    calls: Counter[str] = Counter()
    for terms in per_transcript.values():
        calls.update(set(terms))
    transcripts = _transcribed(session, since, until)
    return _Window(transcripts, calls, count)


def _transcribed(session: Session, since: datetime, until: datetime) -> int:
    started = func.coalesce(Call.started_at, Recording.created_at)
    query = (
        select(func.count(Transcript.id))
        .select_from(Transcript)
        .join(Recording, Recording.id == Transcript.recording_id)
        .outerjoin(Call, Call.id == Recording.call_id)
        .where(started >= since, started < until)
    )
    return int(session.scalar(query) or 0)


def frequent_terms(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    min_calls: int = 3,
    order: Order = "calls",
    limit: int = 30,
) -> tuple[int, int, list[TermRow]]:
    """(transcribed calls now, transcribed calls before, rows). `order="change"` ranks risers first."""
    now = _window(session, since, until)
    before = _window(session, since - (until - since), since)
    rows = []
    for term, calls in now.calls.items():
        if calls < min_calls:
            continue
        share = 100.0 * calls / now.transcripts if now.transcripts else 0.0
        earlier = before.calls.get(term, 0)
        earlier_share = 100.0 * earlier / before.transcripts if before.transcripts else None
        rows.append(
            TermRow(
                term=term,
                kind="phrase" if " " in term else "word",
                calls=calls,
                share_pct=round(share, 1),
                count=now.count[term],
                previous_calls=earlier,
                previous_share_pct=None if earlier_share is None else round(earlier_share, 1),
                change_pp=None if earlier_share is None else round(share - earlier_share, 1),
            )
        )
    if order == "change":
        rows.sort(
            key=lambda r: (-(r.change_pp if r.change_pp is not None else r.share_pct), -r.calls, r.term)
        )
    else:
        rows.sort(key=lambda r: (-r.calls, -r.count, r.term))
    return now.transcripts, before.transcripts, rows[:limit]
