"""`hotline transcribe`, `search`, `models …` and `worker` (filled by the transcription part)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
