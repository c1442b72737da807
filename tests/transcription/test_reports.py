"""Reports over stored transcripts: topic shares with their base, trends, incidents, abuse flags."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.models import CallOutcome, Incident
from hotline.text.topic_reports import abuse_flags, detect_incidents, keyword_trends, topic_share_per_day

from .reference import add_call, load_reference_calls, reference_entries

# 23:30 UTC is already 9 April in Moscow: days are counted in the hotline's zone.
START = datetime(2026, 4, 8, 22, 0, tzinfo=UTC)
TZ = "Europe/Moscow"


def _water_utterances() -> list[dict[str, object]]:
    return next(e["utterances"] for e in reference_entries() if "горячей воды" in str(e["utterances"]))


def test_topic_share_states_its_base(session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as session:
        calls = load_reference_calls(session, START)
        add_call(session, linkedid="lost", started_at=START, queue="passes", agent=None,
                 utterances=_water_utterances(), outcome=CallOutcome.ABANDONED)  # fmt: skip
    with session_factory() as session:
        answered = topic_share_per_day(session, since=START, until=START + timedelta(days=1), tz=TZ)
        transcribed = topic_share_per_day(
            session, since=START, until=START + timedelta(days=1), tz=TZ, base="transcribed"
        )
    rows = {r.topic: r for r in answered}
    assert {r.day for r in answered} == {date(2026, 4, 9)}
    assert rows["car_passes"].calls == 2
    assert rows["car_passes"].base_count == len(calls) == 7
    assert rows["car_passes"].share_pct == 28.6
    assert rows["car_passes"].label == "28.6% of 7 answered calls on 09.04.2026 were about car_passes"
    # The abandoned call has a transcript too: it counts with the transcribed base only.
    assert {r.topic: r.base_count for r in transcribed}["car_passes"] == 8
    assert {r.topic: r.calls for r in transcribed}["water"] == rows["water"].calls + 1


def test_keyword_trends_against_the_previous_week(session_factory: sessionmaker[Session]) -> None:
    lift = next(e["utterances"] for e in reference_entries() if "лифт" in str(e["utterances"]))
    with transaction(session_factory) as session:
        for day in range(1, 8):  # a week of one water call a day
            add_call(session, linkedid=f"w{day}", started_at=START - timedelta(days=day), queue="utilities",
                     agent=None, utterances=_water_utterances())  # fmt: skip
        for n in range(3):  # today: the usual water call and three lift calls
            add_call(session, linkedid=f"l{n}", started_at=START + timedelta(hours=1, minutes=n),
                     queue="utilities", agent=None, utterances=lift)  # fmt: skip
        add_call(session, linkedid="w0", started_at=START + timedelta(hours=2), queue="utilities",
                 agent=None, utterances=_water_utterances())  # fmt: skip
    with session_factory() as session:
        trends = keyword_trends(session, day=date(2026, 4, 9), tz=TZ)
    terms = [t.term for t in trends]
    assert "лифт" in terms
    assert "подъезд" in terms
    assert "вода" not in terms  # said every day: not a trend
    assert "спасибо" not in terms
    top = trends[0]
    assert (top.calls, top.baseline_per_day, top.lift) == (3, 0.0, 6.0)


def test_burst_of_calls_from_one_street_becomes_one_incident(session_factory: sessionmaker[Session]) -> None:
    water = _water_utterances()  # "Улица Ленина, дом пятнадцать" and no hot water
    with transaction(session_factory) as session:
        for n in range(3):
            add_call(session, linkedid=f"b{n}", started_at=START + timedelta(minutes=30 * n),
                     queue="utilities", agent=None, utterances=water)  # fmt: skip
    now = START + timedelta(hours=1, minutes=30)
    with transaction(session_factory) as session:
        first = detect_incidents(session, now=now)
    assert [(i.topic, i.key_words, i.call_count) for i in first] == [("water", "ленин", 3)]
    with transaction(session_factory) as session:
        add_call(session, linkedid="b3", started_at=now + timedelta(minutes=10), queue="utilities",
                 agent=None, utterances=water)  # fmt: skip
    with transaction(session_factory) as session:
        again = detect_incidents(session, now=now + timedelta(minutes=15))
        assert detect_incidents(session, now=now + timedelta(minutes=15))[0].call_count == 4
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 1
    assert again[0].call_count == 4
    with transaction(session_factory) as session:
        assert detect_incidents(session, now=now, min_calls=5) == []


def test_abuse_is_flagged_per_call_and_speaker(session_factory: sessionmaker[Session]) -> None:
    rude = [
        {"speaker": "agent", "start_s": 1.0, "end_s": 3.0, "text": "Горячая линия, слушаю вас."},
        {
            "speaker": "caller",
            "start_s": 3.5,
            "end_s": 6.0,
            "text": "Вы там все идиоты, третий день нет воды!",
        },
        {"speaker": "agent", "start_s": 6.5, "end_s": 8.0, "text": "Не кричите на меня, придурок."},
    ]
    with transaction(session_factory) as session:
        load_reference_calls(session, START)
        rude_call = add_call(session, linkedid="rude", started_at=START, queue="utilities",
                             agent="Мария Васильева", utterances=rude)  # fmt: skip
    with session_factory() as session:
        flags = abuse_flags(session, since=START, until=START + timedelta(days=1))
    assert {(f.call_id, f.speaker, tuple(f.words)) for f in flags} == {
        (rude_call, "caller", ("идиоты",)),
        (rude_call, "agent", ("придурок",)),
    }
    caller = next(f for f in flags if f.speaker == "caller")
    assert 3.5 < caller.first_offset_s < 6.0
    assert caller.agent == "Мария Васильева"
