"""Frequent terms with their measure, topic share per period with its base, drill-down, incident reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.models import Call, CallOutcome, Incident, Recording, Role, Speaker
from hotline.settings import Settings
from tests.api.conftest import TestClient, Users
from transcription.audio import AudioMeta
from transcription.engine import Decoded, Segment, Word
from transcription.store import Analysis, catalogue_keywords, default_lexicon, save_transcript

DAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
WATER = "здравствуйте у нас нет горячей воды в доме и это уже третий день"
HEAT = "в квартире холодно батареи холодные отопление не работает"


def _store(
    factory: sessionmaker[Session], settings: Settings, n: int, at: datetime, text: str, **call: object
) -> int:
    words, start = [], 1.0
    for word in text.split():
        words.append(Word(word, start, start + 0.4, 0.9))
        start += 0.5
    decoded = Decoded(segments=[Segment(Speaker.CALLER, 1.0, start, text, 0.9, tuple(words))])
    analysis = Analysis(keywords=catalogue_keywords(settings.agi.catalogue_path), lexicon=default_lexicon())
    with transaction(factory) as session:
        row = Call(
            pbx="lab", linkedid=f"{n}.1", caller_number="+79497260626", started_at=at, queue="other",
            queue_entered_at=at, answered_at=at, outcome=CallOutcome.ANSWERED, agent="Павел Лебедев",
        )  # fmt: skip
        for key, value in call.items():
            setattr(row, key, value)
        session.add(row)
        session.flush()
        recording = Recording(path=f"lab/call-{n}.wav", pbx="lab", linkedid=row.linkedid, call_id=row.id)
        session.add(recording)
        session.flush()
        audio = AudioMeta(duration_s=start, rate=8000, channels=1, size_bytes=1000)
        save_transcript(
            session, recording_id=recording.id, language="ru", model="test", audio=audio, decoded=decoded,
            analysis=analysis,
        )  # fmt: skip
        return row.id


def test_frequent_terms_state_calls_share_and_change(
    client: TestClient, users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    for n in range(3):
        _store(factory, settings, n, DAY + timedelta(minutes=n), WATER)
    _store(factory, settings, 3, DAY + timedelta(minutes=5), HEAT)
    _store(factory, settings, 4, DAY - timedelta(days=1), WATER)  # the previous day (same length)
    _store(factory, settings, 5, DAY - timedelta(days=1, minutes=-5), HEAT)
    params = {"since": "2026-11-23T00:00:00+03:00", "until": "2026-11-24T00:00:00+03:00", "min_calls": 2}
    report = client.get(
        "/api/analytics/frequent-terms", params=params, headers=users.bearer(Role.ANALYST)
    ).json()
    assert (report["transcribed_calls"], report["previous_transcribed_calls"]) == (4, 2)
    rows = {row["term"]: row for row in report["rows"]}
    water = rows["вода"]
    assert (water["calls"], water["share_pct"], water["count"]) == (3, 75.0, 3)
    assert (water["previous_calls"], water["previous_share_pct"], water["change_pp"]) == (1, 50.0, 25.0)
    assert rows["горячий вода"]["kind"] == "phrase"
    # Stop words (stop-words package, Russian) never rank; a term in one call only is below min_calls.
    assert not {"у", "нас", "и", "это", "уже", "в"} & set(rows)
    assert "батарея" not in rows
    assert "percentage points" in report["definitions"]


def test_topic_share_states_its_base_and_drills_down_to_the_second(
    client: TestClient, users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    answered = _store(factory, settings, 1, DAY, WATER)
    with transaction(factory) as session:
        session.add(
            Call(pbx="lab", linkedid="9.1", started_at=DAY + timedelta(days=1), queue="other",
                 queue_entered_at=DAY + timedelta(days=1), outcome=CallOutcome.ABANDONED, ivr_topic="water")
        )  # fmt: skip
    window = {"since": "2026-11-23T00:00:00+03:00", "until": "2026-11-30T00:00:00+03:00", "period": "week"}
    headers = users.bearer(Role.ANALYST)
    offered = client.get(
        "/api/analytics/topic-periods", params={**window, "base": "offered"}, headers=headers
    ).json()
    assert [(r["period_start"], r["topic"], r["calls"], r["base_count"]) for r in offered["rows"]] == [
        ("2026-11-23", "water", 2, 2)
    ]
    only_answered = client.get("/api/analytics/topic-periods", params={**window}, headers=headers).json()
    assert (only_answered["base"], only_answered["rows"][0]["base_count"]) == ("answered", 1)
    drill = client.get(
        "/api/analytics/topic-calls",
        params={"start": "2026-11-25", "period": "week", "topic": "water"},
        headers=headers,
    ).json()
    (call,) = drill["items"]
    assert call["call_id"] == answered
    assert call["audio_url"] == f"/api/recordings/{call['recording_id']}/audio"
    assert 1.0 <= call["offset_s"] < 8.0  # where "горячей воды" is said
    supervisor = client.get(
        "/api/analytics/topic-calls",
        params={"start": "2026-11-23", "topic": "water"},
        headers=users.bearer(Role.SUPERVISOR),
    ).json()
    assert supervisor["items"][0]["caller_number"] == "**********26"
    assert supervisor["items"][0]["audio_url"] is None  # supervisors do not play recordings


def test_incidents_say_why_and_can_be_acknowledged(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as session:
        end = DAY + timedelta(minutes=40)
        session.add(
            Incident(topic="water", key_words="ленина 5", window_start=DAY, window_end=end, call_count=4,
                     call_ids=[1, 2, 3, 4])
        )  # fmt: skip
    headers = users.bearer(Role.ANALYST)
    params = {"since": "2026-11-23T00:00:00+03:00", "until": "2026-11-24T00:00:00+03:00"}
    (item,) = client.get("/api/incidents", params=params, headers=headers).json()["items"]
    assert "4 calls about «water» mentioning «ленина 5» within 40 min" in item["reason"]
    acked = client.post(f"/api/incidents/{item['id']}/acknowledge", headers=headers).json()
    assert (acked["acknowledged_by"], acked["acknowledged_at"] is not None) == ("analyst", True)


def test_days_out_of_range_are_422_like_the_report_windows(client: TestClient, users: Users) -> None:
    headers = users.bearer(Role.ANALYST)
    for day in ("1969-12-31", "2200-01-02", "0001-01-01", "9999-12-31"):
        drill = client.get(
            "/api/analytics/topic-calls", params={"start": day, "topic": "water"}, headers=headers
        )
        trends = client.get("/api/analytics/keyword-trends", params={"day": day}, headers=headers)
        for answer in (drill, trends):
            assert answer.status_code == 422, (day, answer.text)
            assert "date out of range (1970..2200)" in answer.text  # the words of a report window's Moment
