"""`hotline api` and `hotline users …` (filled by the api part)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
