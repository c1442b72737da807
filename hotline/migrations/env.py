"""Alembic environment: the engine comes from hotline.db (config.attributes), never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from hotline.db import include_object
from hotline.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("hotline migrations run through `hotline db upgrade` (hotline.db.upgrade)")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
