"""Bad values never stop saving: one caller's name made 300 characters long and another's given a NUL
byte (PostgreSQL refuses both as they are), in the real frames of the queue_timeout capture, replayed
with `hotline ami replay`. Every call is still stored right, and the report says what was cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hotline import db
from hotline.models import Call, Pbx
from hotline.settings import DatabaseSettings
from hotline_app.cli import app
from tests.ami.frames import altered_capture, live_path
from tests.ami.truth import compare, summary


def test_a_300_character_name_and_a_nul_byte_lose_nothing(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]
) -> None:
    calls = {c["cid"]: c for c in summary("queue_timeout")["calls"]}  # type: ignore[union-attr]
    first, second = calls["T01"], calls["T02"]
    long_name = (first["caller_name"] + " ") * 20
    long_name = long_name[:300]
    nul_name = second["caller_name"].replace(" ", "\x00 ", 1)
    capture = altered_capture(
        live_path("queue_timeout"),
        tmp_path / "capture",
        {
            first["caller_name"].encode(): long_name.encode(),
            second["caller_name"].encode(): nul_name.encode(),
        },
    )
    monkeypatch.setenv("HOTLINE_DEMO", "1")
    monkeypatch.setenv("HOTLINE_DATABASE__URL", db_url)
    monkeypatch.setenv("HOTLINE_RECORDINGS__DIR", str(tmp_path / "recordings"))

    result = CliRunner().invoke(app, ["ami", "replay", str(capture), "--speed", "0"])

    assert result.exit_code == 0, result.output
    assert compare("queue_timeout", session_factory).problems == []  # every call, exactly as before
    with session_factory() as session:
        names = {c.linkedid: c.caller_name for c in session.scalars(select(Call))}
        pbx = session.scalars(select(Pbx)).one()
    assert names[first["linkedid"]] == long_name[:255]
    assert names[second["linkedid"]] == second["caller_name"]
    assert f"call ('lab', '{first['linkedid']}') caller_name: cut from 300 to 255 characters" in result.output
    assert f"call ('lab', '{second['linkedid']}') caller_name: NUL bytes stripped" in result.output
    assert pbx.values_cleaned_total >= 2
    assert (pbx.rows_rejected_total, pbx.records_lost_total) == (0, 0)
    assert "rows_rejected=0 records_lost=0" in result.output


def test_replay_into_a_database_that_refuses_writes_says_what_was_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hotline.db"
    db.upgrade(db.make_engine(DatabaseSettings(url=f"sqlite:///{path}")))
    monkeypatch.setenv("HOTLINE_DEMO", "1")
    monkeypatch.setenv("HOTLINE_DATABASE__URL", f"sqlite:///file:{path}?mode=ro&uri=true")
    monkeypatch.setenv("HOTLINE_RECORDINGS__DIR", str(tmp_path / "recordings"))

    result = CliRunner().invoke(app, ["ami", "replay", str(live_path("queue_timeout")), "--speed", "0"])

    assert result.exit_code == 1, result.output
    assert "NOT EVERYTHING WAS SAVED" in result.output
    assert "records unsaved at stop (database unavailable)" in result.output
