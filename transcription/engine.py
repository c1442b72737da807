"""The Vosk engine: one model per language per process, one recognizer per track, word timings."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.domain import Speaker
from hotline.errors import TranscriptionError
from hotline.settings import TranscriptionSettings
from transcription.audio import SpeakerAudio

# Vosk decodes fastest with chunks of a few tenths of a second (fewer Python<->C calls, same result).
CHUNK_S = 0.5

SUGGESTED_MODELS = {
    "ru": "vosk-model-small-ru-0.22",
    "uk": "vosk-model-small-uk-v3-small",
    "en": "vosk-model-small-en-us-0.15",
}


@dataclass(frozen=True)
class Word:
    word: str
    start_s: float
    end_s: float
    confidence: float | None


@dataclass(frozen=True)
class Segment:
    speaker: Speaker
    start_s: float
    end_s: float
    text: str
    confidence: float | None
    words: tuple[Word, ...]


@dataclass
class Decoded:
    segments: list[Segment] = field(default_factory=list)
    decode_s: float = 0.0


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


class ModelCache:
    """Models are large and slow to load: one per language per process, loaded on first use."""

    def __init__(self, settings: TranscriptionSettings) -> None:
        self._settings = settings
        self._models: dict[str, tuple[Any, str]] = {}
        self._lock = threading.Lock()

    @property
    def settings(self) -> TranscriptionSettings:
        return self._settings

    def get(self, language: str) -> tuple[Any, str]:
        """(vosk.Model, model name)."""
        with self._lock:
            if language not in self._models:
                path = model_path(self._settings, language)
                self._models[language] = (load_model(path), path.name)
            return self._models[language]


def load_model(path: Path) -> Any:
    import vosk

    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception when the folder is not a model
        raise TranscriptionError(f"cannot load Vosk model {path}: {exc}") from None


def decode_track(model: Any, track: SpeakerAudio) -> list[Segment]:
    """Decode one speaker's audio at its own sample rate (Kaldi resamples to the model's rate)."""
    import vosk

    recognizer = vosk.KaldiRecognizer(model, float(track.rate))
    recognizer.SetWords(True)
    chunk = max(1, int(track.rate * CHUNK_S))
    pcm = track.pcm
    segments: list[Segment] = []
    for start in range(0, len(pcm), chunk):
        if recognizer.AcceptWaveform(pcm[start : start + chunk].tobytes()):
            _append(segments, recognizer.Result(), track.speaker)
    _append(segments, recognizer.FinalResult(), track.speaker)
    return segments


def _append(segments: list[Segment], result_json: str, speaker: Speaker) -> None:
    result = json.loads(result_json)
    words = tuple(
        Word(str(w["word"]), float(w["start"]), float(w["end"]), _conf(w.get("conf")))
        for w in result.get("result", ())
        if str(w.get("word", "")).strip()
    )
    if not words:
        return
    confidences = [w.confidence for w in words if w.confidence is not None]
    segments.append(
        Segment(
            speaker=speaker,
            start_s=words[0].start_s,
            end_s=words[-1].end_s,
            text=" ".join(w.word for w in words),
            confidence=sum(confidences) / len(confidences) if confidences else None,
            words=words,
        )
    )


def _conf(value: Any) -> float | None:
    return None if value is None else float(value)


def decode_tracks(model: Any, tracks: list[SpeakerAudio]) -> Decoded:
    """All speakers of one recording, segments merged in time order."""
    started = time.perf_counter()
    segments = [segment for track in tracks for segment in decode_track(model, track)]
    segments.sort(key=lambda s: (s.start_s, s.speaker.value))
    return Decoded(segments, time.perf_counter() - started)
