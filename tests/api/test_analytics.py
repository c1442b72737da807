"""Analysts: search finds word forms and points at the second; transcripts redact by role; reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.models import AuditLog, Role
from hotline.settings import Settings
from hotline.timeutil import utcnow
from tests.api.conftest import TestClient, Users
from tests.api.transcripts import PHONE_WORDS, Stored, store_call


@pytest.fixture
def stored(factory: sessionmaker[Session], settings: Settings) -> Stored:
    return store_call(factory, settings, utcnow() - timedelta(minutes=30))


def test_search_finds_another_word_form_and_the_second_to_seek(
    client: TestClient, users: Users, stored: Stored
) -> None:
    page = client.get("/api/search", params={"query": "мусора"}, headers=users.bearer(Role.ANALYST)).json()
    assert page["total"] == 2
    first = min(page["hits"], key=lambda hit: hit["start_s"])
    assert first["recording_id"] == stored.recording_id
    assert first["transcript_id"] == stored.transcript_id
    assert first["start_s"] == pytest.approx(4.0)  # "мусор" is the 8th word, words every 0.5 s from 0.5 s
    assert first["audio_url"] == f"/api/recordings/{stored.recording_id}/audio"
    assert "мусор" in first["highlights"]
    filtered = client.get(
        "/api/search", params={"query": "мусор", "speaker": "agent"}, headers=users.bearer(Role.ANALYST)
    ).json()
    assert filtered["total"] == 0


@pytest.mark.parametrize(
    "hostile", ["' OR 1=1 --", 'мусор" OR "a', "NEAR(a b)", "*", "мусор); DROP TABLE call;--"]
)
def test_search_text_is_never_sql_or_query_syntax(
    client: TestClient, users: Users, stored: Stored, hostile: str
) -> None:
    answer = client.get("/api/search", params={"query": hostile}, headers=users.bearer(Role.ADMIN))
    assert answer.status_code == 200
    again = client.get("/api/search", params={"query": "мусор"}, headers=users.bearer(Role.ADMIN)).json()
    assert again["total"] == 2


def test_transcript_turns_highlights_and_redaction_by_role(
    client: TestClient, users: Users, stored: Stored, factory: sessionmaker[Session]
) -> None:
    url = f"/api/transcripts/{stored.transcript_id}"
    full = client.get(url, headers=users.bearer(Role.ANALYST)).json()
    assert [turn["speaker"] for turn in full["turns"]] == ["caller", "agent", "caller"]
    assert full["turns"][2]["segments"][0]["text"] == PHONE_WORDS
    assert full["call"]["caller_number"] == "+79497260626"
    assert full["redacted"] is False
    masked = client.get(url, headers=users.bearer(Role.SUPERVISOR)).json()
    assert masked["redacted"] is True
    phone_text = masked["turns"][2]["segments"][0]["text"]
    assert "восемь девять один" not in phone_text
    assert "мусор" in masked["turns"][0]["segments"][0]["text"]
    assert masked["call"]["caller_number"].endswith("26")
    assert "7949726" not in masked["call"]["caller_number"]
    with factory() as session:
        views = session.scalars(select(AuditLog.username).where(AuditLog.action == "transcript_view")).all()
    assert sorted(views) == ["analyst", "supervisor"]


def test_topic_share_states_its_base_and_keyword_trends_answer(
    client: TestClient, users: Users, stored: Stored
) -> None:
    since = (utcnow() - timedelta(days=1)).isoformat()
    share = client.get(
        "/api/analytics/topic-share",
        params={"since": since, "base": "transcribed"},
        headers=users.bearer(Role.ANALYST),
    ).json()
    assert share["base"] == "transcribed"
    assert share["rows"]
    assert all(row["base"] == "transcribed" for row in share["rows"])
    assert sum(row["share_pct"] for row in share["rows"]) == pytest.approx(100.0)
    csv = client.get(
        "/api/analytics/topic-share",
        params={"since": since, "format": "csv"},
        headers=users.bearer(Role.ANALYST),
    )
    assert csv.headers["content-type"].startswith("text/csv")
    trends = client.get("/api/analytics/keyword-trends", headers=users.bearer(Role.SUPERVISOR))
    assert trends.status_code == 200
    assert "rows" in trends.json()
    abuse = client.get("/api/analytics/abuse", headers=users.bearer(Role.ANALYST))
    assert abuse.json() == {"rows": []}


def test_search_and_analytics_pages_render(client: TestClient, users: Users) -> None:
    search = client.get("/search?lang=en", headers=users.bearer(Role.ANALYST))
    assert search.status_code == 200
    assert '<audio id="player"' in search.text
    # The chosen language sticks (cookie) until switched back.
    analytics = client.get("/analytics", headers=users.bearer(Role.SUPERVISOR))
    assert "Topic share per day" in analytics.text
    russian = client.get("/analytics?lang=ru", headers=users.bearer(Role.SUPERVISOR))
    assert "Доля тем по дням" in russian.text
