"""Where the Vosk model for a language is: configured, or downloaded into models_dir.

Core knowledge (no Vosk import): the transcription workers load from here, and /health and
`hotline models list` tell which queued jobs wait for a model that is not there.
"""

from __future__ import annotations

import re
from pathlib import Path

from hotline.errors import TranscriptionError
from hotline.settings import TranscriptionSettings

SUGGESTED_MODELS = {
    "ru": "vosk-model-small-ru-0.22",
    "uk": "vosk-model-small-uk-v3-small",
    "en": "vosk-model-small-en-us-0.15",
}


def model_path(settings: TranscriptionSettings, language: str) -> Path:
    """The configured model folder for `language`, or one downloaded into models_dir.

    Raises TranscriptionError saying in one line how to get a model.
    """
    configured = settings.models.get(language)
    if configured is not None:
        if not (configured / "am").is_dir() and not (configured / "conf").is_dir():
            raise TranscriptionError(
                f"transcription.models.{language} = {configured} is not a Vosk model folder "
                f"(no am/ or conf/ inside)"
            )
        return configured
    pattern = re.compile(rf"^vosk-model-(small-)?{re.escape(language)}(-|$)")
    if settings.models_dir.is_dir():
        found = sorted(p for p in settings.models_dir.iterdir() if p.is_dir() and pattern.match(p.name))
        if found:
            return found[-1]
    suggestion = SUGGESTED_MODELS.get(language, f"vosk-model-small-{language}-<version>")
    raise TranscriptionError(
        f"no Vosk model for language {language!r}: run `hotline models download {suggestion}` "
        f"(unpacks into {settings.models_dir}) or set transcription.models.{language} to a model folder"
    )
