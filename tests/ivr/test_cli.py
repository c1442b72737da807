"""`hotline ivr catalogue check` and `hotline ivr serve` as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from hotline.catalogue import default_catalogue_path
from hotline_app.cli import app
from ivr.peer import PeerResult, simulate_call


def test_catalogue_check_ok_and_precise_error(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["ivr", "catalogue", "check", str(default_catalogue_path())])
    assert ok.exit_code == 0, ok.output
    assert "OK - 12 topics, 3 menus, languages ru, uk, en" in ok.output
    broken = tmp_path / "c.yaml"
    broken.write_text(
        default_catalogue_path().read_text(encoding="utf-8").replace("queue: passes", "queue: 7", 1)
    )
    bad = runner.invoke(app, ["ivr", "catalogue", "check", str(broken)])
    assert bad.exit_code != 0
    assert f"{broken}:" in str(bad.exception)
    assert "topics[0].queue" in str(bad.exception)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _first_call(port: int) -> PeerResult:
    for _ in range(100):
        try:
            return await simulate_call(
                "127.0.0.1",
                port,
                caller_number="+79990000000",
                caller_name="Тест",
                uniqueid="1.1",
                presses=["0"],
            )
        except ConnectionRefusedError:
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not start")


def test_serve_answers_calls_reloads_on_sighup_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    catalogue = tmp_path / "catalogue.yaml"
    shipped = default_catalogue_path().read_text(encoding="utf-8")
    catalogue.write_text(shipped, encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")},
        "HOTLINE_DEMO": "1",
        "HOTLINE_DATABASE__URL": f"sqlite:///{tmp_path / 'h.db'}",
        "HOTLINE_AGI__CATALOGUE_PATH": str(catalogue),
    }
    subprocess.run(
        [sys.executable, "-m", "hotline_app.cli", "db", "upgrade"], env=env, check=True, cwd=tmp_path
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "hotline_app.cli", "ivr", "serve", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        result = asyncio.run(_first_call(port))
        assert result.variables["HOTLINE_QUEUE"] == "other"
        # The operators moved to another queue: edit the catalogue, SIGHUP, the next call follows.
        operator = shipped.index("  - id: operator")
        edited = shipped[:operator] + shipped[operator:].replace("queue: other", "queue: duty", 1)
        catalogue.write_text(edited, encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        for _ in range(50):
            if asyncio.run(_first_call(port)).variables["HOTLINE_QUEUE"] == "duty":
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the catalogue was not reloaded")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        output = process.stdout.read().decode()
        process.stdout.close()
    assert "FastAGI listening" in output
    assert "catalogue reloaded" in output
