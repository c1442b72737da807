"""Login throttling: failed attempts per (client address, user name) pair, with doubling waits.

Only failures count, and a success clears its pair, so a user signing in often is never slowed. An
attacker guessing `admin`'s password from one address makes only that address wait: the real admin
signing in from another address is not affected. A second, looser cap per address over all user
names slows password spraying.

An attempt is counted as a failure before its password is checked, in the same atomic step that
decides it may go ahead (`LoginThrottle.attempt`), and a right password takes the count back. Checking
first and counting after would let a burst of parallel guesses all pass the check before any was
counted.

The policy is here; the counts live in a `FailureStore`. The API shares them between every process
(the database, or Redis when `api.redis_url` is set: api/throttle_store.py), otherwise several
workers would each give an attacker the full number of attempts. `MemoryFailures` serves one process.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Protocol

MAX_ENTRIES = 100_000  # a flood of distinct names or addresses must not grow memory without end
WINDOW_S = 60.0  # the per-address cap counts failures within the last minute


@dataclass(frozen=True)
class Failures:
    """What a store knows about one (address, user name) and its address, at one moment."""

    run: int = 0  # failures in the pair's current run (a success or a long pause ends a run)
    last_at: float | None = None  # the clock's time of the run's last failure
    window: int = 0  # the address's failures, over all names, within the last WINDOW_S
    window_oldest: float | None = None  # the oldest of those


@dataclass(frozen=True)
class Policy:
    free_failures: int  # a pair's failures before the first wait
    backoff_max_s: float  # the longest wait; a run quiet for longer is forgiven
    address_failures_per_minute: int

    def backoff(self, failures: int) -> float:
        extra = failures - self.free_failures
        # The exponent is bounded: 2.0**extra overflows a float once a run passes ~1000 failures.
        return 0.0 if extra < 0 else min(self.backoff_max_s, 2.0 ** min(extra, 64))

    def wait(self, counts: Failures, now: float) -> float:
        """Seconds before the next attempt may go ahead, given the failures so far; 0 when it may now.
        (api/throttle_redis.py runs the same rule in Lua.)"""
        wait = 0.0
        # An old run of failures is forgiven.
        if counts.run and counts.last_at is not None and now - counts.last_at <= self.backoff_max_s:
            wait = counts.last_at + self.backoff(counts.run) - now
        if counts.window >= self.address_failures_per_minute and counts.window_oldest is not None:
            wait = max(wait, WINDOW_S - (now - counts.window_oldest))
        return max(wait, 0.0)


@dataclass(frozen=True)
class Attempt:
    """The throttle's answer to a login attempt, before its password is checked."""

    retry_after_s: float = 0.0  # > 0: refused, and not counted
    entry: str | None = None  # the address window entry counted for it, taken back when it succeeds


class FailureStore(Protocol):
    """Counts of failed logins; `username` arrives in lower case, times are the throttle's clock."""

    def read(self, address: str, username: str, now: float) -> Failures: ...

    def add(self, address: str, username: str, now: float, forgive_after_s: float) -> None:
        """Count one failure: the pair's run grows by one, or restarts at one when its last failure
        is more than `forgive_after_s` old; the address's window gains one."""

    def reserve(self, address: str, username: str, now: float, policy: Policy) -> Attempt:
        """In one atomic step: refuse when `policy` says to wait, else count a failure as `add` does
        (forgiving after `policy.backoff_max_s`) and say which window entry it is."""

    def clear(self, address: str, username: str, entry: str | None = None) -> None:
        """End the pair's run, and take back the window entry `reserve` counted for a success."""


class LoginThrottle:
    def __init__(
        self,
        *,
        free_failures: int,
        backoff_max_s: float,
        address_failures_per_minute: int,
        clock: Callable[[], float] = time.time,  # wall time: shared counts compare times across hosts
        store: FailureStore | None = None,
    ) -> None:
        self.policy = Policy(free_failures, backoff_max_s, address_failures_per_minute)
        self._clock = clock
        self.store: FailureStore = store if store is not None else MemoryFailures()

    @property
    def free_failures(self) -> int:
        return self.policy.free_failures

    @property
    def backoff_max_s(self) -> float:
        return self.policy.backoff_max_s

    @property
    def address_failures_per_minute(self) -> int:
        return self.policy.address_failures_per_minute

    def attempt(self, address: str, username: str) -> Attempt:
        """Before checking a password: refused (`retry_after_s` > 0), or let through and already counted
        as a failure, so that parallel attempts cannot all pass before any is counted."""
        return self.store.reserve(address, username.lower(), self._clock(), self.policy)

    def succeeded(self, address: str, username: str, attempt: Attempt | None = None) -> None:
        """The password was right: the pair's run ends, and `attempt`'s up-front count is taken back."""
        self.store.clear(address, username.lower(), attempt.entry if attempt else None)

    def retry_after(self, address: str, username: str) -> float:
        """Seconds before this address may try this user name again; 0 when it may now."""
        now = self._clock()
        return self.policy.wait(self.store.read(address, username.lower(), now), now)

    def failed(self, address: str, username: str) -> None:
        """Count a failure that `attempt` did not (the login route never needs this)."""
        self.store.add(address, username.lower(), self._clock(), self.backoff_max_s)


@dataclass
class _Run:
    failures: int
    last_failure: float


class MemoryFailures:
    """Counts in this process only (one worker, and the unit tests of the policy)."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], _Run] = {}
        self._addresses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def read(self, address: str, username: str, now: float) -> Failures:
        with self._lock:
            return self._read(address, username, now)

    def add(self, address: str, username: str, now: float, forgive_after_s: float) -> None:
        with self._lock:
            self._add(address, username, now, forgive_after_s)

    def reserve(self, address: str, username: str, now: float, policy: Policy) -> Attempt:
        with self._lock:
            wait = policy.wait(self._read(address, username, now), now)
            if wait > 0:
                return Attempt(retry_after_s=wait)
            self._add(address, username, now, policy.backoff_max_s)
            return Attempt(entry=repr(now))

    def clear(self, address: str, username: str, entry: str | None = None) -> None:
        with self._lock:
            self._runs.pop((address, username), None)
            window = self._addresses.get(address)
            if entry is not None and window is not None:
                with suppress(ValueError):  # already gone: older than the window
                    window.remove(float(entry))

    def _read(self, address: str, username: str, now: float) -> Failures:
        run = self._runs.get((address, username))
        window = self._addresses.get(address)
        if window is not None:
            while window and now - window[0] >= WINDOW_S:
                window.popleft()
        return Failures(
            run=run.failures if run else 0,
            last_at=run.last_failure if run else None,
            window=len(window) if window else 0,
            window_oldest=window[0] if window else None,
        )

    def _add(self, address: str, username: str, now: float, forgive_after_s: float) -> None:
        if len(self._runs) >= MAX_ENTRIES or len(self._addresses) >= MAX_ENTRIES:
            self._forget_stale(now, forgive_after_s)
        run = self._runs.setdefault((address, username), _Run(0, now))
        if now - run.last_failure > forgive_after_s:
            run.failures = 0
        run.failures += 1
        run.last_failure = now
        self._addresses.setdefault(address, deque()).append(now)

    def _forget_stale(self, now: float, forgive_after_s: float) -> None:
        self._runs = {k: r for k, r in self._runs.items() if now - r.last_failure <= forgive_after_s}
        self._addresses = {a: w for a, w in self._addresses.items() if w and now - w[-1] < WINDOW_S}
        if len(self._runs) >= MAX_ENTRIES:
            self._runs.clear()
        if len(self._addresses) >= MAX_ENTRIES:
            self._addresses.clear()
