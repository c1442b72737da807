"""Publishes each new live view on Redis `hotline:live`, so every API process pushes it at once.

The message carries the view itself ({"pbx", "at", "view"}): API hubs push it without reading the
database, which stays the fallback they poll (a view Redis took goes there with the listener's next
records flush). Redis being down costs only speed: a failed publish is logged once per outage and
counted, never raised into the listener, which then writes the views to the database at once (and tries
Redis again after RETRY_S).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from hotline.live import LiveView

log = logging.getLogger(__name__)
CHANNEL = "hotline:live"  # api.live_hub.REDIS_CHANNEL listens here
RETRY_S = 5.0  # after a failed publish, Redis is tried again this much later


class LivePublisher:
    """Publishes from the listener's event loop (redis.asyncio): no worker thread to hand the view to,
    whose turn at the interpreter can come tens of milliseconds late while records are being written."""

    def __init__(self, url: str, client: Any | None = None) -> None:
        from redis.asyncio import Redis

        self._client = client or Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.published_total = 0
        self.failures_total = 0
        self._failing = False
        self._retry_at = 0.0

    async def __call__(self, view: LiveView) -> bool:
        """Publish `view`; False when Redis did not take it (the caller writes it to the database now)."""
        if self._failing and time.monotonic() < self._retry_at:
            return False  # down a moment ago: the database carries the views meanwhile, without a wait
        # The view encoded once, by pydantic: a third of the cost of dumping it and encoding the dict.
        head = json.dumps({"pbx": view.pbx, "at": view.at.isoformat()}, ensure_ascii=False)
        payload = f'{head[:-1]}, "view": {view.model_dump_json()}}}'
        try:
            await self._client.publish(CHANNEL, payload)
        except Exception as exc:
            self.failures_total += 1
            if not self._failing:
                log.warning(
                    "live view not published on redis", extra={"error": f"{type(exc).__name__}: {exc}"}
                )
            self._failing = True
            self._retry_at = time.monotonic() + RETRY_S
            return False
        self.published_total += 1
        self._failing = False
        return True

    async def close(self) -> None:
        await self._client.aclose()
