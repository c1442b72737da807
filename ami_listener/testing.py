"""Test and bench doubles beside the listener (like panoramisk's testing.py), not hooks inside it."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from ami_listener.link import PbxLink, _Item


class TimedPbxLink(PbxLink):
    """A PbxLink that records, per message, the seconds from leaving the socket to being applied.

    Use with `AmiService(..., link_class=TimedPbxLink)`; read `latencies` afterwards.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latencies: list[float] = []
        self._received: deque[float] = deque()

    def _on_message(self, message: Any) -> None:
        self._received.append(time.monotonic())
        super()._on_message(message)

    def _apply(self, item: _Item) -> None:
        super()._apply(item)
        if item.kind == "message" and self._received:
            self.latencies.append(time.monotonic() - self._received.popleft())
