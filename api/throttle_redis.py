"""Login throttle counts in Redis (`api.redis_url`), shared by every process; keys expire on their own.

A pair's run is a hash (`failures`, `last`), an address's window a sorted set of failure times. A
failure is one Lua script, so the restart-or-grow decision and the window trim are atomic. The sync
client is right here: the login routes run in the threadpool. Short timeouts keep a dead Redis from
holding a login for long; its errors (`redis.RedisError`) are the caller's to handle.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

from redis import Redis

from api.ratelimit import WINDOW_S, Failures

PREFIX = "hotline:login:"
TIMEOUT_S = 0.5

# KEYS: run hash, window set. ARGV: now, forgive_after_s, window_s, member, run ttl s, window ttl s.
_ADD_FAILURE = """
local now = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
if last == nil or now - last > tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'failures', 1, 'last', ARGV[1])
else
  redis.call('HINCRBY', KEYS[1], 'failures', 1)
  redis.call('HSET', KEYS[1], 'last', ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 1
"""


def _run_key(address: str, username: str) -> str:
    # JSON keeps the pair unambiguous whatever characters the name holds.
    return PREFIX + "run:" + json.dumps([address, username], ensure_ascii=False)


def _window_key(address: str) -> str:
    return PREFIX + "address:" + address


class RedisFailures:
    def __init__(self, url: str) -> None:
        self._redis: Redis = Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
        self._add_failure: Any = self._redis.register_script(_ADD_FAILURE)

    def read(self, address: str, username: str, now: float) -> Failures:
        pipe = self._redis.pipeline(transaction=False)
        pipe.hmget(_run_key(address, username), ["failures", "last"])
        # "(" excludes the bound: a failure exactly WINDOW_S old has left the window.
        since = f"({now - WINDOW_S!r}"
        pipe.zcount(_window_key(address), since, "+inf")
        pipe.zrangebyscore(_window_key(address), since, "+inf", start=0, num=1, withscores=True)
        (failures, last), window, oldest = pipe.execute()
        return Failures(
            run=int(failures) if failures is not None else 0,
            last_at=float(last) if last is not None else None,
            window=int(window),
            window_oldest=float(oldest[0][1]) if oldest else None,
        )

    def add(self, address: str, username: str, now: float, forgive_after_s: float) -> None:
        self._add_failure(
            keys=[_run_key(address, username), _window_key(address)],
            args=[
                repr(now),
                repr(forgive_after_s),
                repr(WINDOW_S),
                f"{now!r}:{uuid.uuid4().hex}",  # members are a set: two failures at one moment both count
                math.ceil(forgive_after_s) + 1,
                math.ceil(WINDOW_S) + 1,
            ],
        )

    def clear(self, address: str, username: str) -> None:
        self._redis.delete(_run_key(address, username))

    def close(self) -> None:
        self._redis.close()
