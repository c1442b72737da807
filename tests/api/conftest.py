"""API test wiring: a migrated database, the app, one user per role with a token and a password."""

from __future__ import annotations

import asyncio
import shutil
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from time_machine import TimeMachineFixture

from api.app import create_app
from api.live_hub import LiveHub
from api.users import create_user, issue_token
from hotline import db
from hotline.db import transaction
from hotline.models import Role
from hotline.settings import DatabaseSettings, Settings
from tests.conftest import demo_settings

with warnings.catch_warnings():
    # Starlette 1.x nudges TestClient users towards httpx2; httpx is what this project ships with.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
# The API's "today" is the local day in Europe/Moscow, whose date changes at 21:00 UTC: a test that
# stores a call minutes ago and asks for today's calls would fail when CI runs just after that hour.
MIDDAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday, 12:00 in Moscow


@dataclass
class Users:
    tokens: dict[Role, str]

    def bearer(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def api_settings(
    db_url: str, tmp_path: Path, *, ami: dict[str, object] | None = None, **api: object
) -> Settings:
    return demo_settings(
        db_url,
        tmp_path,
        api={"port": 0, "cookie_secure": False, "login_attempts_per_minute": 5, **api},
        transcription={"redact_for_roles": ["supervisor"]},
        ami=ami or {},
    )


@dataclass
class Template:
    path: Path
    tokens: dict[Role, str]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A migrated SQLite database with one user per role, built once and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "hotline.db"
    engine = db.make_engine(DatabaseSettings(url=f"sqlite:///{path}"))
    db.upgrade(engine)
    tokens = {}
    with transaction(db.make_session_factory(engine)) as session:
        for role in Role:
            create_user(session, username=role.value, role=role, password=PASSWORD)
            tokens[role] = issue_token(session, username=role.value, name="tests")
    engine.dispose()
    return Template(path, tokens)


def template_copy(template: Template, tmp_path: Path) -> str:
    """A test's own copy of the template database (and its recordings folder); returns its URL."""
    (tmp_path / "recordings").mkdir()
    target = tmp_path / "hotline.db"
    shutil.copyfile(template.path, target)
    return f"sqlite:///{target}"


@pytest.fixture
def midday(time_machine: TimeMachineFixture) -> datetime:
    """The process clock at MIDDAY, ticking on from there; request it before the app starts
    (`@pytest.mark.usefixtures("midday")`) so that every reading of the clock agrees."""
    time_machine.move_to(MIDDAY)
    return MIDDAY


@pytest.fixture
def settings(template: Template, tmp_path: Path) -> Settings:
    return api_settings(template_copy(template, tmp_path), tmp_path)


@pytest.fixture
def factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(settings.database)
    yield db.make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def users(template: Template, factory: sessionmaker[Session]) -> Users:
    return Users(template.tokens)


@pytest.fixture
def app(settings: Settings, factory: sessionmaker[Session]) -> FastAPI:
    return create_app(settings, factory, hub=LiveHub(factory, settings, interval_s=0.05))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the JSON login; the client keeps the cookie. Returns the CSRF token."""
    response = client.post("/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    csrf: str = response.json()["csrf"]
    return csrf


class RunningServer:
    """The real uvicorn server (api.server.serve) in a thread, for push streams and the browser."""

    def __init__(self, settings: Settings, app: FastAPI) -> None:
        self.settings = settings
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from api.server import serve

        async def main() -> None:
            self._stop = asyncio.Event()
            ready = asyncio.Event()
            task = asyncio.create_task(serve(self.settings, ready=ready, stop=self._stop, app=self.app))
            await ready.wait()
            self.port = self.app.state.bound_port
            self.ready.set()
            await task

        self.loop.run_until_complete(main())
        self.loop.close()

    def __enter__(self) -> RunningServer:
        self._thread.start()
        assert self.ready.wait(20), "API server did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def server(settings: Settings, app: FastAPI) -> Iterator[RunningServer]:
    with RunningServer(settings, app) as running:
        yield running
