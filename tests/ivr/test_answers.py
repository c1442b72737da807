"""After a department answers, the caller hears the new status and can hear the answer or get it by SMS."""

from __future__ import annotations

import logging
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from hotline import citizen, db, routing
from hotline.audit import Actor
from hotline.catalogue import load_catalogue
from hotline.db import transaction
from hotline.models import AuditLog
from hotline.settings import Settings
from ivr.dialog import Dialog
from ivr.steps import (
    AnswerDelivered,
    Collect,
    Digits,
    Play,
    ReadAnswer,
    SendAnswer,
    StatusFound,
)
from ivr.store import IvrStore
from tests.conftest import demo_settings

CALLER = "+79163330108"  # the ivr_languages caller whose own request L09 heard
ANSWER = "Подача горячей воды восстановлена 3 декабря."


@pytest.fixture
def world(sqlite_engine: Engine, tmp_path: Path) -> tuple[sessionmaker[Session], Settings, str]:
    factory = db.make_session_factory(sqlite_engine)
    settings = demo_settings(sqlite_engine.url.render_as_string(hide_password=False), tmp_path)
    with transaction(factory) as session:
        department = routing.add_department(session, name="water_utility")
        request = citizen.register_request(
            session, settings, summary="Нет горячей воды в доме", caller_number=CALLER, topic="water"
        )
        routing.answer(session, request, text=ANSWER, actor=Actor("dw"), department=department)
        number = request.number
    return factory, settings, number


def test_the_caller_hears_answered_and_gets_the_answer_by_sms_only_for_their_own_request(
    world: tuple[sessionmaker[Session], Settings, str], caplog: pytest.LogCaptureFixture
) -> None:
    factory, settings, number = world
    store = IvrStore(factory, lookups_per_hour=10, zone=settings.zone, sms=settings.sms)
    now = datetime.now(UTC)
    own = store.lookup_status(CALLER, None, now)
    assert isinstance(own, StatusFound)
    assert (own.number, own.status, own.has_answer) == (number, "answered", True)
    stranger = store.lookup_status("+79160000000", number, now)
    assert isinstance(stranger, StatusFound)
    assert stranger.has_answer is False  # knowing the number is not enough for the answer text
    assert store.send_answer_sms("+79160000000", number, "ru") is False
    with caplog.at_level(logging.INFO, logger="hotline.sms"):
        assert store.send_answer_sms(CALLER, number, "ru") is True
    record = next(r for r in caplog.records if r.getMessage() == "SMS not sent (log-only sender)")
    assert record.text == f"Ответ на обращение {number}: {ANSWER}"  # type: ignore[attr-defined]
    assert record.to == "+7********08"  # type: ignore[attr-defined]
    with factory() as session:
        assert session.scalars(select(AuditLog.action).where(AuditLog.object_id == number)).all()[-1] == (
            "request.answer_sms"
        )


def test_the_answer_is_synthesized_once_into_the_sounds_folder(
    world: tuple[sessionmaker[Session], Settings, str], tmp_path: Path
) -> None:
    factory, settings, number = world
    store = IvrStore(factory, lookups_per_hour=10, zone=settings.zone, sounds_dir=tmp_path / "sounds")
    prompt = store.answer_prompt(CALLER, number)
    assert prompt is not None
    assert prompt.startswith(f"hotline/answers/{number}-")
    with wave.open(str(tmp_path / "sounds" / f"{prompt}.wav")) as audio:
        assert (audio.getframerate(), audio.getnchannels()) == (8000, 1)
        assert audio.getnframes() / 8000 > 1.5  # a sentence, not an empty file
    assert store.answer_prompt(CALLER, number) == prompt
    assert store.answer_prompt("+79160000000", number) is None


def test_the_dialog_offers_the_answer_then_reads_it_or_sends_it() -> None:
    d = Dialog(
        load_catalogue(), now=datetime(2026, 11, 24, 7, 0, tzinfo=UTC), caller_number=CALLER, max_retries=2
    )
    d.start()
    d.feed(Digits("5"))
    found = StatusFound(
        "123456782", "answered", datetime(2026, 12, 2).date(), datetime(2026, 12, 7).date(), True
    )
    told = d.feed(found)
    assert Play("hotline/ru/status_answer_offer") in told
    assert isinstance(told[-1], Collect)
    assert d.feed(Digits("3")) == [SendAnswer("123456782")]
    after = d.feed(AnswerDelivered(ok=True, by_sms=True))
    assert after[0] == Play("hotline/ru/answer_sms_sent")
    assert isinstance(after[-1], Collect)
    assert d.feed(Digits("2")) == [ReadAnswer("123456782")]
    failed = d.feed(AnswerDelivered(ok=False, by_sms=False))
    assert failed[0] == Play("hotline/ru/answer_unavailable")
