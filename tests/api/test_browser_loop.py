"""A real headless Chromium on the loop's pages: callback list, department queue, operator's desk."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.users import find_user
from hotline import citizen, routing
from hotline.db import transaction
from hotline.models import CallbackRequest, CallbackStatus, CitizenRequest
from hotline.settings import Settings
from tests.api import desk_data
from tests.api.conftest import RunningServer, Users
from tests.api.test_browser import _sign_in, browser  # noqa: F401 - the Chromium fixture
from tests.api.test_callbacks import _ask

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_operator_claims_and_completes_a_callback_in_the_list(
    server: RunningServer,
    browser: Any,  # noqa: F811 - the imported fixture
    users: Users,
    settings: Settings,
    factory: sessionmaker[Session],
) -> None:
    from playwright.sync_api import expect

    first, *_ = _ask(factory, settings)
    page = _sign_in(browser, server.url, "operator")
    assert page.url.endswith("/desk")  # an operator's home is the desk
    page.goto(f"{server.url}/callbacks")
    row = page.locator(f'#callbacks tr[data-id="{first}"]')
    expect(row.locator(".number")).to_have_text("+79163330111")
    expect(row.locator(".status")).to_have_text("ждёт")
    row.locator("button.claim").click()
    expect(row.locator(".status")).to_have_text("взят оператором")
    row.locator("button.done").click()
    expect(row.locator(".status")).to_have_text("выполнен")
    with factory() as session:
        callback = session.get(CallbackRequest, first)
        assert callback is not None
        assert (callback.status, callback.claimed_by) == (CallbackStatus.DONE, "operator")
    assert page.errors == []


def test_a_department_user_takes_and_answers_a_request_in_the_queue(
    server: RunningServer,
    browser: Any,  # noqa: F811 - the imported fixture
    users: Users,
    settings: Settings,
    factory: sessionmaker[Session],
) -> None:
    from playwright.sync_api import expect

    with transaction(factory) as session:
        department = routing.add_department(session, name="water_utility", head="supervisor")
        user = find_user(session, "department")
        assert user is not None
        routing.add_member(session, user=user, department=department)
        mine = citizen.register_request(session, settings, summary="Нет воды, ул. Садовая 5", topic="water")
        citizen.register_request(session, settings, summary="Свет отключили", topic="electricity")
    page = _sign_in(browser, server.url, "department")
    assert page.url.endswith("/department")
    rows = page.locator("#department-requests tr")
    expect(rows).to_have_count(1)  # only its own department's request
    row = page.locator(f'#department-requests tr[data-number="{mine.number}"]')
    expect(row.locator(".status")).to_have_text("Зарегистрировано")
    row.locator("button.take").click()
    expect(row.locator(".status")).to_have_text("В работе")
    row.locator("textarea[name=text]").fill("Подача воды восстановлена в 14:00.")
    row.locator("button.answer").click()
    expect(row.locator(".status")).to_have_text("Дан ответ")
    expect(page.locator("#digest .open")).to_have_text("0")
    with factory() as session:
        saved = session.scalar(select(CitizenRequest).where(CitizenRequest.number == mine.number))
        assert saved is not None
        assert (saved.answer_text, saved.assignee) == ("Подача воды восстановлена в 14:00.", "department")
    assert page.errors == []


def test_the_desk_shows_the_call_and_registers_a_request_in_one_click(
    server: RunningServer,
    browser: Any,  # noqa: F811 - the imported fixture
    users: Users,
    settings: Settings,
    factory: sessionmaker[Session],
) -> None:
    from playwright.sync_api import expect

    desk_data.set_up(factory, settings)
    page = _sign_in(browser, server.url, "op103")
    assert page.url.endswith("/desk")
    expect(page.locator("#desk-call .caller-number")).to_have_text(desk_data.CALLER)
    expect(page.locator("#desk-call .topic")).to_have_text("Водоснабжение")
    expect(page.locator("#desk-call .language")).to_have_text("en")
    page.fill("#desk-request textarea[name=summary]", "Нет холодной воды с утра")
    page.click("#desk-register")
    spoken = page.locator("#desk-number .spoken")
    expect(spoken).to_have_text(re.compile(r"^\d{3} \d{3} \d{3}$"))
    number = (spoken.text_content() or "").replace(" ", "")
    with factory() as session:
        saved = session.scalar(select(CitizenRequest).where(CitizenRequest.number == number))
        assert saved is not None
        assert (saved.caller_number, saved.topic, saved.created_by) == (desk_data.CALLER, "water", "op103")
        assert saved.department is not None
        assert saved.department.name == "water_utility"
    expect(page.locator("#desk-requests li")).to_have_count(1)
    assert page.errors == []
