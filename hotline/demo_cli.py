"""`hotline demo`: the whole product on the embedded default, fed by a replayed real capture."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
