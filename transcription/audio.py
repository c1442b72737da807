"""Reading call recordings into per-speaker 16-bit PCM, with a clear reason when a file is unusable.

MixMonitor writes one mixed mono file, or with r()/t() a caller-only (rx: audio received from the
caller's channel) and an operator-only (tx) file. Other recorders write stereo with one party per
channel. Each becomes one `SpeakerAudio`; a mixed mono file is one speaker ("mixed").
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from hotline.domain import Speaker
from hotline.errors import AudioError

# Stereo recordings: which party each channel carries (the common caller-left convention).
STEREO_SPEAKERS = (Speaker.CALLER, Speaker.AGENT)
MIN_RATE = 8000


@dataclass(frozen=True)
class SpeakerAudio:
    speaker: Speaker
    pcm: npt.NDArray[np.int16]  # mono samples
    rate: int

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / self.rate


@dataclass(frozen=True)
class AudioMeta:
    duration_s: float
    rate: int
    channels: int
    size_bytes: int


@dataclass(frozen=True)
class RecordingAudio:
    tracks: list[SpeakerAudio]
    duration_s: float
    rate: int
    channels: int
    size_bytes: int

    @property
    def meta(self) -> AudioMeta:
        return AudioMeta(self.duration_s, self.rate, self.channels, self.size_bytes)


class EmptyRecording(AudioError):
    """Nothing was recorded (a header-only WAV: MixMonitor's `b` records only while bridged).

    Not a failure: the call never reached an operator. The job is skipped with this reason.
    """


def read_pcm(path: Path) -> tuple[npt.NDArray[np.int16], int]:
    """Samples as int16 (frames x channels) and the sample rate; AudioError says what is wrong."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AudioError(f"{path}: file not found") from None
    if size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    _check_wav_length(path, size)
    try:
        data, rate = sf.read(str(path), dtype="int16", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({_first_line(exc)})") from None
    if len(data) == 0:
        raise EmptyRecording(f"{path}: nothing recorded (header only, the call was never bridged)")
    if rate < MIN_RATE:
        raise AudioError(f"{path}: unsupported sample rate {rate} Hz (need at least {MIN_RATE})")
    return np.ascontiguousarray(data), int(rate)


def _check_wav_length(path: Path, size: int) -> None:
    """A RIFF file whose data chunk claims more bytes than exist was cut off (disk full, copy)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return
    offset = 12
    while offset + 8 <= len(head):
        chunk, length = struct.unpack("<4sI", head[offset : offset + 8])
        if chunk == b"data":
            # 0 and 0xFFFFFFFF mean "unknown length" (a writer that never closed it); let libsndfile decide.
            if length not in (0, 0xFFFFFFFF) and offset + 8 + length > size:
                missing = offset + 8 + length - size
                raise AudioError(f"{path}: truncated WAV ({missing} of {length} audio bytes missing)")
            return
        offset += 8 + length + (length & 1)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_recording(path: Path, rx_path: Path | None = None, tx_path: Path | None = None) -> RecordingAudio:
    """The recording as speaker tracks: rx/tx pair, stereo channels, or one mixed track."""
    size = path.stat().st_size if path.exists() else 0
    if rx_path is not None and tx_path is not None and rx_path.exists() and tx_path.exists():
        tracks: list[SpeakerAudio] = []
        empty: list[EmptyRecording] = []
        for speaker, side in ((Speaker.CALLER, rx_path), (Speaker.AGENT, tx_path)):
            try:
                pcm, rate = read_pcm(side)
            except EmptyRecording as exc:  # one silent side still leaves the other to transcribe
                empty.append(exc)
                continue
            tracks.append(SpeakerAudio(speaker, _mono(pcm), rate))
        if not tracks:
            raise empty[0]
        duration = max(t.duration_s for t in tracks)
        size = rx_path.stat().st_size + tx_path.stat().st_size
        return RecordingAudio(tracks, duration, tracks[0].rate, 2, size)
    pcm, rate = read_pcm(path)
    channels = pcm.shape[1]
    if channels == 2:
        tracks = [
            SpeakerAudio(speaker, np.ascontiguousarray(pcm[:, index]), rate)
            for index, speaker in enumerate(STEREO_SPEAKERS)
        ]
    else:
        tracks = [SpeakerAudio(Speaker.MIXED, _mono(pcm), rate)]
    return RecordingAudio(tracks, len(pcm) / rate, rate, channels, size)


def _mono(pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    if pcm.shape[1] == 1:
        return np.ascontiguousarray(pcm[:, 0])
    mixed: npt.NDArray[np.int16] = pcm.mean(axis=1).astype(np.int16)
    return mixed


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def split_pair(path: Path) -> tuple[Path | None, Path | None]:
    """MixMonitor's r()/t() files next to `path` (NAME-rx.wav / NAME-tx.wav), if both exist."""
    rx = path.with_name(f"{path.stem}-rx{path.suffix}")
    tx = path.with_name(f"{path.stem}-tx{path.suffix}")
    return (rx, tx) if rx.exists() and tx.exists() else (None, None)
