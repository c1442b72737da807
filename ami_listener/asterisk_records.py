"""Reads the recent end of Asterisk's own records (queue_log, CDR csv) for the gap after a reconnect.

Both files only grow, in time order, and a busy PBX's queue_log holds months: only the lines from
shortly before the listener's last event on are read, backwards from the end in blocks, and never more
than RECORDS_MAX_BYTES (what is beyond is logged, not read). Called in a worker thread.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from hotline.settings import PbxSettings

log = logging.getLogger(__name__)

BLOCK = 256 * 1024
RECORDS_MAX_BYTES = 32 * 1024 * 1024
# Read from this long before the last event: the listener's clock and Asterisk's may differ a little,
# and a CDR row is written when its call ends, so calls still up at the last event come later anyway.
MARGIN = timedelta(minutes=10)


def _queue_log_moment(line: str) -> float | None:
    epoch = line.split("|", 1)[0]
    return float(epoch) if epoch.isdigit() else None


def _cdr_moment(line: str) -> float | None:
    try:
        row = next(csv.reader([line]))
        return datetime.fromisoformat(row[11].replace(" ", "T") + "+00:00").timestamp()
    except (StopIteration, IndexError, ValueError):
        return None


def tail_since(path: Path, since: datetime | None, moment: Callable[[str], float | None]) -> str:
    """The file's lines from the first one at or after `since` (all of it when `since` is None)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        start = size
        while start > 0 and size - start < RECORDS_MAX_BYTES:
            start = max(0, start - BLOCK)
            handle.seek(start)
            head = handle.read(min(BLOCK, size - start)).split(b"\n")
            # The first piece may be a cut line (unless the file starts there): judge by the next one.
            whole = head[1:] if start > 0 else head
            first = next((m for line in whole if (m := moment(line.decode("utf-8", "replace")))), None)
            if since is not None and first is not None and first < since.timestamp():
                break
        if start > 0 and size - start >= RECORDS_MAX_BYTES:
            log.warning("Asterisk records: only the last %d bytes of %s read", RECORDS_MAX_BYTES, path)
        handle.seek(start)
        data = handle.read()
    if start > 0:
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    return data.decode("utf-8", "replace")


def read_records(pbx: PbxSettings, since: datetime | None) -> tuple[str, str] | None:
    """queue_log and CDR text from shortly before `since`, when configured ("" for an unreadable file)."""
    if pbx.queue_log_path is None and pbx.cdr_path is None:
        return None
    after = since - MARGIN if since is not None else None
    texts = []
    for path, moment in ((pbx.queue_log_path, _queue_log_moment), (pbx.cdr_path, _cdr_moment)):
        try:
            texts.append(tail_since(path, after, moment) if path else "")
        except OSError as exc:
            log.error("cannot read Asterisk records %s: %s", path, exc, extra={"pbx": pbx.name})
            texts.append("")
    return texts[0], texts[1]
