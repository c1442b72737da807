"""Hands the live hub each view the listener (another process) publishes into SQLite, at once.

SQLite has no LISTEN/NOTIFY and, without Redis, the hub would only learn of a change at its next poll.
A thread asks the database every `every_s` whether anything was committed since (`PRAGMA data_version`,
a read of the WAL index in shared memory, microseconds) and only then reads the tiny (pbx, seq) table;
for a seq that moved it reads the view's stored JSON and delivers it, as Redis would. Records written
meanwhile (most commits) cost one small read.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from hotline.models import LiveSnapshot

log = logging.getLogger(__name__)

WATCH_S = 0.005  # a 2 ms watch cost a core 3.5 %, this one 1 %
RETRY_S = 1.0  # the file or the table is not there yet (an API started before the listener or migration)
SEQS = str(select(LiveSnapshot.pbx, LiveSnapshot.seq).compile(dialect=sqlite.dialect()))
VIEW = str(
    select(LiveSnapshot.data).where(LiveSnapshot.pbx == bindparam("pbx")).compile(dialect=sqlite.dialect())
)
Deliver = Callable[[dict[str, int], list[str]], object]  # (seq per PBX, the moved views' JSON)


class SqliteWatch:
    def __init__(self, path: str, deliver: Deliver, *, every_s: float = WATCH_S) -> None:
        self.path = path
        self.deliver = deliver
        self.every_s = every_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def of(cls, factory: sessionmaker[Session], deliver: Deliver) -> SqliteWatch | None:
        """A watch of the factory's database when it is a SQLite file; None otherwise."""
        bind = factory.kw.get("bind")
        url = getattr(bind, "url", None)
        if url is None or url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return cls(url.database, deliver)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="live-sqlite-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        version: Any = None
        seqs: dict[str, int] = {}
        pause = self.every_s
        while not self._stopping.wait(pause):
            try:
                if connection is None:
                    connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
                now = connection.execute("PRAGMA data_version").fetchone()[0]
                if now == version:
                    pause = self.every_s
                    continue
                # One read transaction: the views are those of the seqs read with them.
                connection.execute("BEGIN")
                try:
                    rows = dict(connection.execute(SEQS).fetchall())
                    moved = [pbx for pbx, seq in rows.items() if seqs.get(pbx) != seq]
                    views = [connection.execute(VIEW, (pbx,)).fetchone()[0] for pbx in moved]
                finally:
                    connection.execute("COMMIT")
            except sqlite3.Error as exc:
                # The hub's own poll goes on meanwhile; this only makes it faster.
                if connection is not None:
                    connection.close()
                    connection = None
                log.debug("sqlite live watch retrying: %s", exc)
                version, pause = None, RETRY_S
                continue
            version, pause = now, self.every_s
            if moved:
                seqs = rows
                self.deliver(rows, views)
        if connection is not None:
            connection.close()
