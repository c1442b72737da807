"""Real headless Chromium on the supervisor and analyst tools: alert colours, the TV screen surviving an
API restart, the staffing page, and a topic bar drilled down to a recording played from its second."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.live_hub import LiveHub
from hotline.settings import Settings
from hotline.timeutil import utcnow
from tests.api.conftest import RunningServer
from tests.api.live_data import publish_view, view_with_waiting
from tests.api.test_browser import _sign_in, browser  # noqa: F401  (the Chromium fixture)
from tests.api.test_wallboard import TV_TOKEN, board_app, board_factory, board_settings  # noqa: F401
from tests.api.transcripts import store_call
from tests.staffing.test_staffing import _fill_history

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RED = "rgb(249, 214, 213)"
AMBER = "rgb(253, 235, 208)"


def _background(page: Any, selector: str) -> str:
    return str(page.eval_on_selector(selector, "node => getComputedStyle(node).backgroundColor"))


def test_cards_turn_amber_then_red_and_the_alert_strip_says_why(
    board_settings: Settings,  # noqa: F811
    board_app: FastAPI,  # noqa: F811
    board_factory: sessionmaker[Session],  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    publish_view(board_factory, view_with_waiting(1).model_copy(update={"queues": []}))
    with RunningServer(board_settings, board_app) as server:
        page = _sign_in(browser, server.url, "supervisor")
        card = '.card[data-queue="other"]'
        publish_view(board_factory, view_with_waiting(1))  # 40 s waiting: amber (30 s), 1 waiting: fine
        expect(page.locator(card)).to_have_attribute("data-level", "amber", timeout=10_000)
        assert _background(page, card) == AMBER
        expect(page.locator("#alerts li.alert.amber")).to_contain_text("other")
        publish_view(board_factory, view_with_waiting(2))  # + 2 waiting: amber on the count too
        expect(page.locator("#alerts li.alert")).to_have_count(2, timeout=10_000)
        # The first caller's wait passes the red threshold (60 s) on its own, with no new event.
        expect(page.locator(card)).to_have_attribute("data-level", "red", timeout=30_000)
        assert _background(page, card) == RED
        expect(page.locator("#alerts li.alert.red")).to_contain_text("other")
        assert page.errors == []


def test_tv_screen_reconnects_after_an_api_restart(
    board_settings: Settings,  # noqa: F811
    board_app: FastAPI,  # noqa: F811
    board_factory: sessionmaker[Session],  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    publish_view(board_factory, view_with_waiting(1))
    page = browser.new_context(locale="uk-UA").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    count = page.locator('.waiting-count[data-queue="other"]')
    with RunningServer(board_settings, board_app) as first:
        port = first.port
        page.goto(f"{first.url}/tv?token={TV_TOKEN}&lang=uk")
        assert page.url.endswith("/tv")  # the token left the address bar for a cookie
        expect(count).to_have_text("1", timeout=10_000)
        expect(page.locator("h2", has_text="Оператори")).to_be_visible()
        assert page.locator("#logout").count() == 0
    expect(page.locator("#board")).not_to_have_attribute("data-connected", "1", timeout=10_000)
    again = board_settings.model_copy(update={"api": board_settings.api.model_copy(update={"port": port})})
    app = create_app(again, board_factory, hub=LiveHub(board_factory, again, interval_s=0.05))
    with RunningServer(again, app):
        publish_view(board_factory, view_with_waiting(2))
        expect(count).to_have_text("2", timeout=20_000)
        expect(page.locator("#board")).to_have_attribute("data-connected", "1")
    # Callers on a wall screen are always masked.
    expect(page.locator("#waiting")).to_contain_text("Е. К.")
    assert errors == []


def test_staffing_page_lists_understaffed_half_hours(
    server: RunningServer,
    browser: Any,  # noqa: F811
    factory: sessionmaker[Session],
) -> None:
    from playwright.sync_api import expect

    _fill_history(factory)
    page = _sign_in(browser, server.url, "supervisor")
    page.goto(f"{server.url}/staffing")
    page.fill("input[name=since]", "2026-11-23")
    page.fill("input[name=until]", "2026-11-23")
    page.click("#staffing-form button[type=submit]")
    rows = page.locator("#staffing-table tbody tr")
    expect(rows).to_have_count(1, timeout=10_000)  # 10:00-10:30 only: 14 needed, 11.5 logged in
    cells = rows.first.locator("td")
    expect(cells.nth(0)).to_contain_text("10:00")  # 24-hour time in the Russian interface
    expect(cells.nth(3)).to_have_text("14")
    expect(cells.nth(4)).to_have_text("11,5")
    expect(page.locator("#staffing-model")).to_contain_text("Erlang C")
    assert page.evaluate("Chart.getChart('staffing-chart').data.datasets[1].data.length") > 40
    assert page.errors == []


def test_a_topic_bar_opens_its_calls_and_plays_the_recording_from_the_topic(
    server: RunningServer,
    browser: Any,  # noqa: F811
    settings: Settings,
    factory: sessionmaker[Session],
) -> None:
    from playwright.sync_api import expect

    stored = store_call(factory, settings, utcnow() - timedelta(minutes=10))
    page = _sign_in(browser, server.url, "analyst")
    page.goto(f"{server.url}/analytics")
    page.wait_for_selector("#share-chart[data-ready='1']")
    point = page.evaluate(
        "() => { const c = Chart.getChart('share-chart'); const bar = c.getDatasetMeta(0).data[0];"
        " const box = c.canvas.getBoundingClientRect();"
        " return [box.left + bar.x, box.top + (bar.y + bar.base) / 2]; }"
    )
    page.mouse.click(point[0], point[1])
    row = page.locator(f'#drill-calls tr[data-call="{stored.call_id}"]')
    expect(row).to_be_visible(timeout=10_000)
    offset = float(row.get_attribute("data-offset") or "nan")
    assert 0.5 <= offset < 20  # the first mention of the topic, not the start of the call
    row.locator("button.play").click()
    page.wait_for_function(
        "start => { const p = document.getElementById('drill-player');"
        " return p.readyState >= 1 && Math.abs(p.currentTime - start) < 0.5; }",
        arg=offset,
        timeout=10_000,
    )
    assert page.evaluate("document.getElementById('drill-player').dataset.recording") == str(
        stored.recording_id
    )
    assert page.errors == []
