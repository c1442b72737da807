"""Byte stream → AMI frames, before any decoding (pure).

panoramisk decodes every TCP chunk on its own with errors='ignore', so a Cyrillic character split
across two reads silently loses bytes, and a bad byte vanishes uncounted. We split on the blank line
first and decode whole frames, counting frames that are not valid UTF-8.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BANNER_PREFIX = b"Asterisk Call Manager/"
FRAME_END = b"\r\n\r\n"
# A frame larger than this is garbage (a real Status with AllVariables is a few KB).
MAX_FRAME_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Frame:
    text: str
    valid_utf8: bool


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class FrameSplitter:
    """Feed bytes as they arrive; get complete frames (text without the blank line) back."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.banner: str | None = None
        self.oversized = 0
        self.skipped = 0

    def reset(self) -> None:
        """A new connection: forget any partial frame and expect a banner again."""
        self._buffer.clear()
        self.banner = None

    def feed(self, data: bytes, skip: Callable[[bytes], bool] | None = None) -> list[Frame]:
        """Complete frames so far; frames for which `skip(raw)` is true are counted in `skipped`
        and never decoded (cheap noise filtering before any text work)."""
        self._buffer += data
        if self.banner is None:
            if len(self._buffer) < len(BANNER_PREFIX) and BANNER_PREFIX.startswith(bytes(self._buffer)):
                return []
            if self._buffer.startswith(BANNER_PREFIX):
                end = self._buffer.find(b"\r\n")
                if end < 0:
                    return []
                self.banner = self._buffer[:end].decode("utf-8", "replace")
                del self._buffer[: end + 2]
            else:
                self.banner = ""
        frames: list[Frame] = []
        start = 0
        buffer = self._buffer
        while True:
            end = buffer.find(FRAME_END, start)
            if end < 0:
                break
            raw = bytes(buffer[start:end])
            start = end + 4
            raw = raw.strip(b"\r\n")
            if not raw:
                continue
            if skip is not None and skip(raw) and (raw.isascii() or _is_utf8(raw)):
                self.skipped += 1  # a noise frame with bad bytes goes on, to be counted as bad
                continue
            try:
                frames.append(Frame(raw.decode("utf-8"), True))
            except UnicodeDecodeError:
                frames.append(Frame(raw.decode("utf-8", "replace"), False))
        del buffer[:start]
        if len(buffer) > MAX_FRAME_BYTES:
            # No frame end in sight: drop the garbage rather than grow without bound.
            self.oversized += 1
            buffer.clear()
        return frames
