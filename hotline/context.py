"""What the root CLI callback learns (config file, debug, log level), handed to every command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from hotline.settings import Settings, load_settings


@dataclass
class CliState:
    config_path: Path | None = None
    debug: bool = False
    log_level: str = "INFO"
    _settings: Settings | None = field(default=None, repr=False)

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
