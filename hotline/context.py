"""What the root CLI callback learns (config file, debug, log level), handed to every command, and the one
database engine a command invocation uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hotline.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker


@dataclass
class CliState:
    config_path: Path | None = None
    debug: bool = False
    log_level: str = "INFO"
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    def settings(self, **overrides: Any) -> Settings:
        """Settings are read on first use, so `--help` works even with a broken config."""
        if overrides:
            return load_settings(self.config_path, **overrides)
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


def cli_state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def cli_engine(ctx: typer.Context) -> Engine:
    """The invocation's database engine, made on first use and disposed when the command ends. Commands also
    run in-process (tests, the demo): a forgotten pool leaves open connections to the GC."""
    from hotline import db

    state = cli_state(ctx)
    if state._engine is None:
        state._engine = engine = db.make_engine(state.settings().database)
        ctx.find_root().call_on_close(engine.dispose)
    return state._engine


def cli_sessions(ctx: typer.Context) -> sessionmaker[Session]:
    """Sessions on the invocation's engine (`cli_engine`)."""
    from hotline import db

    return db.make_session_factory(cli_engine(ctx))
