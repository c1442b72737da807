"""Login throttle counts in Redis (`api.redis_url`), shared by every process; keys expire on their own.

A pair's run is a hash (`failures`, `last`), an address's window a sorted set of failure times. A
login attempt is one Lua script: it reads the counts, decides by the throttle's policy (the same rule as
`api.ratelimit.Policy.wait`), and when the attempt may go ahead counts it as a failure at once, so a
burst of parallel guesses cannot all pass before any is counted; a success removes its window member. The sync
client is right here: the login routes run in the threadpool. Short timeouts keep a dead Redis from
holding a login for long; its errors (`redis.RedisError`) are the caller's to handle.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

from redis import Redis

from api.ratelimit import WINDOW_S, Attempt, Failures, Policy

PREFIX = "hotline:login:"
TIMEOUT_S = 0.5

# Counts one failure. KEYS: run hash, window set. ARGV: now, forgive_after_s, window_s, member, run ttl
# s, window ttl s.
_COUNT_FAILURE = """
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
"""

_ADD_FAILURE = _COUNT_FAILURE + "return 1\n"

# Decides, then counts. KEYS and ARGV 1-6 as above (forgive_after_s is the policy's backoff_max_s), then
# free failures, the address cap, and counts carried over from the database (run, last, window, oldest;
# '' for none). Returns the wait as a string ('0': let through and counted); Lua numbers would be cut
# to integers on the way out.
_RESERVE = (
    """
local now = tonumber(ARGV[1])
local backoff_max = tonumber(ARGV[2])
local window_s = tonumber(ARGV[3])
local stored = redis.call('HMGET', KEYS[1], 'failures', 'last')
local run = (tonumber(stored[1]) or 0) + tonumber(ARGV[9])
local last = tonumber(stored[2])
local carried_last = tonumber(ARGV[10])
if carried_last ~= nil and (last == nil or carried_last > last) then last = carried_last end
-- A number passed to redis.call keeps its full precision (one joined to a string would not).
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window_s)
local window = redis.call('ZCARD', KEYS[2]) + tonumber(ARGV[11])
local oldest = nil
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #first > 0 then oldest = tonumber(first[2]) end
local carried_oldest = tonumber(ARGV[12])
if carried_oldest ~= nil and (oldest == nil or carried_oldest < oldest) then oldest = carried_oldest end
local wait = 0
if run > 0 and last ~= nil and now - last <= backoff_max then
  local extra = run - tonumber(ARGV[7])
  local backoff = 0
  if extra >= 0 then backoff = math.min(backoff_max, 2 ^ math.min(extra, 64)) end
  wait = last + backoff - now
end
if oldest ~= nil and window >= tonumber(ARGV[8]) then
  wait = math.max(wait, window_s - (now - oldest))
end
if wait > 0 then
  return string.format('%.17g', wait)
end
"""
    + _COUNT_FAILURE
    + "return '0'\n"
)


def _run_key(address: str, username: str) -> str:
    # JSON keeps the pair unambiguous whatever characters the name holds.
    return PREFIX + "run:" + json.dumps([address, username], ensure_ascii=False)


def _window_key(address: str) -> str:
    return PREFIX + "address:" + address


def _member(now: float) -> str:
    return f"{now!r}:{uuid.uuid4().hex}"  # members are a set: two failures at one moment both count


def _failure_args(now: float, forgive_after_s: float, member: str) -> list[object]:
    return [
        repr(now),
        repr(forgive_after_s),
        repr(WINDOW_S),
        member,
        math.ceil(forgive_after_s) + 1,
        math.ceil(WINDOW_S) + 1,
    ]


def _optional(moment: float | None) -> str:
    return "" if moment is None else repr(moment)


class RedisFailures:
    def __init__(self, url: str) -> None:
        self._redis: Redis = Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
        self._add_failure: Any = self._redis.register_script(_ADD_FAILURE)
        self._reserve: Any = self._redis.register_script(_RESERVE)

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
            args=_failure_args(now, forgive_after_s, _member(now)),
        )

    def reserve(
        self, address: str, username: str, now: float, policy: Policy, carried: Failures | None = None
    ) -> Attempt:
        """`carried`: counts kept elsewhere (the database, during a Redis outage) that still count."""
        carried = carried or Failures()
        member = _member(now)
        wait = float(
            self._reserve(
                keys=[_run_key(address, username), _window_key(address)],
                args=[
                    *_failure_args(now, policy.backoff_max_s, member),
                    policy.free_failures,
                    policy.address_failures_per_minute,
                    carried.run,
                    _optional(carried.last_at),
                    carried.window,
                    _optional(carried.window_oldest),
                ],
            )
        )
        return Attempt(retry_after_s=wait) if wait > 0 else Attempt(entry=member)

    def clear(self, address: str, username: str, entry: str | None = None) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.delete(_run_key(address, username))
        if entry is not None:
            pipe.zrem(_window_key(address), entry)
        pipe.execute()

    def close(self) -> None:
        self._redis.close()
