"""Publishes each new live view on Redis `hotline:live`, so every API process pushes it at once.

The message carries the view itself ({"pbx", "at", "view"}): API hubs push it without reading the
database, which stays the fallback they poll (a view Redis took goes there with the listener's next
records flush). Redis being down costs only speed: a failed publish is logged once per outage and
counted, never raised into the listener, which then writes the view to the database at once.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from hotline.live import LiveView

log = logging.getLogger(__name__)
CHANNEL = "hotline:live"  # api.live_hub.REDIS_CHANNEL listens here


class LivePublisher:
    def __init__(self, url: str, client: Any | None = None) -> None:
        from redis import Redis

        self._client = client or Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._lock = threading.Lock()
        self.published_total = 0
        self.failures_total = 0
        self._failing = False

    def __call__(self, view: LiveView) -> bool:
        """Publish `view`; False when Redis did not take it (the caller writes it to the database now)."""
        payload = json.dumps(
            {"pbx": view.pbx, "at": view.at.isoformat(), "view": view.model_dump(mode="json")},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        try:
            with self._lock:  # one connection; writes come from the store's worker thread
                self._client.publish(CHANNEL, payload)
        except Exception as exc:
            self.failures_total += 1
            if not self._failing:
                log.warning(
                    "live view not published on redis", extra={"error": f"{type(exc).__name__}: {exc}"}
                )
            self._failing = True
            return False
        self.published_total += 1
        self._failing = False
        return True

    def close(self) -> None:
        self._client.close()
