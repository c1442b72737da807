"""Login throttle counts are shared by every API process: in the database, or in Redis when set.

Each "process" here is its own `create_app` with its own engine and LoginThrottle over one database
(SQLite and PostgreSQL), with and without Redis. Time moves through the throttle's clock seam.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redis import Redis, RedisError
from sqlalchemy import Engine

from api.app import create_app
from api.live_hub import LiveHub
from api.ratelimit import FailureStore, LoginThrottle
from api.throttle_db import DatabaseFailures
from api.throttle_redis import PREFIX, RedisFailures
from api.throttle_store import RETRY_S, RedisOrDatabase
from api.users import create_user, issue_token
from api.wiring import Wiring
from hotline import db
from hotline.db import transaction
from hotline.models import Role
from hotline.settings import Settings
from tests.api.conftest import PASSWORD, TestClient, api_settings
from tests.conftest import REDIS_URL, service_missing

ATTACKER = "203.0.113.9"
ADMIN_DESK = "198.51.100.7"
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: a Redis that is down


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def counted_in(request: pytest.FixtureRequest) -> str | None:
    """The Redis URL the apps count in, or None for the database."""
    if request.param == "database":
        return None
    _clean_redis()
    return REDIS_URL


def _clean_redis() -> None:
    client = Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(PREFIX + "*"))
        if keys:
            client.delete(*keys)
    except RedisError as exc:
        service_missing("Redis", f"{REDIS_URL}: {exc}")
    finally:
        client.close()


@dataclass
class Deployment:
    settings: Settings
    engines: list[Engine]
    token: str

    def process(self) -> FastAPI:
        """One more API process: its own engine, app and throttle."""
        engine = db.make_engine(self.settings.database)
        self.engines.append(engine)
        factory = db.make_session_factory(engine)
        return create_app(self.settings, factory, hub=LiveHub(factory, self.settings, interval_s=0.05))


@pytest.fixture
def deployment(engine: Engine, counted_in: str | None, tmp_path: Path) -> Iterator[Deployment]:
    (tmp_path / "recordings").mkdir()
    url = engine.url.render_as_string(hide_password=False)
    settings = api_settings(url, tmp_path, login_failures_per_address_per_minute=8, redis_url=counted_in)
    with transaction(db.make_session_factory(engine)) as session:
        create_user(session, username="admin", role=Role.ADMIN, password=PASSWORD)
        token = issue_token(session, username="admin")
    deployed = Deployment(settings, [], token)
    yield deployed
    for each in deployed.engines:
        each.dispose()


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def _guess(client: TestClient, username: str = "admin") -> int:
    return client.post("/api/login", json={"username": username, "password": "guess-guess"}).status_code


def _sign_in(app: FastAPI, address: str) -> httpx.Response:
    return _from(app, address).post("/api/login", json={"username": "admin", "password": PASSWORD})


def _clocked(app: FastAPI, now: list[float]) -> None:
    """Give the app's throttle a clock the test moves; its counts stay where they were."""
    wiring: Wiring = app.state.wiring
    wiring.throttle = LoginThrottle(
        free_failures=wiring.throttle.free_failures,
        backoff_max_s=wiring.throttle.backoff_max_s,
        address_failures_per_minute=wiring.throttle.address_failures_per_minute,
        clock=lambda: now[0],
        store=wiring.throttle.store,
    )


def _processes(deployment: Deployment, now: list[float]) -> list[FastAPI]:
    processes = [deployment.process(), deployment.process()]
    for app in processes:
        _clocked(app, now)
    return processes


def _start() -> list[float]:
    # Whole seconds and halves: every time the test makes is exact in a float and in the database.
    return [float(int(time.time()))]


def test_failures_at_one_process_are_counted_by_another(deployment: Deployment) -> None:
    first, second = _processes(deployment, _start())
    assert first.state.wiring.throttle is not second.state.wiring.throttle
    free = deployment.settings.api.login_attempts_per_minute
    answers = [_guess(_from(app, ATTACKER)) for app in [first, second] * free]
    assert answers[:free] == [401] * free
    assert answers[free:] == [429] * free  # alone, each process would have allowed all of these
    limited = _sign_in(first, ATTACKER)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert _sign_in(second, ADMIN_DESK).status_code == 200  # the real admin, elsewhere, is not slowed


def test_spraying_names_across_processes_is_capped_per_address(deployment: Deployment) -> None:
    processes = _processes(deployment, _start())
    cap = deployment.settings.api.login_failures_per_address_per_minute
    for index in range(cap):
        assert _guess(_from(processes[index % 2], ATTACKER), f"user{index}") == 401
    assert _guess(_from(processes[0], ATTACKER), "someone-else") == 429
    assert _guess(_from(processes[1], ADMIN_DESK), "someone-else") == 401


def test_a_lockout_ends_when_its_wait_has_passed(deployment: Deployment) -> None:
    now = _start()
    first, second = _processes(deployment, now)
    free = deployment.settings.api.login_attempts_per_minute
    for _ in range(free + 3):
        _guess(_from(first, ATTACKER))
        now[0] += 0.5
    locked = _sign_in(second, ATTACKER)
    assert locked.status_code == 429
    now[0] += int(locked.headers["Retry-After"])
    assert _sign_in(second, ATTACKER).status_code == 200
    assert _guess(_from(first, ATTACKER)) == 401  # the success cleared the run at both processes

    cap = deployment.settings.api.login_failures_per_address_per_minute
    for index in range(cap):
        _guess(_from(first, ATTACKER), f"user{index}")
    sprayed = _sign_in(second, ATTACKER)
    assert sprayed.status_code == 429
    now[0] += int(sprayed.headers["Retry-After"])
    assert _sign_in(second, ATTACKER).status_code == 200


