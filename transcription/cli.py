"""`hotline transcribe`, `hotline search`, `hotline models …`, `hotline worker` (filled by the transcription part)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
