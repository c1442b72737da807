"""Search on SQLite FTS5 and PostgreSQL: inflected forms, filters, offsets at the right words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.models import Transcript
from hotline.text.search import search

from .reference import ReferenceCall, load_reference_calls

START = datetime(2026, 4, 9, 9, 0, tzinfo=UTC)


@pytest.fixture
def calls(session_factory: sessionmaker[Session]) -> list[ReferenceCall]:
    with transaction(session_factory) as session:
        return load_reference_calls(session, START)


def _utterance(call: ReferenceCall, word: str) -> dict[str, float]:
    return next(u for u in call.utterances if word in u["text"].lower())


def test_inflected_query_finds_the_word_and_points_at_it(
    session_factory: sessionmaker[Session], calls: list[ReferenceCall]
) -> None:
    with session_factory() as session:
        page = search(session, query="пропуском", speaker="caller")
    passes = [c for c in calls if c.queue == "passes"]
    assert page.total == len(passes) == 2
    assert {h.call_id for h in page.hits} == {c.call_id for c in passes}
    for hit in page.hits:
        said = _utterance(passes[0], "пропуск")
        # "пропуск" is the 6th of 8 words in a 3.8 s utterance: well inside, not at its start.
        assert said["start_s"] + 1.5 < hit.start_s < hit.end_s <= said["end_s"]
        assert hit.highlights == ["пропуск"]
        assert "[пропуск]" in hit.snippet
        assert (hit.queue, hit.pbx, hit.speaker) == ("passes", "lab", "caller")
        assert hit.started_at is not None


def test_phrase_words_in_other_forms_are_all_required(
    session_factory: sessionmaker[Session], calls: list[ReferenceCall]
) -> None:
    with session_factory() as session:
        page = search(session, query="нет горячая вода")
        none = search(session, query="горячая вода лифт")
    water = [c.call_id for c in calls if any("горячей воды" in u["text"] for u in c.utterances)]
    assert len(water) == 2
    assert sorted(h.call_id for h in page.hits) == sorted(water)
    assert page.hits[0].highlights == ["нет", "горячей", "воды"]
    assert none.total == 0


def test_filters_narrow_the_hits(session_factory: sessionmaker[Session], calls: list[ReferenceCall]) -> None:
    with session_factory() as session:
        everyone = search(session, query="спасибо")
        agents = search(session, query="спасибо", speaker="agent")
        utilities = search(session, query="спасибо", queue="utilities")
        olga = search(session, query="спасибо", agent="Ольга Кузнецова")
        later = search(session, query="спасибо", since=START + timedelta(minutes=3))
        window = search(session, query="спасибо", since=START, until=START + timedelta(minutes=1))
        other_pbx = search(session, query="спасибо", pbx="elsewhere")
        topic = search(session, query="спасибо", topic="car_passes")
        paged = search(session, query="спасибо", limit=3, offset=3)
    # Every call has "спасибо" from the caller and from the agent.
    assert everyone.total == 2 * len(calls)
    assert {h.speaker for h in agents.hits} == {"agent"}
    assert agents.total == len(calls)
    assert utilities.total == 2 * sum(c.queue == "utilities" for c in calls)
    assert {h.agent for h in olga.hits} == {"Ольга Кузнецова"}
    assert later.total == 2 * (len(calls) - 3)
    assert {h.call_id for h in window.hits} == {calls[0].call_id}
    assert other_pbx.total == 0
    assert topic.total == 4
    assert {h.topic for h in topic.hits} == {"car_passes"}
    assert [h.segment_id for h in paged.hits] == [h.segment_id for h in everyone.hits[3:6]]


def test_fts_syntax_in_user_text_is_just_words(
    session_factory: sessionmaker[Session], calls: list[ReferenceCall]
) -> None:
    queries = ['"пропуск', "(пропуск)", "^пропуск", "пропуск*", "-пропуск", "пропуск:"]
    with session_factory() as session:
        for query in queries:
            page = search(session, query=query)
            assert page.total == 4, query  # caller and agent say it in both pass calls
            assert {w.lower() for h in page.hits for w in h.highlights} == {"пропуск"}
        assert search(session, query="'; DROP TABLE call; --").total == 0
        # OR is a word here, not an operator: no segment says "пропуск", "or" and "лифт".
        assert search(session, query='пропуск" OR "лифт').total == 0
        assert search(session, query="lemmas:пропуск").total == 0


def test_empty_query_and_deleted_transcripts(
    session_factory: sessionmaker[Session], calls: list[ReferenceCall]
) -> None:
    with session_factory() as session:
        assert search(session, query="  ,.!  ").total == 0
    with transaction(session_factory) as session:
        session.execute(delete(Transcript))
    with session_factory() as session:
        assert search(session, query="спасибо").total == 0


def test_beyond_the_count_cap_the_newest_matches_are_ranked_and_the_total_says_so(
    session_factory: sessionmaker[Session], calls: list[ReferenceCall], monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_factory() as session:
        everyone = search(session, query="спасибо", limit=100)
        monkeypatch.setattr("hotline.text.search.COUNT_CAP", 4)
        capped = search(session, query="спасибо", limit=100)
        rare = search(session, query="пропуском")  # 4 matches: not beyond the cap
        filtered = search(session, query="спасибо", agent="Ольга Кузнецова")
    assert (everyone.total, everyone.total_capped) == (2 * len(calls), False)
    assert (capped.total, capped.total_capped) == (4, True)
    newest = sorted((h.segment_id for h in everyone.hits), reverse=True)[:4]
    assert sorted(h.segment_id for h in capped.hits) == sorted(newest)
    assert [h.score for h in capped.hits] == sorted((h.score for h in capped.hits), reverse=True)
    assert (rare.total, rare.total_capped) == (4, False)
    assert (filtered.total, {h.agent for h in filtered.hits}) == (2, {"Ольга Кузнецова"})


def test_common_words_rank_within_blocks_of_newest_matches_and_pages_stay_consistent(
    session_factory: sessionmaker[Session], calls: list[ReferenceCall], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hotline.text.search.RANK_WINDOW", 3)
    with session_factory() as session:
        whole = search(session, query="спасибо", limit=100)
        pages = [search(session, query="спасибо", limit=2, offset=offset).hits for offset in range(0, 14, 2)]
    newest_first = sorted((h.segment_id for h in whole.hits), reverse=True)
    for start in range(0, len(newest_first), 3):
        block = whole.hits[start : start + 3]
        assert {h.segment_id for h in block} == set(newest_first[start : start + 3])
        assert [h.score for h in block] == sorted((h.score for h in block), reverse=True)
    assert [h.segment_id for page in pages for h in page] == [h.segment_id for h in whole.hits]