def _stores(deployment: Deployment, count: int) -> list[FailureStore]:
    """Stores as separate processes would have them: each with its own engine or Redis client."""
    url = deployment.settings.api.redis_url
    stores: list[FailureStore] = []
    for _ in range(count):
        engine = db.make_engine(deployment.settings.database)
        deployment.engines.append(engine)
        stores.append(RedisFailures(url) if url else DatabaseFailures(db.make_session_factory(engine)))
    return stores


def test_failures_racing_from_two_processes_are_all_counted(deployment: Deployment) -> None:
    each = 15
    stores = _stores(deployment, 2)
    start = threading.Barrier(len(stores))
    now = time.time()

    def fail_many(store: FailureStore) -> None:
        start.wait()
        for _ in range(each):
            store.add(ATTACKER, "admin", now, forgive_after_s=900)

    workers = [threading.Thread(target=fail_many, args=(store,)) for store in stores]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    counts = stores[0].read(ATTACKER, "admin", now)
    assert counts.run == counts.window == each * len(stores)


def _redis_down(app: FastAPI, clock: Callable[[], float]) -> RedisOrDatabase:
    """The app's throttle counting through Redis at an address where nothing listens (and the database)."""
    wiring: Wiring = app.state.wiring
    store = RedisOrDatabase(
        RedisFailures(NOWHERE),
        DatabaseFailures(wiring.session_factory),
        remember_s=wiring.throttle.backoff_max_s,
        clock=clock,
    )
    wiring.throttle.store = store
    return store


@pytest.mark.parametrize("counted_in", ["database"], indirect=True)
def test_a_redis_outage_counts_in_the_database_logs_once_and_shows_on_metrics(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    app = deployment.process()
    monotonic = [0.0]
    down = _redis_down(app, lambda: monotonic[0])
    free = deployment.settings.api.login_attempts_per_minute
    with caplog.at_level(logging.WARNING):
        answers = []
        for _ in range(free + 2):
            answers.append(_guess(_from(app, ATTACKER)))
            monotonic[0] += RETRY_S  # Redis is asked again each time, and is still down
    assert answers[:free] == [401] * free
    assert 429 in answers[free:]  # never fails open
    outage_lines = [r.levelname for r in caplog.records if r.name == "api.throttle_store"]
    assert outage_lines == ["ERROR"]  # one outage, one line

    metrics = _from(app, ADMIN_DESK).get("/metrics", headers={"Authorization": f"Bearer {deployment.token}"})
    assert "hotline_login_throttle_redis_outages_total 1.0" in metrics.text
    assert f"hotline_login_throttle_database_fallbacks_total {float(down.fallbacks)}" in metrics.text
    assert down.fallbacks >= free + 2


@pytest.mark.redis
@pytest.mark.parametrize("counted_in", ["redis"], indirect=True)
def test_failures_counted_during_an_outage_still_count_when_redis_is_back(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    app = deployment.process()
    _clocked(app, _start())
    monotonic = [0.0]
    store = _redis_down(app, lambda: monotonic[0])
    free = deployment.settings.api.login_attempts_per_minute
    assert [_guess(_from(app, ATTACKER)) for _ in range(free + 1)] == [401] * free + [429]
    store.redis = RedisFailures(REDIS_URL)  # the server answers again, and holds none of those failures
    monotonic[0] += RETRY_S
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert _guess(_from(app, ATTACKER)) == 429
    assert [r.getMessage() for r in caplog.records if r.name == "api.throttle_store"] == [
        "login throttle: Redis answers again; counting failed logins there"
    ]


def _burst(processes: list[FastAPI], usernames: list[str]) -> list[int]:
    """One wrong password per name, all at once: a thread each, released together, over the processes."""
    clients = [_from(processes[index % len(processes)], ATTACKER) for index in range(len(usernames))]
    start = threading.Barrier(len(usernames))
    answers: list[int] = [0] * len(usernames)

    def guess(index: int) -> None:
        start.wait()
        answers[index] = _guess(clients[index], usernames[index])

    workers = [threading.Thread(target=guess, args=(index,)) for index in range(len(usernames))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answers


@pytest.mark.parametrize("names", ["one name", "many names"])
def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_one_at_a_time(
    deployment: Deployment, names: str
) -> None:
    processes = _processes(deployment, _start())  # the clock stands still: no wait ends during the burst
    if names == "one name":
        allowed = deployment.settings.api.login_attempts_per_minute
        usernames = ["admin"] * (allowed * 2)
    else:
        allowed = deployment.settings.api.login_failures_per_address_per_minute
        usernames = [f"user{index}" for index in range(allowed + 4)]
    answers = _burst(processes, usernames)
    # 401: the password was checked (and was wrong); 429: refused before any check.
    assert answers.count(401) == allowed
    assert answers.count(429) == len(usernames) - allowed


def test_successes_never_fill_the_address_cap(deployment: Deployment) -> None:
    first, second = _processes(deployment, _start())
    cap = deployment.settings.api.login_failures_per_address_per_minute
    for index in range(cap + 1):
        assert _sign_in([first, second][index % 2], ATTACKER).status_code == 200
    assert _guess(_from(first, ATTACKER), "someone-else") == 401


@pytest.mark.parametrize("counted_in", ["database"], indirect=True)
def test_successes_during_a_redis_outage_never_fill_the_address_cap(deployment: Deployment) -> None:
    app = deployment.process()
    _clocked(app, _start())
    _redis_down(app, time.monotonic)
    cap = deployment.settings.api.login_failures_per_address_per_minute
    for _ in range(cap + 1):
        assert _sign_in(app, ATTACKER).status_code == 200
    assert _guess(_from(app, ATTACKER), "someone-else") == 401
