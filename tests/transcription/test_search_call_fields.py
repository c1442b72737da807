"""Search filters on the call fields copied onto segments: still right after the call record changes,
when a recording is linked to its call after transcription, when the call is deleted, and after the
upgrade that adds them to segments stored earlier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, delete, text, update
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.store import _upsert
from hotline import db
from hotline.db import transaction
from hotline.jobs import enqueue_recording
from hotline.models import Call, CallOutcome, Speaker, Transcript
from hotline.settings import DatabaseSettings
from hotline.text.search import search
from hotline.timeutil import UtcDateTime
from transcription.audio import AudioMeta
from transcription.engine import Decoded, Segment, Word
from transcription.store import save_transcript

from .reference import ReferenceCall, analysis, load_reference_calls

START = datetime(2026, 4, 9, 9, 0, tzinfo=UTC)


@pytest.fixture
def calls(session_factory: sessionmaker[Session]) -> list[ReferenceCall]:
    with transaction(session_factory) as session:
        return load_reference_calls(session, START)


def _thanks_calls(session: Session, **filters: object) -> set[int | None]:
    return {hit.call_id for hit in search(session, query="спасибо", **filters).hits}  # type: ignore[arg-type]


def test_filters_follow_the_call_record_when_the_listener_updates_it(
    session_factory: sessionmaker[Session], calls: list[ReferenceCall]
) -> None:
    moved = calls[0]
    with transaction(session_factory) as session:
        # The AMI listener's own upsert (ON CONFLICT DO UPDATE), as for a call record that changes late.
        row = {"pbx": "lab", "linkedid": session.get(Call, moved.call_id).linkedid}  # type: ignore[union-attr]
        _upsert(
            session,
            Call,
            [
                {
                    **row,
                    "started_at": START - timedelta(days=1),
                    "queue": "complaints",
                    "agent": "Новый Оператор",
                }
            ],
            ("pbx", "linkedid"),
        )
    with session_factory() as session:
        assert _thanks_calls(session, queue="complaints") == {moved.call_id}
        assert moved.call_id not in _thanks_calls(session, queue=moved.queue)
        assert _thanks_calls(session, agent="Новый Оператор") == {moved.call_id}
        assert _thanks_calls(session, until=START) == {moved.call_id}
        hit = search(session, query="спасибо", queue="complaints").hits[0]
    assert (hit.queue, hit.agent, hit.started_at) == (
        "complaints",
        "Новый Оператор",
        START - timedelta(days=1),
    )


def test_a_changed_transcript_topic_is_what_the_topic_filter_sees(
    session_factory: sessionmaker[Session], calls: list[ReferenceCall]
) -> None:
    with transaction(session_factory) as session:
        session.execute(update(Transcript).values(topic="utilities"))
    with session_factory() as session:
        assert _thanks_calls(session, topic="utilities") == {c.call_id for c in calls}
        assert _thanks_calls(session, topic="car_passes") == set()


def _decoded(text_: str) -> Decoded:
    words = tuple(Word(word, n * 0.5, n * 0.5 + 0.4, 0.9) for n, word in enumerate(text_.split()))
    return Decoded([Segment(Speaker.CALLER, 0.0, words[-1].end_s, text_, 0.9, words)], decode_s=0.1)


def test_a_recording_transcribed_before_its_call_is_known_gets_the_call_fields_when_linked(
    session_factory: sessionmaker[Session],
) -> None:
    path = "/imported/old-call.wav"
    with transaction(session_factory) as session:
        job = enqueue_recording(session, path=path, pbx=None, linkedid=None, call_id=None, language="ru")
        assert job is not None
        decoded = _decoded("мне нужен пропуск для машины")
        save_transcript(
            session, recording_id=job.recording_id, language="ru", model="test",
            audio=AudioMeta(3.0, 8000, 1, 0), decoded=decoded, analysis=analysis(),
        )  # fmt: skip
    with session_factory() as session:
        unlinked = search(session, query="пропуском")
        assert [h.call_id for h in unlinked.hits] == [None]
        assert unlinked.hits[0].started_at is not None  # the recording's time until the call is known
        assert search(session, query="пропуском", queue="passes").total == 0

    with transaction(session_factory) as session:
        call = Call(
            pbx="lab", linkedid="late-1", started_at=START, queue="passes", agent="Ольга Кузнецова",
            outcome=CallOutcome.ANSWERED,
        )  # fmt: skip
        session.add(call)
        session.flush()
        # The listener meets the recording again once the call record is known (hotline/jobs.py).
        enqueue_recording(session, path=path, pbx="lab", linkedid="late-1", call_id=call.id, language="ru")
        call_id = call.id
    with session_factory() as session:
        linked = search(session, query="пропуском", queue="passes", agent="Ольга Кузнецова", pbx="lab")
        window = search(session, query="пропуском", since=START, until=START + timedelta(minutes=1))
    assert [h.call_id for h in linked.hits] == [call_id]
    assert linked.hits[0].started_at == START
    assert window.total == 1

    with transaction(session_factory) as session:
        session.execute(delete(Call).where(Call.id == call_id))
    with session_factory() as session:
        assert search(session, query="пропуском", queue="passes").total == 0
        orphan = search(session, query="пропуском", pbx="lab")  # the recording's PBX stays
    assert [(h.call_id, h.queue, h.pbx) for h in orphan.hits] == [(None, None, "lab")]


AT = bindparam("at", type_=UtcDateTime())


def test_upgrade_fills_the_call_fields_of_segments_stored_before_it(db_url: str) -> None:
    engine = db.make_engine(DatabaseSettings(url=db_url))
    db.upgrade(engine, "0002")
    with engine.begin() as connection:
        run = connection.execute
        run(
            text(
                "INSERT INTO call (id, pbx, linkedid, started_at, queue, agent, ivr_topic, outcome) "
                "VALUES (7, 'lab', 'old-1', :at, 'passes', 'Ольга Кузнецова', 'car_passes', 'answered')"
            ).bindparams(AT),
            {"at": START},
        )
        for recording_id, call_id in ((1, 7), (2, None)):  # one linked to its call, one imported alone
            run(
                text(
                    "INSERT INTO recording (id, path, pbx, call_id, created_at) "
                    "VALUES (:id, :path, :pbx, :call, :at)"
                ).bindparams(AT),
                {"id": recording_id, "path": f"/r/{recording_id}.wav", "pbx": None if call_id else "other",
                 "call": call_id, "at": START + timedelta(days=recording_id)},
            )  # fmt: skip
            run(
                text(
                    "INSERT INTO transcript (id, recording_id, language, model, audio_duration_s, decode_s, "
                    "abusive, created_at) VALUES (:id, :id, 'ru', 'old', 3, 1, false, :at)"
                ).bindparams(AT),
                {"id": recording_id, "at": START},
            )
            run(
                text(
                    "INSERT INTO transcript_segment (transcript_id, speaker, start_s, end_s, text, lemmas) "
                    "VALUES (:id, 'caller', 0, 2, 'нужен пропуск', 'нужный пропуск')"
                ),
                {"id": recording_id},
            )
    db.upgrade(engine)
    with db.make_session_factory(engine)() as session:
        linked = search(
            session, query="пропуск", queue="passes", agent="Ольга Кузнецова", topic="car_passes",
            pbx="lab", since=START, until=START + timedelta(hours=1),
        )  # fmt: skip
        alone = search(session, query="пропуск", pbx="other", since=START + timedelta(days=2))
    engine.dispose()
    assert [h.call_id for h in linked.hits] == [7]
    assert [(h.recording_id, h.call_id, h.queue) for h in alone.hits] == [(2, None, None)]
