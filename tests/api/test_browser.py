"""A real headless Chromium: sign in, watch the wallboard follow a replayed capture, search and play."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.replay import ReplayServer
from ami_listener.runner import replay_settings, run_until_stream_ends
from ami_listener.service import AmiService
from hotline.settings import Settings
from hotline.timeutil import utcnow
from tests.api.conftest import PASSWORD, RunningServer, Users
from tests.api.transcripts import store_call
from tests.conftest import CAPTURES, service_missing

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        service_missing("Chromium", f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


def _sign_in(browser: Any, url: str, username: str) -> Any:
    page = browser.new_context(locale="ru-RU").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.errors = errors
    return page


def _replay_in_background(settings: Settings, factory: sessionmaker[Session]) -> threading.Thread:
    async def run() -> None:
        replay = ReplayServer(CAPTURES / "abandon" / "abandon.ami", speed=8.0)
        port = await replay.start()
        try:
            await run_until_stream_ends(AmiService(replay_settings(settings, "lab", port), factory), replay)
        finally:
            await replay.close()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    return thread


def test_wallboard_follows_a_replayed_capture(
    server: RunningServer, browser: Any, users: Users, settings: Settings, factory: sessionmaker[Session]
) -> None:
    from playwright.sync_api import expect

    page = _sign_in(browser, server.url, "supervisor")
    assert page.url.endswith("/wallboard")
    expect(page.locator("h2", has_text="Операторы")).to_be_visible()
    replay = _replay_in_background(settings, factory)
    count = page.locator('.waiting-count[data-queue="other"]')
    # The first caller of the capture joins queue `other` (Elena Kozlova), then abandons.
    expect(count).to_have_text("1", timeout=15_000)
    expect(page.locator("#waiting")).to_contain_text("Е. К.")  # supervisors see initials (hotline.privacy)
    expect(count).to_have_text("0", timeout=15_000)
    replay.join(30)
    assert page.errors == []


def test_search_hit_plays_the_recording_from_the_hit_second(
    server: RunningServer, browser: Any, users: Users, settings: Settings, factory: sessionmaker[Session]
) -> None:
    from playwright.sync_api import expect

    store_call(factory, settings, utcnow() - timedelta(minutes=10))
    page = _sign_in(browser, server.url, "analyst")
    assert page.url.endswith("/search")
    page.fill("#query", "мусором")
    page.click("#search-form button[type=submit]")
    hits = page.locator("#hits li")
    expect(hits).to_have_count(2)
    hit = hits.filter(has_text="контейнеры")
    expect(hit.locator("mark")).to_have_text("мусором")
    start = float(hit.get_attribute("data-start") or "nan")
    assert 12.5 <= start < 18.0
    hit.click()
    page.wait_for_function(
        "start => { const p = document.getElementById('player');"
        " return p.readyState >= 1 && Math.abs(p.currentTime - start) < 0.5; }",
        arg=start,
        timeout=10_000,
    )
    expect(page.locator("#transcript .turn")).to_have_count(3)
    expect(page.locator("#transcript mark").first).to_be_visible()
    expect(page.locator("#transcript .source")).to_contain_text("test")  # which model wrote the text
    assert page.errors == []
