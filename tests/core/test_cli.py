"""The `hotline` command: every command has one-line help, errors are one line with a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from hotline_app.cli import app


def _all_commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    found: list[list[str]] = []

    # typer vendors its own click, so groups are recognised by their `commands`, not by class.
    def walk(command: Any, path: list[str]) -> None:
        found.append(path)
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])

    walk(root, [])
    return found


def test_the_parts_register_their_groups() -> None:
    names = {tuple(path) for path in _all_commands()}
    for group in (("db",), ("config",), ("ami",), ("ivr",)):
        assert group in names


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p) or "hotline")
def test_every_command_has_working_help_with_a_summary(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    summary = command.get_short_help_str(limit=200)
    assert summary.strip(), f"`hotline {' '.join(path)}` has no one-line description"


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "hotline_app.cli", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bad_config_file_gives_one_line_naming_file_and_field(tmp_path: Path) -> None:
    config = tmp_path / "hotline.toml"
    config.write_text("demo = true\n[database]\npool_size = -3\n", encoding="utf-8")
    result = _run(["--config", str(config), "config", "show"], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(config) in lines[0]
    assert "database.pool_size" in lines[0]
    assert "Traceback" not in result.stderr


def test_config_show_prints_settings_with_secrets_masked(tmp_path: Path) -> None:
    result = _run(
        ["config", "show", "--json"],
        tmp_path,
        HOTLINE_API__SESSION_SECRET="a-very-long-session-secret-for-this-test",
        HOTLINE_AMI__PBXES='[{"name": "city", "secret": "amipass"}]',
    )
    assert result.returncode == 0, result.stderr
    assert "a-very-long-session-secret" not in result.stdout
    assert "amipass" not in result.stdout
    assert '"name": "city"' in result.stdout


def test_db_upgrade_from_the_cli_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = _run(["db", "upgrade"], tmp_path, HOTLINE_DEMO="1", HOTLINE_DATABASE__URL=url)
    assert result.returncode == 0, result.stderr
    current = _run(["db", "current"], tmp_path, HOTLINE_DEMO="1", HOTLINE_DATABASE__URL=url)
    assert current.stdout.strip() == "current=0001 head=0001" or current.stdout.startswith("current=")
    assert "head=" in current.stdout
    head = current.stdout.split("head=")[1].strip()
    assert current.stdout.strip() == f"current={head} head={head}"


def test_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = _run(
        ["db", "current"],
        tmp_path,
        HOTLINE_DEMO="1",
        HOTLINE_DATABASE__URL="postgresql+psycopg://nobody@127.0.0.1:1/x",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "does not answer" in result.stderr


def test_db_upgrade_and_ami_replay_need_no_api_secret(tmp_path: Path) -> None:
    from tests.ami.support import capture_path

    env = {
        "HOTLINE_DATABASE__URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "HOTLINE_RECORDINGS__DIR": str(tmp_path),
    }
    upgraded = _run(["db", "upgrade"], tmp_path, **env)
    assert upgraded.returncode == 0, upgraded.stderr
    replayed = _run(["ami", "replay", str(capture_path("ivr_to_agent")), "--speed", "0"], tmp_path, **env)
    assert replayed.returncode == 0, replayed.stderr
    assert "SESSION_SECRET" not in replayed.stderr
    checked = _run(["config", "check"], tmp_path, **env)
    assert checked.returncode == 2
    assert "HOTLINE_API__SESSION_SECRET" in checked.stderr
