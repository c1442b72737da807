"""Login throttle counts in the database (`login_failure_run`, `login_failure`), shared by every process.

A login attempt is one transaction that reads the counts, decides, and when the attempt may go ahead
counts it as a failure: an upsert that grows (or restarts) the pair's run in a single statement, and
one inserted row for the address's window, whose id a success uses to take it back. Attempts from one
address take turns in that transaction (a PostgreSQL advisory lock; SQLite's single writer), so a burst
of parallel guesses cannot all read the counts before any is added. Old rows are deleted now and then
in a separate transaction, so housekeeping never makes a login fail.
The login routes are sync (they run in the threadpool), so these calls block no event loop.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Integer, Table, case, delete, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from api.ratelimit import WINDOW_S, Attempt, Failures, Policy
from hotline.db import transaction
from hotline.models import LoginFailure, LoginFailureRun

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 60.0  # per process; a stale row only costs space, never a wrong answer
_KEY_LENGTH = 64  # the columns' size (lower-casing can lengthen a name a little)
# "logn": the first key of the advisory locks taken here (the second is the address's hash), apart
# from any other use of advisory locks.
_LOCK_SPACE = 0x6C6F676E


def _moment(clock_s: float) -> datetime:
    return datetime.fromtimestamp(clock_s, UTC)


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def _address_lock_key(address: str) -> int:
    # Two addresses sharing a key only take turns needlessly; the answer stays right.
    return int.from_bytes(hashlib.blake2b(address.encode(), digest_size=4).digest(), "big", signed=True)


class DatabaseFailures:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._dialect = session_factory.kw["bind"].dialect.name
        if self._dialect not in ("postgresql", "sqlite"):
            raise ValueError(f"login throttle: no atomic upsert for the {self._dialect} database")
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def read(self, address: str, username: str, now: float) -> Failures:
        address, username = address[:_KEY_LENGTH], username[:_KEY_LENGTH]
        with self._factory() as session:
            return self._counts(session, address, username, now)

    def add(self, address: str, username: str, now: float, forgive_after_s: float) -> None:
        address, username = address[:_KEY_LENGTH], username[:_KEY_LENGTH]
        with transaction(self._factory) as session:
            self._count_failure(session, address, username, now, forgive_after_s)
        self._prune_now_and_then(now, forgive_after_s)

    def reserve(self, address: str, username: str, now: float, policy: Policy) -> Attempt:
        address, username = address[:_KEY_LENGTH], username[:_KEY_LENGTH]
        with transaction(self._factory) as session:
            self._take_turn(session, address, now)
            wait = policy.wait(self._counts(session, address, username, now), now)
            if wait > 0:
                return Attempt(retry_after_s=wait)
            entry = self._count_failure(session, address, username, now, policy.backoff_max_s)
        self._prune_now_and_then(now, policy.backoff_max_s)
        return Attempt(entry=str(entry))

    def clear(self, address: str, username: str, entry: str | None = None) -> None:
        address, username = address[:_KEY_LENGTH], username[:_KEY_LENGTH]
        with transaction(self._factory) as session:
            session.execute(
                delete(LoginFailureRun).where(
                    LoginFailureRun.address == address, LoginFailureRun.username == username
                )
            )
            if entry is not None:
                session.execute(
                    delete(LoginFailure).where(LoginFailure.id == int(entry), LoginFailure.address == address)
                )

    def _take_turn(self, session: Session, address: str, now: float) -> None:
        """Hold off other attempts from `address` until this transaction ends. The per-address cap spans
        every user name, so no row lock would cover it."""
        if self._dialect == "postgresql":
            space, key = literal(_LOCK_SPACE).cast(Integer), literal(_address_lock_key(address)).cast(Integer)
            session.execute(select(func.pg_advisory_xact_lock(space, key)))
        else:
            # SQLite has one writer at a time, and a transaction holds the write lock from its first
            # write: so write first (trimming the address's window), before the counts are read.
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.address == address, LoginFailure.at <= _moment(now - WINDOW_S)
                )
            )

    def _counts(self, session: Session, address: str, username: str, now: float) -> Failures:
        run = session.execute(
            select(LoginFailureRun.failures, LoginFailureRun.last_failure_at).where(
                LoginFailureRun.address == address, LoginFailureRun.username == username
            )
        ).first()
        window, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                LoginFailure.address == address, LoginFailure.at > _moment(now - WINDOW_S)
            )
        ).one()
        return Failures(
            run=run.failures if run else 0,
            last_at=_seconds(run.last_failure_at) if run else None,
            window=window,
            window_oldest=_seconds(oldest) if oldest is not None else None,
        )

    def _count_failure(
        self, session: Session, address: str, username: str, now: float, forgive_after_s: float
    ) -> int:
        """Count one failure; the id of the address's new window row."""
        at = _moment(now)
        session.execute(self._grow_run(address, username, at, _moment(now - forgive_after_s)))
        entry: int = session.execute(
            insert(LoginFailure).values(address=address, at=at).returning(LoginFailure.id)
        ).scalar_one()
        return entry

    def _grow_run(self, address: str, username: str, at: datetime, forgiven_before: datetime) -> Any:
        table = cast(Table, LoginFailureRun.__table__)
        dialect_insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(table).values(
            address=address, username=username, failures=1, last_failure_at=at
        )
        # Decided inside the one statement: a read-then-write would lose a racing worker's failure.
        restarts = table.c.last_failure_at < forgiven_before
        return statement.on_conflict_do_update(
            index_elements=[table.c.address, table.c.username],
            set_={
                "failures": case((restarts, 1), else_=table.c.failures + 1),
                "last_failure_at": statement.excluded.last_failure_at,
            },
        )

    def _prune_now_and_then(self, now: float, forgive_after_s: float) -> None:
        with self._lock:
            if time.monotonic() < self._next_prune:
                return
            self._next_prune = time.monotonic() + PRUNE_EVERY_S
        try:
            with transaction(self._factory) as session:
                session.execute(delete(LoginFailure).where(LoginFailure.at <= _moment(now - WINDOW_S)))
                session.execute(
                    delete(LoginFailureRun).where(
                        LoginFailureRun.last_failure_at < _moment(now - forgive_after_s)
                    )
                )
        except DBAPIError as exc:
            # Two workers pruning at once may deadlock on PostgreSQL; the next prune takes the rows.
            log.warning("login throttle: old counts not deleted", extra={"error": str(exc.orig)})
