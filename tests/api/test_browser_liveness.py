"""The wallboard in a real Chromium never shows a frozen picture: once the listener's heartbeat is
older than the staleness limit, it says "not live since HH:MM:SS" (the last heartbeat, in the
browser's time zone) and shows no queue numbers, no waiting callers and no agents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.models import Pbx
from hotline.settings import Settings
from hotline.timeutil import utcnow
from tests.api.conftest import RunningServer
from tests.api.live_data import publish_view, view_with_waiting
from tests.api.test_browser import _sign_in, browser  # noqa: F401  (the Chromium fixture)
from tests.api.test_wallboard import board_app, board_factory, board_settings  # noqa: F401


def test_wallboard_says_not_live_since_and_shows_no_numbers_when_the_heartbeat_is_stale(
    board_settings: Settings,  # noqa: F811
    board_app: FastAPI,  # noqa: F811
    board_factory: sessionmaker[Session],  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    publish_view(board_factory, view_with_waiting(2))
    with RunningServer(board_settings, board_app) as server:
        page = _sign_in(browser, server.url, "supervisor")
        count = page.locator('.waiting-count[data-queue="other"]')
        expect(count).to_have_text("2", timeout=10_000)  # live: the numbers are there
        banner = page.locator("#banner")
        expect(banner).to_be_hidden()
        # The listener died: its last heartbeat is now older than the staleness limit.
        last_heartbeat = (utcnow() - timedelta(seconds=board_settings.ami.stale_after_s + 60)).replace(
            microsecond=0
        )
        with transaction(board_factory) as session:
            pbx = session.scalars(select(Pbx).where(Pbx.name == "lab")).one()
            pbx.heartbeat_at = last_heartbeat
        zone = ZoneInfo(page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))
        shown = last_heartbeat.astimezone(zone).strftime("%H:%M:%S")
        expect(banner).to_have_text(f"Данные не обновляются с {shown}: lab", timeout=20_000)
        expect(count).to_have_count(0)
        expect(page.locator(".card")).to_have_count(0)
        expect(page.locator("#waiting tr")).to_have_count(0)
        expect(page.locator("#agents tr")).to_have_count(0)
        assert page.errors == []
