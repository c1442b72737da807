"""The real Vosk engine on real recordings: word timings, 8 and 16 kHz, per-speaker audio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from hotline.errors import AudioError, TranscriptionError
from hotline.models import Speaker
from hotline.settings import TranscriptionSettings
from hotline.speech_models import model_path
from transcription.audio import EmptyRecording, load_recording, split_pair
from transcription.engine import ModelCache, Segment, decode_track, decode_tracks

from .conftest import AUDIO, IVR_RECORDING, SHORT_SPEECH, SPLIT, SPLIT_MIXED, short_copy, short_split_call

pytestmark = pytest.mark.vosk


def _assert_timed(segments: list[Segment], duration_s: float) -> None:
    words = [w for s in segments for w in s.words]
    assert words, "no words recognised"
    starts = [w.start_s for w in words]
    assert starts == sorted(starts)
    for word in words:
        assert 0.0 <= word.start_s <= word.end_s <= duration_s + 0.05
        assert word.confidence is not None
        assert 0.0 <= word.confidence <= 1.0


def test_telephone_recording_decodes_at_8khz_with_increasing_word_times(
    ko_model: Any, tmp_path: Path
) -> None:
    audio = load_recording(short_copy(IVR_RECORDING, tmp_path, 5.0))
    assert (audio.rate, audio.channels, len(audio.tracks)) == (8000, 1, 1)
    decoded = decode_tracks(ko_model, audio.tracks)
    assert {s.speaker for s in decoded.segments} == {Speaker.MIXED}
    _assert_timed(decoded.segments, audio.duration_s)
    # The MixMonitor file starts at the bridge and the agent speaks first at about 1 s.
    manifest = json.loads((IVR_RECORDING.parent / "manifest.json").read_text("utf-8"))
    first_speech = manifest[0]["utterances"][0]["start_s"]
    assert decoded.segments[0].words[0].start_s == pytest.approx(first_speech, abs=0.6)


@pytest.mark.parametrize(
    ("path", "rate"), [(SHORT_SPEECH, 16000), (AUDIO / "ru_silero_vad_ru_num_8k.wav", 8000)]
)
def test_real_human_speech_decodes_at_its_own_rate(ko_model: Any, path: Path, rate: int) -> None:
    audio = load_recording(path)
    assert audio.rate == rate
    decoded = decode_tracks(ko_model, audio.tracks)
    _assert_timed(decoded.segments, audio.duration_s)


def _utterances(manifest_file: Path, name: str) -> list[dict[str, Any]]:
    entries = json.loads(manifest_file.read_text("utf-8"))
    return next(e["utterances"] for e in entries if e["file"].endswith(name))


def _inside_own_turns(segments: list[Segment], speaker: Speaker, turns: list[dict[str, Any]]) -> float:
    """Share of `speaker`'s words that fall inside that party's utterances in the manifest."""
    spans = [(u["start_s"] - 0.4, min(u["end_s"], 6.5) + 0.4) for u in turns if u["speaker"] == speaker.value]
    words = [w for s in segments if s.speaker == speaker for w in s.words]
    inside = [w for w in words if any(a <= (w.start_s + w.end_s) / 2 <= b for a, b in spans)]
    return len(inside) / len(words)


def test_mixmonitor_rx_tx_pair_gives_caller_and_agent_at_their_own_times(
    ko_model: Any, tmp_path: Path
) -> None:
    # The first 6.5 s: the agent greets (1.0-3.1 s), the caller asks (from 3.7 s).
    mixed = short_split_call(tmp_path, 6.5)
    rx, tx = split_pair(mixed)
    assert rx is not None
    assert tx is not None
    audio = load_recording(mixed, rx, tx)
    decoded = decode_tracks(ko_model, audio.tracks)
    assert {s.speaker for s in decoded.segments} == {Speaker.CALLER, Speaker.AGENT}
    turns = _utterances(SPLIT / "manifest.json", SPLIT_MIXED.name)
    assert _inside_own_turns(decoded.segments, Speaker.CALLER, turns) >= 0.8
    assert _inside_own_turns(decoded.segments, Speaker.AGENT, turns) >= 0.8


def test_stereo_file_is_split_into_caller_left_and_agent_right(ko_model: Any, tmp_path: Path) -> None:
    rx, _ = sf.read(str(SPLIT / "utilities-cs001-1795317823.418-rx.wav"), dtype="int16")
    tx, _ = sf.read(str(SPLIT / "utilities-cs001-1795317823.418-tx.wav"), dtype="int16")
    stereo = tmp_path / "stereo.wav"
    sf.write(str(stereo), np.stack([rx, tx], axis=1)[: 8000 * 5], 8000, subtype="PCM_16")
    audio = load_recording(stereo)
    assert [t.speaker for t in audio.tracks] == [Speaker.CALLER, Speaker.AGENT]
    agent = decode_track(ko_model, audio.tracks[1])
    caller = decode_track(ko_model, audio.tracks[0])
    # In the first 5 s the agent greets (1.0-3.1 s) and the caller starts speaking (3.7 s).
    assert agent
    assert caller
    assert agent[0].words[0].start_s < 3.2
    assert caller[0].words[0].start_s > 3.2


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_unusable_files_fail_with_a_reason(tmp_path: Path) -> None:
    good = IVR_RECORDING.read_bytes()
    cases = {
        "empty.wav": (b"", "empty file"),
        "truncated.wav": (good[: len(good) // 2], "truncated WAV"),
        "notes.wav": ("это не звук".encode() * 50, "not a readable audio file"),
        "cut_after_header.wav": (good[:44], "truncated WAV"),
    }
    for name, (content, reason) in cases.items():
        with pytest.raises(AudioError, match=reason):
            load_recording(_write(tmp_path / name, content))
    header_only = tmp_path / "header_only.wav"
    sf.write(str(header_only), np.zeros(0, dtype=np.int16), 8000, subtype="PCM_16")
    with pytest.raises(EmptyRecording, match="nothing recorded"):
        load_recording(header_only)
    low = tmp_path / "low.wav"
    sf.write(str(low), np.zeros(4000, dtype=np.int16), 4000, subtype="PCM_16")
    with pytest.raises(AudioError, match="unsupported sample rate 4000"):
        load_recording(low)


def test_missing_model_says_how_to_get_one(tmp_path: Path) -> None:
    settings = TranscriptionSettings(models_dir=tmp_path)
    with pytest.raises(TranscriptionError, match=r"hotline models download vosk-model-small-ru"):
        model_path(settings, "ru")
    downloaded = tmp_path / "vosk-model-small-ru-0.22"
    (downloaded / "am").mkdir(parents=True)
    assert model_path(settings, "ru") == downloaded


def test_the_same_telephone_recording_gives_the_same_words_every_time(
    ko_model_dir: Path, tmp_path: Path
) -> None:
    # An analyst's counts must not change because a call was transcribed again. With Kaldi's default
    # dither, two decodes of this 8 kHz call disagreed on some words in most runs.
    cache = ModelCache(TranscriptionSettings(models_dir=tmp_path / "models", models={"ko": ko_model_dir}))
    model, name = cache.get("ko")
    assert name == ko_model_dir.name
    audio = load_recording(short_copy(IVR_RECORDING, tmp_path, 12.0))
    runs = [
        [(w.word, w.start_s) for s in decode_tracks(model, audio.tracks).segments for w in s.words]
        for _ in range(3)
    ]
    assert runs[0], "no words recognised"
    assert runs[1] == runs[0]
    assert runs[2] == runs[0]
    # The installed model is left as it was; the dither-free copy sits beside the models.
    assert "dither" not in (ko_model_dir / "conf" / "mfcc.conf").read_text()
    (derived,) = (tmp_path / "models" / ".no-dither").iterdir()
    assert (derived / "conf" / "mfcc.conf").read_text().split()[-1] == "--dither=0.0"
