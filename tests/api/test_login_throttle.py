"""Login throttling cannot be turned against a user; X-Forwarded-For is believed only from set proxies."""

from __future__ import annotations

import threading

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.live_hub import LiveHub
from api.ratelimit import LoginThrottle
from api.server import uvicorn_config
from hotline.models import AuditLog
from hotline.settings import Settings
from tests.api.conftest import PASSWORD, RunningServer, TestClient, Users


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def test_an_attacker_cannot_lock_a_user_out_from_another_address(app: FastAPI, users: Users) -> None:
    attacker, admin = _from(app, "203.0.113.9"), _from(app, "198.51.100.7")
    answers = [
        attacker.post("/api/login", json={"username": "admin", "password": "guess-guess"}).status_code
        for _ in range(8)
    ]
    assert answers[:5] == [401] * 5
    assert 429 in answers[5:]
    assert admin.post("/api/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
    page = admin.post("/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
    assert page.status_code == 303


def test_successful_logins_never_count(app: FastAPI, users: Users) -> None:
    client = _from(app, "198.51.100.7")
    for _ in range(12):
        assert (
            client.post("/api/login", json={"username": "analyst", "password": PASSWORD}).status_code == 200
        )


def test_the_wait_doubles_with_each_failure_and_a_success_clears_it() -> None:
    now = [0.0]
    throttle = LoginThrottle(
        free_failures=3, backoff_max_s=60, address_failures_per_minute=1000, clock=lambda: now[0]
    )
    waits = []
    for _ in range(8):
        waits.append(throttle.retry_after("a", "olga"))
        throttle.failed("a", "olga")
    assert waits[:4] == [0, 0, 0, 1]
    assert throttle.retry_after("a", "olga") == 32  # 2**(8-3), under the 60 s cap
    assert throttle.retry_after("b", "olga") == 0  # another address is not slowed
    throttle.failed("a", "olga")
    assert throttle.retry_after("a", "OLGA") == 60  # capped
    now[0] += 61
    assert throttle.retry_after("a", "olga") == 0  # an old run of failures is forgiven
    throttle.failed("a", "ivan")
    throttle.succeeded("a", "ivan")
    assert throttle.retry_after("a", "ivan") == 0


def test_one_address_spraying_many_names_is_slowed() -> None:
    throttle = LoginThrottle(free_failures=5, backoff_max_s=900, address_failures_per_minute=10)
    for index in range(10):
        throttle.failed("203.0.113.9", f"user{index}")
    assert throttle.retry_after("203.0.113.9", "someone-else") > 0
    assert throttle.retry_after("198.51.100.7", "someone-else") == 0


def test_parallel_attempts_in_one_process_get_no_more_tries_than_one_at_a_time() -> None:
    throttle = LoginThrottle(
        free_failures=3, backoff_max_s=60, address_failures_per_minute=1000, clock=lambda: 0.0
    )
    tries = 12
    start = threading.Barrier(tries)
    let_through: list[bool] = []

    def try_once() -> None:
        start.wait()
        let_through.append(throttle.attempt("203.0.113.9", "olga").retry_after_s == 0)

    workers = [threading.Thread(target=try_once) for _ in range(tries)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert let_through.count(True) == 3
    assert throttle.retry_after("203.0.113.9", "olga") == 1  # the three are counted: the next one waits


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    settings: Settings, factory: sessionmaker[Session], users: Users
) -> None:
    assert uvicorn_config(create_app(settings, factory), settings).proxy_headers is False

    def login_address(current: Settings) -> str | None:
        app = create_app(current, factory, hub=LiveHub(factory, current, interval_s=0.05))
        with RunningServer(current, app) as server:
            httpx.post(
                server.url + "/api/login",
                json={"username": "nobody", "password": "x" * 8},
                headers={"X-Forwarded-For": "192.0.2.55"},
            )
        with factory() as session:
            return session.scalars(
                select(AuditLog.client_addr)
                .where(AuditLog.action == "login_failed")
                .order_by(AuditLog.id.desc())
            ).first()

    assert login_address(settings) == "127.0.0.1"
    behind_proxy = settings.model_copy(
        update={"api": settings.api.model_copy(update={"trusted_proxies": ["127.0.0.1"]})}
    )
    assert login_address(behind_proxy) == "192.0.2.55"
