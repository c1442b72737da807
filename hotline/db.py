"""Engines, sessions and migrations. Sync SQLAlchemy everywhere: async code calls it in a thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hotline.errors import DatabaseError
from hotline.settings import DatabaseSettings


def make_engine(settings: DatabaseSettings) -> Engine:
    # hide_parameters: a failed statement's error (and log line) must not carry a row's personal data.
    url = settings.url
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=settings.echo, hide_parameters=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(
        url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        pool_pre_ping=True,
        hide_parameters=True,  # as above
        future=True,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while the listener writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


# Full-text search objects made with raw SQL in revision 0002 (no model can describe an FTS5 table or
# PostgreSQL's generated tsvector column); autogenerate and the drift check must not take them for strays.
SEARCH_INDEX_OBJECTS = ("transcript_segment_fts", "ix_transcript_segment_lemmas_fts", "lemmas_tsv")


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic `include_object` hook: skip the search index objects of revision 0002."""
    return not (reflected and name is not None and name.startswith(SEARCH_INDEX_OBJECTS))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("hotline") / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (idempotent)."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except OperationalError as exc:
        where = engine.url.render_as_string()
        raise DatabaseError(f"cannot migrate {where}: {_one_line(exc.orig)}") from None


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def _one_line(error: object) -> str:
    return " ".join(str(error).split())


def check_reachable(engine: Engine) -> None:
    """Raise DatabaseError with a readable message when the database does not answer."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        where = engine.url.render_as_string()
        raise DatabaseError(f"database {where} does not answer: {_one_line(exc.orig)}") from None
