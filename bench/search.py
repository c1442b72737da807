"""Transcript search latency on 1,000,000 segments: p50/p95 of `hotline.text.search.search`.

Builds a synthetic archive (calls, recordings, transcripts, segments with lemmas and the call fields
search filters on) on SQLite (FTS5) and PostgreSQL (GIN over the lemmas tsvector and the filter
columns), then times a mix of queries as the API runs them: lemmatize, match, rank, count, fetch the
page, locate the words. Goal: p95 < 50 ms. Counts above hotline.text.search.COUNT_CAP print as "1000+".

Vocabulary: Zipf-distributed filler words plus hotline terms at fixed rates ("вода" in 3 % of
segments, "пропуск" 1 %, "лифт" 0.3 %, "авария" 0.05 %), so queries hit rare and common terms.

    python bench/search.py                          # both engines, 1,000,000 segments
    python bench/search.py --segments 200000 --engines sqlite
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from hotline import db
from hotline.settings import DatabaseSettings
from hotline.text.search import search

SEGMENTS_PER_CALL = 10
TERMS = {"вода": 0.03, "пропуск": 0.01, "лифт": 0.003, "авария": 0.0005, "горячий": 0.02}
QUERIES = [
    ({"query": "воды"}, "common word"),
    ({"query": "пропуском"}, "inflected, 1 %"),
    ({"query": "лифта"}, "0.3 %"),
    ({"query": "аварии"}, "rare"),
    ({"query": "горячей воды"}, "two words"),
    ({"query": "пропуск", "queue": "passes"}, "with queue filter"),
    ({"query": "лифт", "speaker": "caller"}, "with speaker filter"),
    ({"query": "вода", "since_days": 7}, "last 7 days"),
    ({"query": "несуществующееслово"}, "no hits"),
]
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def vocabulary(size: int, rng: random.Random) -> list[str]:
    syllables = [
        "ка",
        "ро",
        "ми",
        "на",
        "те",
        "ль",
        "ст",
        "во",
        "да",
        "пе",
        "ре",
        "за",
        "ко",
        "ли",
        "ны",
        "ту",
    ]
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def segment_lemmas(rng: random.Random, vocab: list[str], cumulative: list[float]) -> str:
    words = rng.choices(vocab, cum_weights=cumulative, k=rng.randint(6, 14))
    for term, rate in TERMS.items():
        if rng.random() < rate:
            words.insert(rng.randrange(len(words) + 1), term)
    return " ".join(words)


def populate(engine: Engine, segments: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    vocab = vocabulary(20000, rng)
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(vocab))))
    calls = segments // SEGMENTS_PER_CALL
    start = datetime(2026, 1, 1, tzinfo=UTC)
    queues = ["passes", "utilities", "other"]
    agents = [f"Оператор {n}" for n in range(40)]
    batch = 2000
    with engine.begin() as connection:
        for first in range(0, calls, batch):
            ids = range(first + 1, min(calls, first + batch) + 1)
            times = {i: start + timedelta(seconds=i * 90 * 86400 / calls) for i in ids}
            calls_batch = [{"id": i, "linkedid": f"c{i}", "at": times[i], "queue": rng.choice(queues),
                            "agent": rng.choice(agents)} for i in ids]  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO call (id, pbx, linkedid, started_at, queue, agent, outcome) "
                    "VALUES (:id, 'bench', :linkedid, :at, :queue, :agent, 'answered')"
                ),
                calls_batch,
            )
            connection.execute(
                text(
                    "INSERT INTO recording (id, path, pbx, call_id, created_at) "
                    "VALUES (:id, :path, 'bench', :id, :at)"
                ),
                [{"id": i, "path": f"/rec/{i}.wav", "at": times[i]} for i in ids],
            )
            connection.execute(
                text(
                    "INSERT INTO transcript (id, recording_id, language, model, audio_duration_s, decode_s, "
                    "abusive, created_at) VALUES (:id, :id, 'ru', 'bench', 60, 10, false, :at)"
                ),
                [{"id": i, "at": times[i]} for i in ids],
            )
            rows = []
            for call in calls_batch:
                i = call["id"]
                for n in range(SEGMENTS_PER_CALL):
                    lemmas = segment_lemmas(rng, vocab, cumulative)
                    rows.append({"t": i, "sp": "caller" if n % 2 else "agent", "s": n * 6.0, "e": n * 6.0 + 5,
                                 "text": lemmas, "lemmas": lemmas, "at": call["at"], "queue": call["queue"],
                                 "agent": call["agent"]})  # fmt: skip
            # The call fields as transcription/store.py copies them onto each segment.
            connection.execute(
                text(
                    "INSERT INTO transcript_segment (transcript_id, speaker, start_s, end_s, text, lemmas, "
                    "confidence, call_started_at, call_queue, call_agent, call_pbx) "
                    "VALUES (:t, :sp, :s, :e, :text, :lemmas, 0.9, :at, :queue, :agent, 'bench')"
                ),
                rows,
            )
    # PostgreSQL as autovacuum leaves a live table: statistics, visibility map, GIN pending list merged.
    postgres = engine.dialect.name == "postgresql"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))


def measure(engine: Engine, rounds: int) -> None:
    factory = db.make_session_factory(engine)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    all_ms: list[float] = []
    with factory() as session:
        for params, label in QUERIES:
            kwargs = dict(params)
            days = kwargs.pop("since_days", None)
            if days is not None:
                kwargs["since"] = now - timedelta(days=int(days))
            times = []
            page = None
            for _ in range(rounds):
                started = time.perf_counter()
                page = search(session, **kwargs)  # type: ignore[arg-type]
                times.append((time.perf_counter() - started) * 1000)
            all_ms.extend(times)
            assert page is not None
            total = f"{page.total}+" if page.total_capped else str(page.total)
            print(f"  {label:20} {params['query']!r:26} total {total:>7}  "
                  f"p50 {statistics.median(times):6.1f} ms  p95 {pct(times, 0.95):6.1f} ms")  # fmt: skip
    print(
        f"  all queries: p50 {statistics.median(all_ms):.1f} ms, p95 {pct(all_ms, 0.95):.1f} ms (goal < 50)"
    )


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(engine: Engine, name: str, segments: int, rounds: int) -> None:
    db.upgrade(engine)
    started = time.perf_counter()
    populate(engine, segments)
    print(f"{name}: {segments} segments loaded and indexed in {time.perf_counter() - started:.0f} s")
    measure(engine, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    options = parser.parse_args()
    engines = options.engines.split(",")
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory() as scratch:
            engine = db.make_engine(DatabaseSettings(url=f"sqlite:///{Path(scratch) / 'search.db'}"))
            run(engine, "SQLite FTS5", options.segments, options.rounds)
            engine.dispose()
    if "postgres" in engines:
        admin = create_engine(options.pg_admin_url, isolation_level="AUTOCOMMIT")
        name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            base = options.pg_admin_url.rpartition("/")[0]
            engine = db.make_engine(DatabaseSettings(url=f"{base}/{name}"))
            run(engine, "PostgreSQL GIN", options.segments, options.rounds)
            engine.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
