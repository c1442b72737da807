"""Full-text search over transcripts: lemmatized, ranked, filtered, each hit pointing at its words.

Queries and the index both hold dictionary forms (pymorphy3), so "пропуска" finds "пропуском".
Every query word becomes an OR group of its possible lemmas (Russian and Ukrainian readings); the
groups are ANDed. User text only ever reaches the database as bound parameters: for FTS5 each
lemma is re-quoted as a string token, so no user input is parsed as FTS syntax.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, literal_column, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import column, table

from hotline.models import Call, Recording, Transcript, TranscriptSegment, TranscriptWord
from transcription.lemmas import lemma_forms, tokens

QUERY_LANGUAGES = ("ru", "uk")
MAX_TERMS = 12
# Counting every match of a very common word costs more than the page itself; nobody pages that far.
COUNT_CAP = 10_000
# Best matches ranked on the index alone before the call filters apply (see search()).
CANDIDATES = 1000  # more words than this is a paste, not a query
SNIPPET_WORDS_BEFORE = 6
SNIPPET_WORDS_AFTER = 10
# The FTS5 table of revision 0002 (SQLite); PostgreSQL searches an expression index instead.
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
    postgres = session.get_bind().dialect.name == "postgresql"
    matched, score = _postgres_match(terms) if postgres else _sqlite_match(terms)

    started_at = func.coalesce(Call.started_at, Recording.created_at)
    topic_col = func.coalesce(Transcript.topic, Call.ivr_topic)
    pbx_col = func.coalesce(Recording.pbx, Call.pbx)
    conditions: list[ColumnElement[bool]] = [matched]
    if since is not None:
        conditions.append(started_at >= since)
    if until is not None:
        conditions.append(started_at < until)
    if queue is not None:
        conditions.append(Call.queue == queue)
    if topic is not None:
        conditions.append(topic_col == topic)
    if speaker is not None:
        conditions.append(TranscriptSegment.speaker == speaker)
    if agent is not None:
        conditions.append(Call.agent == agent)
    if pbx is not None:
        conditions.append(pbx_col == pbx)

    filtered = len(conditions) > 1

    def joined(statement: Any, *, with_match: bool = True) -> Any:
        statement = statement.join(Transcript, Transcript.id == TranscriptSegment.transcript_id).join(
            Recording, Recording.id == Transcript.recording_id
        )
        statement = statement.outerjoin(Call, Call.id == Recording.call_id)
        if not with_match:
            return statement.where(and_(true(), *conditions[1:]))
        if not postgres:
            statement = statement.join(FTS, FTS.c.rowid == TranscriptSegment.id)
        return statement.where(and_(*conditions))

    def matching(column: Any) -> Any:
        # The index alone: no joins when nothing but the words narrows the search.
        statement = select(column)
        statement = statement.select_from(FTS) if not postgres else statement.select_from(TranscriptSegment)
        return statement.where(matched)

    if filtered:
        matches = joined(select(TranscriptSegment.id).select_from(TranscriptSegment))
    else:
        matches = matching(FTS.c.rowid if not postgres else TranscriptSegment.id)
    total = int(
        session.scalar(select(func.count()).select_from(matches.limit(COUNT_CAP + 1).subquery())) or 0
    )
    capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    if total == 0 or offset >= total:
        return SearchPage(total=total, hits=[], total_capped=capped)

    columns = (
        TranscriptSegment.id, TranscriptSegment.speaker, TranscriptSegment.start_s, TranscriptSegment.end_s,
        TranscriptSegment.text, Transcript.id, Transcript.language, Recording.id, Recording.call_id,
        started_at, Call.queue, topic_col, Call.agent, pbx_col,
    )  # fmt: skip
    # Rank on the index alone, keep the best candidates, then apply the call filters to those only:
    # ranking tens of thousands of joined rows for a common word is what makes search slow.
    wanted_rows = offset + limit
    pool = max(CANDIDATES, wanted_rows * (20 if filtered else 1))
    key = FTS.c.rowid if not postgres else TranscriptSegment.id
    candidates = session.execute(
        matching(key).add_columns(score.label("score")).order_by(text("score DESC"), key).limit(pool)
    ).all()
    scores = {segment_id: float(value or 0.0) for segment_id, value in candidates}
    details = session.execute(
        joined(select(*columns).select_from(TranscriptSegment), with_match=False).where(
            TranscriptSegment.id.in_(list(scores))
        )
    ).all()
    ranked: list[Any] = sorted(details, key=lambda r: (-scores[r[0]], r[0]))
    if len(ranked) < wanted_rows and len(candidates) == pool:
        # The filters removed too many of the best candidates: rank every match (slower, exact).
        exact = session.execute(
            joined(select(*columns, score.label("score")).select_from(TranscriptSegment))
            .order_by(text("score DESC"), TranscriptSegment.id)
            .limit(wanted_rows)
        ).all()
        scores.update({row[0]: float(row[-1] or 0.0) for row in exact})
        ranked = [tuple(row[:-1]) for row in exact]
    rows = [(*row, scores[row[0]]) for row in ranked[offset:wanted_rows]]
    words = _words_of(session, [row[0] for row in rows])
    wanted = frozenset().union(*terms)
    hits = [_hit(row, words.get(row[0], []), wanted) for row in rows]
    return SearchPage(total=total, hits=hits, total_capped=capped)


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
        if any(form in wanted for token in tokens(word) for form in lemma_forms(token, language))
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
