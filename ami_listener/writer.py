"""The write side of one PBX link: changed records go to the Store in a worker thread.

Rows the database cannot take now are kept for the next flush, within a limit: above it the oldest are
dropped, counted and logged loudly. Every value that had to be cut and every row the database refused
is remembered (the latest few) so that health and `ami replay` say what was cut or lost.
"""

from __future__ import annotations

import asyncio
import logging

from ami_listener.pbx_health import PbxHealth
from ami_listener.records import Changes
from ami_listener.store import Store, WriteReport
from hotline.live import LiveView

log = logging.getLogger(__name__)

PROBLEMS_KEPT = 100


def first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"


class RecordWriter:
    def __init__(self, store: Store, pbx: str, *, retry_buffer_max_rows: int) -> None:
        self.store = store
        self.pbx = pbx
        self.retry_buffer_max_rows = retry_buffer_max_rows
        self.pending: list[Changes] = []
        self.values_cleaned_total = 0
        self.rows_rejected_total = 0
        self.records_lost_total = 0  # rows dropped because the retry buffer was full
        self.problems: list[str] = []  # what was cut, refused or dropped (the latest PROBLEMS_KEPT)

    def add(self, changes: Changes) -> None:
        if changes:
            self.pending.append(changes)

    def counted(self, health: PbxHealth) -> PbxHealth:
        health.values_cleaned_total = self.values_cleaned_total
        health.rows_rejected_total = self.rows_rejected_total
        health.records_lost_total = self.records_lost_total
        return health

    async def write(self, health: PbxHealth, view: LiveView | None) -> bool:
        """Write what is pending with the health row and the view; False if the database failed
        (the rows are kept for the next call)."""
        pending, self.pending = self.pending, []
        try:
            report = await asyncio.to_thread(self.store.write, self.pbx, pending, health, view)
        except Exception as exc:
            # Keep the rows and retry with the next flush: a database outage must not lose calls.
            # Only the error's first line: the full text lists the rows' values (personal data).
            log.error("database write failed; will retry: %s", first_line(exc), extra={"pbx": self.pbx})
            self.pending = self._bounded(pending + self.pending)
            return False
        self._note(report)
        return True

    def _note(self, report: WriteReport) -> None:
        self.values_cleaned_total += len(report.cleaned)
        self.rows_rejected_total += len(report.rejected)
        notes = [f"cut: {c.table} {c.key} {c.column}: {c.how}" for c in report.cleaned]
        notes += [f"refused, not saved: {r.table} {r.key}: {r.reason}" for r in report.rejected]
        if report.cleaned:
            log.warning(
                "cleaned %d values (NUL bytes, too long)", len(report.cleaned), extra={"pbx": self.pbx}
            )
        self._remember(notes)

    def _remember(self, notes: list[str]) -> None:
        if notes:
            self.problems = (self.problems + notes)[-PROBLEMS_KEPT:]

    def give_up(self) -> None:
        """Count and report the rows still unsaved when the listener stops (the database is down)."""
        rows = sum(changes.rows() for changes in self.pending)
        if not rows:
            return
        self.pending = []
        self.records_lost_total += rows
        log.error("stopping with %d unsaved records: LOST", rows, extra={"pbx": self.pbx})
        self._remember([f"lost: {rows} records unsaved at stop (database unavailable)"])

    def _bounded(self, pending: list[Changes]) -> list[Changes]:
        """The retry buffer, with its oldest batches dropped (counted, logged) above the limit."""
        limit = self.retry_buffer_max_rows
        rows = sum(changes.rows() for changes in pending)
        while rows > limit and len(pending) > 1:
            dropped = pending.pop(0)
            rows -= dropped.rows()
            self.records_lost_total += dropped.rows()
            log.error(
                "retry buffer full (%d rows): %d unsaved records DROPPED; %d lost so far",
                limit,
                dropped.rows(),
                self.records_lost_total,
                extra={"pbx": self.pbx},
            )
            self._remember([f"lost: {dropped.rows()} unsaved records dropped (retry buffer full)"])
        return pending
