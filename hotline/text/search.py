"""Full-text search over transcripts: lemmatized, ranked, filtered, each hit pointing at its words.

Queries and the index both hold dictionary forms (pymorphy3), so "пропуска" finds "пропуском".
Every query word becomes an OR group of its possible lemmas (Russian and Ukrainian readings); the
groups are ANDed. User text only ever reaches the database as bound parameters: for FTS5 each
lemma is re-quoted as a string token, so no user input is parsed as FTS syntax.

Speed (bench/search.py, 1,000,000 segments) comes from two choices:
- Filters read copies of the call fields on the segment itself (revision 0003), never a join; on
  PostgreSQL they sit in the GIN index next to the lemmas, so a filtered search reads only rows that
  pass every condition.
- Matches are taken newest first (the order the FTS5 index and PostgreSQL's primary key give
  cheaply) and only as many as are counted and shown: the newest COUNT_CAP + 1 ids give the total,
  and only the blocks of RANK_WINDOW matches that the page overlaps are scored.
Trade-off: hits are ranked best first within blocks of RANK_WINDOW matches, newest block first, not
across all matches. With up to RANK_WINDOW matches (a rare word, or a narrow filter) that is the
exact ranking; for a common word, page one shows the best of its RANK_WINDOW most recently
transcribed matches. Scoring every match of a word said in 3 % of a million segments took 0.3-1 s,
and for such words the newest calls are what an analyst looks at first; more words, dates or a
queue narrow it down. Beyond COUNT_CAP matches `total` says COUNT_CAP with `total_capped` ("1000+").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal_column, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import column, table

from hotline.models import Recording, Transcript, TranscriptSegment, TranscriptWord
from hotline.text.lemmas import lemma_forms, tokens

QUERY_LANGUAGES = ("ru", "uk")
MAX_TERMS = 12  # more words than this is a paste, not a query
# Matches counted at most (see the module docstring); beyond it the total reads "1000+".
COUNT_CAP = 1000
# Matches ranked together: newest first between these blocks, best first within each.
RANK_WINDOW = 100
SNIPPET_WORDS_BEFORE = 6
SNIPPET_WORDS_AFTER = 10
# The FTS5 table of revision 0002 (SQLite); PostgreSQL searches the generated tsvector column instead.
FTS = table("transcript_segment_fts", column("rowid"), column("lemmas"))


@dataclass(frozen=True)
class SearchHit:
    call_id: int | None
    recording_id: int
    transcript_id: int
    segment_id: int
    speaker: str
    start_s: float  # where the first matched word starts (seek the player here)
    end_s: float  # where the last matched word of the segment ends
    snippet: str
    highlights: list[str]  # the matched words as spoken
    score: float
    started_at: datetime | None
    queue: str | None
    topic: str | None
    agent: str | None
    pbx: str | None


@dataclass(frozen=True)
class SearchPage:
    total: int  # exact up to COUNT_CAP; beyond it COUNT_CAP and `total_capped`
    hits: list[SearchHit]
    total_capped: bool = False


def query_terms(query: str) -> list[frozenset[str]]:
    """Each query word as the set of lemmas it may stand for; duplicates dropped."""
    terms: list[frozenset[str]] = []
    for token in tokens(query)[:MAX_TERMS]:
        forms = frozenset(form for lang in QUERY_LANGUAGES for form in lemma_forms(token, lang))
        if forms not in terms:
            terms.append(forms)
    return terms


def fts5_match(terms: list[frozenset[str]]) -> str:
    """An FTS5 MATCH expression where every lemma is a quoted string (never an operator)."""
    groups = []
    for forms in terms:
        quoted = " OR ".join('"' + form.replace('"', '""') + '"' for form in sorted(forms))
        groups.append(f"({quoted})")
    return " AND ".join(groups)


def search(
    session: Session,
    *,
    query: str,
    since: datetime | None = None,
    until: datetime | None = None,
    queue: str | None = None,
    topic: str | None = None,
    speaker: str | None = None,
    agent: str | None = None,
    pbx: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> SearchPage:
    """Segments matching every word of `query`, best first, with filters on the call."""
    terms = query_terms(query)
    if not terms:
        return SearchPage(total=0, hits=[])
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    segment = TranscriptSegment
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(segment.call_started_at >= since)
    if until is not None:
        conditions.append(segment.call_started_at < until)
    for value, field in (
        (queue, segment.call_queue),
        (topic, segment.call_topic),
        (speaker, segment.speaker),
        (agent, segment.call_agent),
        (pbx, segment.call_pbx),
    ):
        if value is not None:
            conditions.append(field == value)

    postgres = session.get_bind().dialect.name == "postgresql"
    matches = _Matches(session, terms, conditions, postgres=postgres)
    # Only the blocks of RANK_WINDOW matches that the page overlaps are scored and ranked.
    first = offset // RANK_WINDOW * RANK_WINDOW
    end = (offset + limit + RANK_WINDOW - 1) // RANK_WINDOW * RANK_WINDOW
    total, capped, needed, scores = (
        matches.postgres_window(first, end) if postgres else matches.sqlite_window(first, end)
    )
    ordered: list[int] = []
    for start in range(0, len(needed), RANK_WINDOW):
        block = needed[start : start + RANK_WINDOW]
        ordered.extend(sorted(block, key=lambda segment_id: (-scores.get(segment_id, 0.0), -segment_id)))
    page = ordered[offset - first :][:limit]
    if not page:
        return SearchPage(total=total, hits=[], total_capped=capped)

    columns = (
        segment.id, segment.speaker, segment.start_s, segment.end_s, segment.text, Transcript.id,
        Transcript.language, Recording.id, Recording.call_id, segment.call_started_at, segment.call_queue,
        segment.call_topic, segment.call_agent, segment.call_pbx,
    )  # fmt: skip
    details = session.execute(
        select(*columns)
        .join(Transcript, Transcript.id == segment.transcript_id)
        .join(Recording, Recording.id == Transcript.recording_id)
        .where(segment.id.in_(page))
    ).all()
    by_id = {row[0]: row for row in details}
    rows = [(*by_id[segment_id], scores.get(segment_id, 0.0)) for segment_id in page if segment_id in by_id]
    words = _words_of(session, [row[0] for row in rows])
    wanted = frozenset().union(*terms)
    hits = [_hit(row, words.get(row[0], []), wanted) for row in rows]
    return SearchPage(total=total, hits=hits, total_capped=capped)


# (total, more than COUNT_CAP, ids of matches first..end newest first, their scores)
Window = tuple[int, bool, list[int], dict[int, float]]


class _Matches:
    """The matching segment ids of one search, newest first, and their scores (higher is better)."""

    def __init__(
        self,
        session: Session,
        terms: list[frozenset[str]],
        conditions: list[ColumnElement[bool]],
        *,
        postgres: bool,
    ) -> None:
        self.session = session
        self.conditions = conditions
        self.matched, self.score = _postgres_match(terms) if postgres else _sqlite_match(terms)
        self.key: Any = TranscriptSegment.id if postgres else FTS.c.rowid
        self.on_postgres = postgres

    def newest(self, count: int, *, scored: bool = False, upto: int | None = None) -> list[Any]:
        """The `count` newest matches passing the filters (ids up to `upto`), with scores if asked."""
        statement = select(self.key, self.score) if scored else select(self.key)
        if self.on_postgres:
            statement = statement.where(self.matched, *self.conditions)
        else:
            statement = statement.select_from(FTS).where(self.matched)
            if self.conditions:  # FTS5 stays the outer loop (its rowid order); one lookup per match
                statement = statement.join(TranscriptSegment, TranscriptSegment.id == self.key)
                statement = statement.where(*self.conditions)
        if upto is not None:
            statement = statement.where(self.key <= upto)
        return list(self.session.execute(statement.order_by(self.key.desc()).limit(count)).all())

    def sqlite_window(self, first: int, end: int) -> Window:
        # FTS5 reads its index newest first and stops at the cap; bm25() only for the blocks wanted.
        found = [row[0] for row in self.newest(COUNT_CAP + 1)]
        total = min(len(found), COUNT_CAP)
        needed = found[first : min(end, total)]
        scored: list[Any] = self.newest(len(needed), scored=True, upto=needed[0]) if needed else []
        return total, len(found) > COUNT_CAP, needed, _scores(scored)

    def postgres_window(self, first: int, end: int) -> Window:
        # GIN yields matches in table order: count them that way (stops at the cap). Up to the cap
        # that is every match; beyond it, walk the primary key backwards for the newest ones.
        counted = self.session.execute(
            select(self.key).where(self.matched, *self.conditions).limit(COUNT_CAP + 1)
        )
        found = [row[0] for row in counted]
        total = min(len(found), COUNT_CAP)
        if len(found) > COUNT_CAP:
            window = self.newest(min(end, total), scored=True)
            return total, True, [row[0] for row in window[first:]], _scores(window)
        needed = sorted(found, reverse=True)[first : min(end, total)]
        scored: list[Any] = []
        if needed:  # pages of primary key lookups: the rows the count just read
            scored = list(self.session.execute(select(self.key, self.score).where(self.key.in_(needed))))
        return total, False, needed, _scores(scored)


def _scores(rows: list[Any]) -> dict[int, float]:
    return {int(row[0]): float(row[1] or 0.0) for row in rows}


def _sqlite_match(terms: list[frozenset[str]]) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    matched = text("transcript_segment_fts MATCH :fts_query").bindparams(
        bindparam("fts_query", fts5_match(terms))
    )
    # bm25() is lower for better matches; negate so that higher is better on both engines.
    score = -func.bm25(literal_column("transcript_segment_fts"))
    return matched, score  # type: ignore[return-value]


def _postgres_match(terms: list[frozenset[str]]) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    # The generated column of revision 0002 (not in the model: only PostgreSQL has it).
    vector: ColumnElement[Any] = literal_column("transcript_segment.lemmas_tsv")
    groups = []
    for index, forms in enumerate(terms):
        alternatives = [
            func.plainto_tsquery(
                literal_column("'simple'::regconfig"), bindparam(f"term_{index}_{n}", form, unique=True)
            )
            for n, form in enumerate(sorted(forms))
        ]
        group: ColumnElement[Any] = alternatives[0]
        for alternative in alternatives[1:]:
            group = group.op("||")(alternative)
        groups.append(group)
    tsquery: ColumnElement[Any] = groups[0]
    for group in groups[1:]:
        tsquery = tsquery.op("&&")(group)
    matched = vector.op("@@")(tsquery)
    return matched, func.ts_rank(vector, tsquery)


def _words_of(session: Session, segment_ids: list[int]) -> dict[int, list[tuple[str, float, float]]]:
    found: dict[int, list[tuple[str, float, float]]] = {}
    if not segment_ids:
        return found
    rows = session.execute(
        select(TranscriptWord.segment_id, TranscriptWord.word, TranscriptWord.start_s, TranscriptWord.end_s)
        .where(TranscriptWord.segment_id.in_(segment_ids))
        .order_by(TranscriptWord.segment_id, TranscriptWord.start_s, TranscriptWord.id)
    ).all()
    for segment_id, word, start, end in rows:
        found.setdefault(segment_id, []).append((word, start, end))
    return found


def _hit(row: Any, words: list[tuple[str, float, float]], wanted: frozenset[str]) -> SearchHit:
    (segment_id, speaker, seg_start, seg_end, seg_text, transcript_id, language, recording_id, call_id,
     started_at, queue, topic, agent, pbx, score) = row  # fmt: skip
    if not words:  # segments without word timings (imported text): the segment is the offset
        words = [(word, seg_start, seg_end) for word in seg_text.split()]
    matched = [
        index
        for index, (word, _, _) in enumerate(words)
        if not wanted.isdisjoint(_word_lemmas(word, language))
    ]
    if matched:
        first, last = matched[0], matched[-1]
        start_s, end_s = words[first][1], words[last][2]
    else:
        first, start_s, end_s = 0, seg_start, seg_end
    lo = max(0, first - SNIPPET_WORDS_BEFORE)
    hi = min(len(words), first + SNIPPET_WORDS_AFTER)
    marked = {index for index in matched if lo <= index < hi}
    snippet = " ".join(f"[{w[0]}]" if index in marked else w[0] for index, w in enumerate(words[lo:hi], lo))
    snippet = ("… " if lo > 0 else "") + snippet + (" …" if hi < len(words) else "")
    highlights = list(dict.fromkeys(words[index][0] for index in matched))
    return SearchHit(
        call_id=call_id,
        recording_id=recording_id,
        transcript_id=transcript_id,
        segment_id=segment_id,
        speaker=str(getattr(speaker, "value", speaker)),
        start_s=float(start_s),
        end_s=float(end_s),
        snippet=snippet,
        highlights=highlights,
        score=float(score or 0.0),
        started_at=started_at,
        queue=queue,
        topic=topic,
        agent=agent,
        pbx=pbx,
    )


@lru_cache(maxsize=100_000)
def _word_lemmas(word: str, language: str) -> frozenset[str]:
    """Every lemma of a spoken word (cached: a page of hits repeats the same everyday words)."""
    return frozenset(form for token in tokens(word) for form in lemma_forms(token, language))
