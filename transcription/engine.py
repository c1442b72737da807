"""The Vosk engine: one model per language per process, one recognizer per track, word timings."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.domain import Speaker
from hotline.errors import TranscriptionError
from hotline.settings import TranscriptionSettings
from hotline.speech_models import model_path
from transcription.audio import SpeakerAudio
from transcription.no_dither import without_dither
from transcription.vad import Region, speech_regions

# Beside the models: the dither-free folders derived from them (transcription.no_dither).
DERIVED_MODELS = ".no-dither"
# Vosk decodes fastest with chunks of a few tenths of a second (fewer Python<->C calls, same result).
CHUNK_S = 0.5


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
                source = path
                if self._settings.dither_off:
                    source = without_dither(path, self._settings.models_dir / DERIVED_MODELS)
                self._models[language] = (load_model(source), path.name)
            return self._models[language]


def load_model(path: Path) -> Any:
    import vosk

    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception when the folder is not a model
        raise TranscriptionError(f"cannot load Vosk model {path}: {exc}") from None


def decode_track(model: Any, track: SpeakerAudio, vad_aggressiveness: int | None = None) -> list[Segment]:
    """Decode one speaker's audio at its own sample rate (Kaldi resamples to the model's rate).

    With `vad_aggressiveness`, only the channel's speech regions are fed (one recognizer, the
    utterance closed after each region); Vosk's times then run over the audio fed, so each word is
    moved back to where its region lies in the original file.
    """
    import vosk

    recognizer = vosk.KaldiRecognizer(model, float(track.rate))
    recognizer.SetWords(True)
    chunk = max(1, int(track.rate * CHUNK_S))
    pcm = track.pcm
    regions = None if vad_aggressiveness is None else speech_regions(pcm, track.rate, vad_aggressiveness)
    if regions is None:
        regions = [Region(0, len(pcm))]
    segments: list[Segment] = []
    fed = 0  # samples given to the recognizer so far
    for region in regions:
        shift = (region.start - fed) / track.rate
        for start in range(region.start, region.end, chunk):
            if recognizer.AcceptWaveform(pcm[start : min(start + chunk, region.end)].tobytes()):
                _append(segments, recognizer.Result(), track.speaker, shift)
        _append(segments, recognizer.FinalResult(), track.speaker, shift)
        fed += region.end - region.start
    return segments


def _append(segments: list[Segment], result_json: str, speaker: Speaker, shift: float = 0.0) -> None:
    result = json.loads(result_json)
    words = tuple(
        Word(str(w["word"]), float(w["start"]) + shift, float(w["end"]) + shift, _conf(w.get("conf")))
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


def decode_tracks(model: Any, tracks: list[SpeakerAudio], vad_aggressiveness: int | None = None) -> Decoded:
    """All speakers of one recording, segments merged in time order."""
    started = time.perf_counter()
    segments = [segment for track in tracks for segment in decode_track(model, track, vad_aggressiveness)]
    segments.sort(key=lambda s: (s.start_s, s.speaker.value))
    return Decoded(segments, time.perf_counter() - started)
