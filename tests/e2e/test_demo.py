"""End to end: `hotline demo` as a newcomer runs it, watched through headless Chromium, then Ctrl-C.

The demo runs as its own process in its own session (process group), exactly as the console script
starts it: a replayed real capture feeds the AMI listener, simulated callers walk the FastAGI IVR, and
the wallboard must show queues and calls. SIGINT must end it with exit code 0, quietly, leaving no
process of its group behind and its ports free.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotline_app.demo import BANNER_END, Banner, read_banner
from tests.api.test_browser import browser  # noqa: F401  (the shared headless Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOTLINE = Path(sys.executable).with_name("hotline")
READY_WITHIN_S = 60.0  # the promise: a live wallboard within a minute


@dataclass
class Demo:
    process: subprocess.Popen[str]
    stderr_path: Path
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if BANNER_END in line:
                self.ready.set()

    @property
    def stdout(self) -> str:
        return "\n".join(self.lines)

    def banner(self) -> Banner:
        banner = read_banner(self.stdout)
        assert banner is not None, self.stdout
        return banner


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    # A newcomer's environment: no hotline settings from the test run leak into the demo.
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOTLINE_")}
    stderr_path = tmp_path / "demo.stderr"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [str(HOTLINE), "demo", "--dir", str(tmp_path / "demo"), "--port", "0", "--agi-port", "0",
             "--speed", "4"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True,
            start_new_session=True,
        )  # fmt: skip
    running = Demo(process, stderr_path)
    reader = threading.Thread(target=running.read_stdout, daemon=True)
    reader.start()
    try:
        yield running
    finally:
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        reader.join(10)
        if process.stdout is not None:
            process.stdout.close()


def _wait_ready(demo: Demo) -> str:
    started = time.monotonic()
    while not demo.ready.wait(0.2):
        if demo.process.poll() is not None:
            pytest.fail(f"hotline demo exited {demo.process.returncode}:\n{demo.stderr_path.read_text()}")
        if time.monotonic() - started > READY_WITHIN_S:
            pytest.fail(f"hotline demo not ready in {READY_WITHIN_S:.0f} s:\n{demo.stderr_path.read_text()}")
    url = demo.banner().url
    health = httpx.get(f"{url}/health", timeout=5)
    assert health.status_code == 200, health.text
    return url


def test_demo_shows_live_queues_and_calls_and_stops_cleanly_on_ctrl_c(demo: Demo, browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    url = _wait_ready(demo)
    page = browser.new_context(locale="ru-RU").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", demo.banner().passwords["supervisor"])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/wallboard$"))

    # The capture's three queues, then callers waiting in them and operators talking, as they happen.
    for queue in ("passes", "utilities", "other"):
        expect(page.locator(f'article.card[data-queue="{queue}"]')).to_be_visible(timeout=30_000)
    expect(page.locator("#waiting tr").first).to_be_visible(timeout=60_000)
    expect(page.locator("#agents tr.ag-talking").first).to_be_visible(timeout=60_000)
    expect(page.locator("#banner")).to_be_hidden()  # the AMI link to the replayed PBX is up
    assert errors == []
    page.context.close()

    api_port = int(url.rsplit(":", 1)[1])
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(30) == 0
    time.sleep(0.2)  # let the reader thread take the last line
    assert "hotline demo stopped" in demo.stdout
    assert not _group_alive(demo.process.pid), "processes of the demo outlived it"
    stderr = demo.stderr_path.read_text()
    assert "Traceback" not in stderr, stderr
    assert " level=ERROR " not in stderr, stderr
    with socket.socket() as probe:  # nothing listens on the API port any more (TIME_WAIT is fine)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", api_port))
