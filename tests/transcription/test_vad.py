"""Per-channel VAD before decoding: silence is skipped, words keep their times in the original file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from hotline.models import Speaker
from tests.ivr import live
from transcription.audio import SpeakerAudio
from transcription.engine import decode_track
from transcription.vad import speech_regions

pytestmark = pytest.mark.vosk

RATE = 8000


def _channel(speech: np.ndarray, at_s: list[float], length_s: float, seed: int = 7) -> np.ndarray:
    """One side of a call: the speech at the given moments, line noise elsewhere."""
    rng = np.random.default_rng(seed)
    track = rng.normal(0, 40, int(length_s * RATE))
    for at in at_s:
        start = int(at * RATE)
        track[start : start + len(speech)] += speech
    return np.clip(track, -32768, 32767).astype(np.int16)


def _speech() -> np.ndarray:
    """The real Russian numbers recording (shared/audio), at telephone rate."""
    data, rate = sf.read(str(live.SHARED / "audio" / "ru_silero_vad_ru_num.wav"), dtype="int16")
    return np.asarray(data[:: rate // RATE], dtype=np.float64)


def test_regions_cover_the_speech_and_skip_the_silence() -> None:
    speech = _speech()
    track = _channel(speech, [3.0, 20.0], 32.0)
    regions = speech_regions(track, RATE, 2)
    assert regions is not None
    covered = sum(r.end - r.start for r in regions) / RATE
    spoken = 2 * len(speech) / RATE
    assert spoken * 0.8 < covered < spoken + 4 * 0.3 + 2.0  # margins, and the recording's own pauses
    assert regions[0].start <= 3.0 * RATE
    assert regions[-1].end >= (20.0 * RATE + len(speech)) * 0.99
    assert not any(r.start < 14 * RATE < r.end for r in regions)  # the long silence is not decoded
    assert speech_regions(track, 11025, 2) is None  # a rate WebRTC does not take: decode whole


def test_live_caller_channel_that_never_speaks_has_no_region() -> None:
    entry = next(
        e for e in live.recordings_manifest("burst") if e["file"].endswith("-rx.wav") and e["bytes"] > 44
    )
    pcm, rate = sf.read(str(live.LIVE / "burst" / entry["file"]), dtype="int16")
    assert speech_regions(pcm, rate, 2) == []
    tx = live.LIVE / "burst" / entry["file"].replace("-rx.wav", "-tx.wav")
    operator, _ = sf.read(str(tx), dtype="int16")
    assert speech_regions(operator, rate, 2)  # the operator's phrase is found on the other side


def test_word_times_stay_true_to_the_original_file(ko_model: Any, tmp_path: Path) -> None:
    track = SpeakerAudio(Speaker.AGENT, _channel(_speech(), [2.0, 19.0], 30.0), RATE)
    whole = [w for segment in decode_track(ko_model, track) for w in segment.words]
    skipped = [w for segment in decode_track(ko_model, track, 2) for w in segment.words]
    assert skipped
    assert len(whole) >= 4
    # Every word the VAD run finds lies in the speech, in the original file's time.
    for word in skipped:
        assert 1.7 < word.start_s < 2.0 + 6.8 or 18.7 < word.start_s < 19.0 + 6.8, word
    # The two runs start the second utterance at the same second of the file.
    second = [w.start_s for w in whole if w.start_s > 15]
    second_vad = [w.start_s for w in skipped if w.start_s > 15]
    assert abs(second[0] - second_vad[0]) < 0.3
