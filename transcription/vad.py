"""Where each channel speaks: webrtcvad frame decisions grouped into padded speech regions.

In a two-party call each side is silent about half the time while the other one talks; Vosk
spends as much time on silence as on speech, so only the regions are decoded. The detector is
WebRTC's (the `webrtcvad-wheels` build of the `webrtcvad` bindings); this module only groups its
30 ms decisions into regions with some margin, so no word is clipped at a region's edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import webrtcvad

FRAME_MS = 30
RATES = (8000, 16000, 32000, 48000)  # what WebRTC's detector accepts
# Margin kept around speech (a word's soft start and end), and the shortest silence that splits
# two regions: shorter pauses are decoded as they are, so the recognizer keeps its context.
PAD_S = 0.3
MIN_GAP_S = 1.0


@dataclass(frozen=True)
class Region:
    start: int  # first sample
    end: int  # one past the last sample


def speech_regions(
    pcm: npt.NDArray[np.int16],
    rate: int,
    aggressiveness: int,
    *,
    pad_s: float = PAD_S,
    min_gap_s: float = MIN_GAP_S,
) -> list[Region] | None:
    """Speech regions of one channel in samples, or None when the rate is not one WebRTC supports."""
    if rate not in RATES:
        return None
    vad = webrtcvad.Vad(aggressiveness)
    frame = rate * FRAME_MS // 1000
    data = np.ascontiguousarray(pcm).tobytes()
    step = frame * 2  # bytes per frame of 16-bit samples
    voiced = [vad.is_speech(data[i : i + step], rate) for i in range(0, len(data) - step + 1, step)]
    pad, gap = int(pad_s * rate), int(min_gap_s * rate)
    regions: list[Region] = []
    for index, speech in enumerate(voiced):
        if not speech:
            continue
        start, end = max(0, index * frame - pad), min(len(pcm), (index + 1) * frame + pad)
        if regions and start - regions[-1].end < gap:
            regions[-1] = Region(regions[-1].start, max(regions[-1].end, end))
        else:
            regions.append(Region(start, end))
    return regions
