"""`hotline models download` against a local HTTP server that serves a small model archive."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.errors import ModelDownloadError
from hotline.settings import TranscriptionSettings
from hotline.speech_models import model_path
from hotline_app.cli import app
from transcription.models import download_model

NAME = "vosk-model-small-xx-0.1"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data in entries.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving `site/` (the archive and model-list.json)."""
    site = tmp_path / "site"
    site.mkdir()
    archive = _zip(
        {f"{NAME}/am/final.mdl": b"\0" * 5000, f"{NAME}/conf/model.conf": b"--sample-frequency=16000\n"}
    )
    (site / f"{NAME}.zip").write_bytes(archive)
    listing = [{"name": NAME, "lang": "xx", "md5": hashlib.md5(archive).hexdigest()}]
    (site / "model-list.json").write_text(json.dumps(listing))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", site
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_against_the_model_list_and_unpacks(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = server
    seen: list[tuple[int, int | None]] = []
    model = download_model(
        NAME, tmp_path / "models", base_url=base, progress=lambda d, t: seen.append((d, t))
    )
    assert model.path == tmp_path / "models" / NAME
    assert (model.path / "am" / "final.mdl").stat().st_size == 5000
    assert seen[-1][0] == seen[-1][1]  # progress reached the announced size
    # The downloaded model is found for its language without any configuration.
    assert model_path(TranscriptionSettings(models_dir=tmp_path / "models"), "xx") == model.path
    assert [p.name for p in (tmp_path / "models").iterdir()] == [NAME]  # no leftovers
    with pytest.raises(ModelDownloadError, match="already exists"):
        download_model(NAME, tmp_path / "models", base_url=base)


def test_wrong_checksum_or_unsafe_archive_installs_nothing(server: tuple[str, Path], tmp_path: Path) -> None:
    base, site = server
    models = tmp_path / "models"
    with pytest.raises(ModelDownloadError, match="SHA-256 mismatch"):
        download_model(NAME, models, base_url=base, sha256="0" * 64)
    evil = _zip({"../escape/am/x": b"x"})
    (site / "vosk-model-evil.zip").write_bytes(evil)
    with pytest.raises(ModelDownloadError, match="unsafe path"):
        download_model("vosk-model-evil", models, base_url=base, sha256=hashlib.sha256(evil).hexdigest())
    with pytest.raises(ModelDownloadError, match="not in the official model list"):
        download_model("vosk-model-unknown", models, base_url=base)
    with pytest.raises(ModelDownloadError, match="HTTP 404"):
        download_model("vosk-model-gone", models, base_url=base, sha256="0" * 64)
    assert not (tmp_path / "escape").exists()
    assert list(models.iterdir()) == []


def test_cli_download_and_list(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = server
    monkeypatch.setenv("HOTLINE_DEMO", "1")
    monkeypatch.setenv("HOTLINE_TRANSCRIPTION__MODELS_DIR", str(tmp_path / "models"))
    runner = CliRunner()
    result = runner.invoke(app, ["models", "download", NAME, "--base-url", base])
    assert result.exit_code == 0, result.output
    assert f"installed {NAME}" in result.output
    listed = runner.invoke(app, ["models", "list"])
    assert listed.exit_code == 0
    assert NAME in listed.output
