"""Shared test fixtures: real capture data, and migrated databases on SQLite and PostgreSQL.

PostgreSQL tests use HOTLINE_TEST_POSTGRES_URL (default: the local server, database `test`). When no
server answers they are skipped with the reason printed, unless HOTLINE_TEST_REQUIRE_SERVICES names the
service (CI sets "postgres,redis" when they answer), where a missing server is a failure: a skipped test
must never look like a passed one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from hotline import db
from hotline.settings import DatabaseSettings, Settings, load_settings

DATA = Path(__file__).parent / "data"
CAPTURES = DATA / "asterisk"
SHARED_AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"

POSTGRES_URL = os.environ.get(
    "HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRED_SERVICES = {
    name.strip().lower()
    for name in os.environ.get("HOTLINE_TEST_REQUIRE_SERVICES", "").split(",")
    if name.strip()
}


def service_missing(what: str, reason: str) -> None:
    """Skip with a printed reason, or fail where the service is required (CI)."""
    message = f"{what} not available: {reason}"
    if what.lower() in REQUIRED_SERVICES:
        pytest.fail(f"{message} (HOTLINE_TEST_REQUIRE_SERVICES={','.join(sorted(REQUIRED_SERVICES))})")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A private database on the PostgreSQL server for this test session, dropped afterwards."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"hotline_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        service_missing("PostgreSQL", f"{POSTGRES_URL}: {str(exc.orig).strip().splitlines()[0]}")
    base, _, _ = POSTGRES_URL.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hotline.db'}"
    url: str = request.getfixturevalue("postgres_server_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hotline.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine (head) on each database engine."""
    eng = db.make_engine(DatabaseSettings(url=db_url))
    db.upgrade(eng)
    yield eng
    _dispose_idle(eng)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite engine, for tests where the database engine does not matter."""
    eng = db.make_engine(DatabaseSettings(url=sqlite_url))
    db.upgrade(eng)
    yield eng
    _dispose_idle(eng)


def _dispose_idle(eng: Engine) -> None:
    """Dispose of a test's engine, which must have every connection back: one still out (a session never
    closed, a thread still reading after its server stopped) would be left open for the garbage collector."""
    checked_out = eng.pool.checkedout() if isinstance(eng.pool, QueuePool) else 0
    eng.dispose()
    assert checked_out == 0, f"{checked_out} connection(s) still checked out when the test ended"


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return db.make_session_factory(engine)


@pytest.fixture
def settings_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> type[Settings]:
    """Settings isolated from the developer's environment: no HOTLINE_* variables leak in."""
    for key in list(os.environ):
        if key.startswith("HOTLINE_") and not key.startswith("HOTLINE_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return Settings


def demo_settings(db_url: str, tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test process: demo mode (default secrets allowed), everything under tmp_path."""
    base: dict[str, object] = {
        "demo": True,
        "database": {"url": db_url},
        "recordings": {"dir": str(tmp_path / "recordings")},
        "agi": {"port": 0, "sounds_dir": str(tmp_path / "sounds")},
        "api": {"port": 0},
    }
    base.update(overrides)
    return load_settings(None, **base)
