"""Login throttling: failed attempts per (client address, user name) pair, with doubling waits.

Only failures count, and a success clears its pair, so a user signing in often is never slowed. An
attacker guessing `admin`'s password from one address makes only that address wait: the real admin
signing in from another address is not affected. A second, looser cap per address over all user
names slows password spraying. In-process: with several API workers each keeps its own counts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MAX_ENTRIES = 100_000  # a flood of distinct names or addresses must not grow memory without end


@dataclass
class _Pair:
    failures: int
    last_failure: float


class LoginThrottle:
    def __init__(
        self,
        *,
        free_failures: int,
        backoff_max_s: float,
        address_failures_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.backoff_max_s = backoff_max_s
        self.address_failures_per_minute = address_failures_per_minute
        self._clock = clock
        self._pairs: dict[tuple[str, str], _Pair] = {}
        self._addresses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _backoff(self, failures: int) -> float:
        extra = failures - self.free_failures
        return 0.0 if extra < 0 else min(self.backoff_max_s, 2.0**extra)

    def retry_after(self, address: str, username: str) -> float:
        """Seconds before this address may try this user name again; 0 when it may now."""
        now = self._clock()
        with self._lock:
            wait = 0.0
            pair = self._pairs.get((address, username.lower()))
            if pair is not None:
                if now - pair.last_failure > self.backoff_max_s:
                    del self._pairs[(address, username.lower())]  # an old run of failures is forgiven
                else:
                    wait = pair.last_failure + self._backoff(pair.failures) - now
            window = self._addresses.get(address)
            if window is not None:
                while window and now - window[0] >= 60:
                    window.popleft()
                if len(window) >= self.address_failures_per_minute:
                    wait = max(wait, 60 - (now - window[0]))
            return max(wait, 0.0)

    def failed(self, address: str, username: str) -> None:
        now = self._clock()
        key = (address, username.lower())
        with self._lock:
            if len(self._pairs) >= MAX_ENTRIES or len(self._addresses) >= MAX_ENTRIES:
                self._forget_stale(now)
            pair = self._pairs.setdefault(key, _Pair(0, now))
            pair.failures += 1
            pair.last_failure = now
            self._addresses.setdefault(address, deque()).append(now)

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._pairs.pop((address, username.lower()), None)

    def _forget_stale(self, now: float) -> None:
        self._pairs = {k: p for k, p in self._pairs.items() if now - p.last_failure <= self.backoff_max_s}
        self._addresses = {a: w for a, w in self._addresses.items() if w and now - w[-1] < 60}
        if len(self._pairs) >= MAX_ENTRIES:
            self._pairs.clear()
        if len(self._addresses) >= MAX_ENTRIES:
            self._addresses.clear()
