"""`hotline ivr prompts`: audible files for every prompt, never overwriting a recorded one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import soundfile

from hotline.catalogue import default_catalogue_path, load_catalogue
from hotline.errors import AudioError
from ivr.prompts import all_prompt_texts, synthesize_missing
from tests.conftest import service_missing


@pytest.fixture(autouse=True)
def _tools() -> None:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            service_missing(tool, "the Debian package is not installed")


def test_missing_prompts_are_synthesized_and_recorded_ones_kept(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    recorded = sounds / "hotline" / "uk" / "welcome.wav"
    recorded.parent.mkdir(parents=True)
    recorded.write_bytes(b"RIFF a person's voice")
    gsm = sounds / "hotline" / "uk" / "goodbye.gsm"
    gsm.write_bytes(b"gsm frames")
    catalogue = load_catalogue()
    report = synthesize_missing(catalogue, sounds, languages=["uk"])
    expected = {f"uk/{name}.wav" for name, lang, _ in all_prompt_texts(catalogue) if lang == "uk"}
    assert "uk/year_2026.wav" in expected
    assert "uk/digit_0.wav" in expected
    assert set(report.created) == expected - {"uk/welcome.wav", "uk/goodbye.wav"}
    assert sorted(report.kept_recorded) == ["uk/goodbye.wav", "uk/welcome.wav"]
    assert report.failed == []
    assert recorded.read_bytes() == b"RIFF a person's voice"
    assert not (sounds / "hotline" / "uk" / "goodbye.wav").exists()
    info = soundfile.info(str(sounds / "hotline" / "uk" / "menu_main.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (8000, 1, "PCM_16")
    assert info.duration > 3  # the whole menu is spoken, not a click
    assert not (sounds / "hotline" / "ru").exists()

    again = synthesize_missing(catalogue, sounds, languages=["uk"])
    assert again.created == []
    assert again.refreshed == []
    assert again.up_to_date == len(report.created)


def test_changed_text_is_synthesized_again(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    synthesize_missing(load_catalogue(), sounds, languages=["en"])
    text = default_catalogue_path().read_text(encoding="utf-8")
    edited = tmp_path / "catalogue.yaml"
    edited.write_text(text.replace("en: Thank you for calling. Goodbye.", "en: Goodbye and good luck."))
    before = (sounds / "hotline" / "en" / "goodbye.wav").read_bytes()
    report = synthesize_missing(load_catalogue(edited), sounds, languages=["en"])
    assert report.refreshed == ["en/goodbye.wav"]
    assert report.created == []
    assert (sounds / "hotline" / "en" / "goodbye.wav").read_bytes() != before


def test_unwritable_sounds_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "sounds"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(AudioError, match="cannot create the prompt folder"):
        synthesize_missing(load_catalogue(), blocked, languages=["ru"])
