"""Where the API keeps login throttle counts: Redis when `api.redis_url` is set, else the database.

Counts must be shared, or every worker and host gives an attacker the full number of attempts. When
Redis does not answer, the database counts instead: the throttle never fails open. The outage is
logged once when it starts and once when it ends, and counted on /metrics. While Redis is down it is
asked again every `RETRY_S` only, so a dead server costs one short timeout now and then, not one per
login. For a while after it is back, both places are read, so failures counted in the database
during the outage still slow the attacker: the database's counts go into Redis's atomic decision.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from redis import RedisError
from sqlalchemy.orm import Session, sessionmaker

from api.ratelimit import Attempt, Failures, FailureStore, Policy
from api.throttle_db import DatabaseFailures
from api.throttle_redis import RedisFailures
from hotline.settings import Settings

log = logging.getLogger(__name__)

RETRY_S = 5.0
T = TypeVar("T")
# An attempt's window entry says where it was counted, so a success takes it back from there.
_IN_REDIS, _IN_DATABASE = "redis:", "database:"


def failure_store(settings: Settings, session_factory: sessionmaker[Session]) -> FailureStore:
    database = DatabaseFailures(session_factory)
    if not settings.api.redis_url:
        return database
    return RedisOrDatabase(
        RedisFailures(settings.api.redis_url), database, remember_s=settings.api.login_backoff_max_s
    )


def _merged(a: Failures, b: Failures) -> Failures:
    lasts = [t for t in (a.last_at, b.last_at) if t is not None]
    oldest = [t for t in (a.window_oldest, b.window_oldest) if t is not None]
    return Failures(
        run=a.run + b.run,
        last_at=max(lasts, default=None),
        window=a.window + b.window,
        window_oldest=min(oldest, default=None),
    )


def _marked(attempt: Attempt, where: str) -> Attempt:
    return attempt if attempt.entry is None else Attempt(attempt.retry_after_s, where + attempt.entry)


class RedisOrDatabase:
    def __init__(
        self,
        redis: RedisFailures,
        database: DatabaseFailures,
        *,
        remember_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.database = database
        self._remember_s = remember_s  # how long failures counted during an outage still matter
        self._clock = clock
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0
        self._read_both_until = 0.0
        self.outages = 0  # times Redis stopped answering (a counter on /metrics)
        self.fallbacks = 0  # throttle operations the database served instead (a counter on /metrics)

    def read(self, address: str, username: str, now: float) -> Failures:
        counts = self._redis_or_database(
            lambda: self.redis.read(address, username, now),
            lambda: self.database.read(address, username, now),
        )
        if self._reading_both():
            counts = _merged(counts, self.database.read(address, username, now))
        return counts

    def add(self, address: str, username: str, now: float, forgive_after_s: float) -> None:
        self._redis_or_database(
            lambda: self.redis.add(address, username, now, forgive_after_s),
            lambda: self.database.add(address, username, now, forgive_after_s),
        )

    def reserve(self, address: str, username: str, now: float, policy: Policy) -> Attempt:
        def in_redis() -> Attempt:
            # Read before Redis is asked, so also when this is the call that finds it back.
            carried = self.database.read(address, username, now) if self._database_counts() else None
            return _marked(self.redis.reserve(address, username, now, policy, carried), _IN_REDIS)

        return self._redis_or_database(
            in_redis, lambda: _marked(self.database.reserve(address, username, now, policy), _IN_DATABASE)
        )

    def clear(self, address: str, username: str, entry: str | None = None) -> None:
        in_redis = entry.removeprefix(_IN_REDIS) if entry and entry.startswith(_IN_REDIS) else None
        in_database = entry.removeprefix(_IN_DATABASE) if entry and entry.startswith(_IN_DATABASE) else None

        def in_redis_store() -> bool:
            self.redis.clear(address, username, in_redis)
            return True

        def in_database_store() -> bool:
            self.database.clear(address, username, in_database)
            return False

        # Redis cleared it: the database too when it may hold counts from an outage (or this attempt's).
        if self._redis_or_database(in_redis_store, in_database_store) and (
            self._reading_both() or in_database is not None
        ):
            self.database.clear(address, username, in_database)

    def close(self) -> None:
        self.redis.close()

    def _database_counts(self) -> bool:
        """Whether failures counted in the database may still matter: Redis is down, or was lately."""
        with self._lock:
            return self._down or self._clock() < self._read_both_until

    def _reading_both(self) -> bool:
        with self._lock:
            return not self._down and self._clock() < self._read_both_until

    def _redis_or_database(self, from_redis: Callable[[], T], from_database: Callable[[], T]) -> T:
        with self._lock:
            ask_redis = not self._down or self._clock() >= self._retry_at
        if ask_redis:
            try:
                result = from_redis()
            except RedisError as exc:
                self._went_down(exc)
            else:
                self._answered()
                return result
        with self._lock:
            self.fallbacks += 1
        return from_database()

    def _went_down(self, exc: RedisError) -> None:
        with self._lock:
            self._retry_at = self._clock() + RETRY_S
            if self._down:
                return
            self._down = True
            self.outages += 1
        log.error(
            "login throttle: Redis does not answer; counting failed logins in the database until it does",
            extra={"error": str(exc)},
        )

    def _answered(self) -> None:
        with self._lock:
            if not self._down:
                return
            self._down = False
            self._read_both_until = self._clock() + self._remember_s
        log.warning("login throttle: Redis answers again; counting failed logins there")
