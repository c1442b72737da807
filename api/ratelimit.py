"""Login attempt limiting: a sliding one-minute window per client address and per user name."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginLimiter:
    """In-process; with several API workers each worker keeps its own window (the limit multiplies)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._clock = time.monotonic
        self._attempts: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> float:
        """Seconds until another attempt is allowed for every key; 0 when allowed now (and counted)."""
        now = self._clock()
        with self._lock:
            wait = 0.0
            for key in keys:
                window = self._attempts[key]
                while window and now - window[0] >= 60:
                    window.popleft()
                if len(window) >= self.per_minute:
                    wait = max(wait, 60 - (now - window[0]))
            if wait > 0:
                return wait
            for key in keys:
                self._attempts[key].append(now)
            if len(self._attempts) > 100_000:  # a flood of distinct keys must not grow memory forever
                self._attempts = defaultdict(deque, {k: v for k, v in self._attempts.items() if v})
            return 0.0

    def forget(self, key: str) -> None:
        with self._lock:
            self._attempts.pop(key, None)
