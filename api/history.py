"""Today's curve of waiting callers, from the queue records (live snapshots keep only the present)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def waiting_series(
    stays: Iterable[tuple[datetime, datetime | None]], *, start: datetime, end: datetime, step: timedelta
) -> list[tuple[datetime, int]]:
    """Most callers waiting at once within each step of [start, end); a stay without an end is ongoing."""
    changes: list[tuple[datetime, int]] = []
    for entered, left in stays:
        left = left or end
        if left <= start or entered >= end or left <= entered:
            continue
        changes.append((max(entered, start), 1))
        changes.append((min(left, end), -1))
    # At one instant, leaving comes before joining: a caller answered as another joins is not two waiting.
    changes.sort(key=lambda change: (change[0], change[1]))
    series: list[tuple[datetime, int]] = []
    waiting = 0
    index = 0
    bucket = start
    while bucket < end:
        bucket_end = min(bucket + step, end)
        peak = waiting
        while index < len(changes) and changes[index][0] < bucket_end:
            waiting += changes[index][1]
            peak = max(peak, waiting)
            index += 1
        series.append((bucket, peak))
        bucket = bucket_end
    return series
