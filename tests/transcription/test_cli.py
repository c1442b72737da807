"""`hotline transcribe` imports a folder once; `hotline search` answers in JSON; no model: one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import soundfile as sf
from sqlalchemy import Engine
from typer.testing import CliRunner

from hotline import db
from hotline.db import transaction
from hotline_app.cli import app

from .conftest import KO, SPLIT_MIXED
from .reference import add_call, load_reference_calls


@pytest.fixture
def env(sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOTLINE_DEMO", "1")
    monkeypatch.setenv("HOTLINE_DATABASE__URL", str(sqlite_engine.url))
    monkeypatch.setenv("HOTLINE_TRANSCRIPTION__MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    return tmp_path


@pytest.mark.vosk
def test_transcribe_a_folder_once_with_its_rx_tx_pair(
    env: Path, ko_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_TRANSCRIPTION__MODELS", json.dumps({KO: str(ko_model_dir)}))
    folder = env / "import"
    folder.mkdir()
    for suffix in ("", "-rx", "-tx"):
        source = SPLIT_MIXED.with_name(f"{SPLIT_MIXED.stem}{suffix}.wav")
        data, rate = sf.read(str(source), dtype="int16")
        sf.write(str(folder / source.name), data[: rate * 3], rate, subtype="PCM_16")
    (folder / "corrupt.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    runner = CliRunner()

    first = runner.invoke(app, ["transcribe", str(folder), "--language", KO, "--no-progress"])
    assert first.exit_code == 1, first.output  # one file failed
    assert "queued 2 new recording(s), 0 already known" in first.output
    assert "done 1, failed 1" in first.output
    assert "corrupt.wav: " in first.output
    assert "not a readable audio file" in first.output

    again = runner.invoke(app, ["transcribe", str(folder), "--language", KO, "--no-progress"])
    assert "queued 0 new recording(s), 2 already known" in again.output
    assert "done 0, failed 0" in again.output


def test_missing_model_fails_the_file_with_one_line_on_how_to_get_it(env: Path) -> None:
    (env / "a.wav").write_bytes(SPLIT_MIXED.read_bytes())
    result = CliRunner().invoke(app, ["transcribe", str(env / "a.wav"), "--language", "uk", "--no-progress"])
    assert result.exit_code == 1
    failure = [line for line in result.output.splitlines() if line.startswith("failed: ")]
    assert len(failure) == 1
    assert "hotline models download vosk-model-small-uk" in failure[0]
    listed = CliRunner().invoke(app, ["models", "list"])
    assert "uk   no model: 0 queued and 1 failed job(s) wait for it" in listed.output


def test_transcribe_needs_files_or_drain(env: Path) -> None:
    result = CliRunner().invoke(app, ["transcribe", "--no-progress"])
    assert result.exit_code == 2
    assert "--drain" in result.output


def test_search_prints_json_hits_and_redacts_on_request(env: Path, sqlite_engine: Engine) -> None:
    start = datetime(2026, 4, 9, 9, 0, tzinfo=UTC)
    dictated = "Мой телефон восемь девять один шесть пять пять пять двенадцать."
    with transaction(db.make_session_factory(sqlite_engine)) as session:
        load_reference_calls(session, start)
        said = [{"speaker": "caller", "start_s": 1.0, "end_s": 4.0, "text": dictated}]
        add_call(session, linkedid="phone", started_at=start, queue="other", agent=None, utterances=said)
    runner = CliRunner()
    result = runner.invoke(app, ["search", "горячей воде", "--format", "json", "--speaker", "caller"])
    assert result.exit_code == 0, result.output
    page = json.loads(result.output)
    assert page["total"] == 2
    assert page["total_capped"] is False  # an exact count
    assert {hit["queue"] for hit in page["hits"]} == {"utilities"}
    assert all(3.7 < hit["start_s"] < 5.9 for hit in page["hits"])

    shown = json.loads(runner.invoke(app, ["search", "телефон", "--format", "json"]).output)
    assert "восемь девять один" in shown["hits"][0]["snippet"]
    hidden = json.loads(runner.invoke(app, ["search", "телефону", "--format", "json", "--redact"]).output)
    assert hidden["hits"][0]["snippet"] == "Мой [телефон] [номер]"
    table = runner.invoke(app, ["search", "лифт", "--queue", "utilities"])
    assert table.exit_code == 0
    assert "0:0" in table.output or "0:1" in table.output


def test_transcribe_a_folder_skips_links_that_lead_outside_it(env: Path, sqlite_engine: Engine) -> None:
    from sqlalchemy import select

    from hotline.models import Recording

    folder, elsewhere = env / "import", env / "elsewhere"
    folder.mkdir()
    (elsewhere / "private").mkdir(parents=True)
    (folder / "call.wav").write_bytes(b"RIFF")
    (folder / "inside-link.wav").symlink_to(folder / "call.wav")
    (elsewhere / "secret.wav").write_bytes(b"RIFF")
    (elsewhere / "private" / "other.wav").write_bytes(b"RIFF")
    (folder / "leak.wav").symlink_to(elsewhere / "secret.wav")
    (folder / "linked-dir").symlink_to(elsewhere / "private")
    result = CliRunner().invoke(app, ["transcribe", str(folder), "--queue-only", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "leak.wav: a link to a file outside" in result.output
    with db.make_session_factory(sqlite_engine)() as session:
        paths = session.scalars(select(Recording.path)).all()
    assert paths == [str((folder / "call.wav").resolve())]
