"""Vosk models with Kaldi's MFCC dither off, so the same recording always gives the same transcript.

Kaldi adds random noise (dither 1.0 by default) to every frame before it computes features. On 8 kHz
telephone audio upsampled to a 16 kHz model the top mel bins hold nothing but that noise, so decoding
one file twice agreed on only 72-89 % of its words (bench/transcribe.py): a call transcribed again, and
the day's topic and word counts built on it, would change with no change of audio.
The model's own folder is left alone (it may be read-only or shared by other tools). A derived folder
links every file of it except conf/mfcc.conf, which gets `--dither=0.0` appended (Kaldi keeps the last
value given for an option). It is made once per model and content of its mfcc.conf.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

DITHER_OFF = "--dither=0.0"


def without_dither(model_dir: Path, derived_root: Path) -> Path:
    """The folder to load `model_dir` from with dither off: derived under `derived_root` (or, when that
    cannot be written, the system's temporary folder), or `model_dir` itself if nothing needs changing."""
    mfcc = model_dir / "conf" / "mfcc.conf"
    if not mfcc.is_file():
        return model_dir  # not a model with MFCC features (or not a model: Vosk says so on load)
    text = mfcc.read_text(encoding="utf-8")
    lines = text.split()
    if lines and lines[-1] == DITHER_OFF:
        return model_dir
    digest = hashlib.sha256(f"{model_dir.resolve()}\n{text}".encode()).hexdigest()[:12]
    name = f"{model_dir.name}-{digest}"
    try:
        return _derive(model_dir, text, derived_root / name)
    except OSError as exc:
        fallback = Path(tempfile.gettempdir()) / "hotline-models-no-dither" / name
        log.warning(
            "cannot write the dither-free model beside the models; using the temporary folder",
            extra={"folder": str(derived_root), "error": str(exc), "instead": str(fallback)},
        )
        return _derive(model_dir, text, fallback)


def _derive(model_dir: Path, mfcc_text: str, target: Path) -> Path:
    if (target / "conf" / "mfcc.conf").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built aside and renamed into place: workers starting together never load a half-made folder.
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".making-"))
    try:
        for entry in model_dir.iterdir():
            if entry.name != "conf":
                (staging / entry.name).symlink_to(entry.resolve())
        (staging / "conf").mkdir()
        for conf in (model_dir / "conf").iterdir():
            if conf.name == "mfcc.conf":
                (staging / "conf" / conf.name).write_text(
                    mfcc_text.rstrip("\n") + f"\n{DITHER_OFF}\n", encoding="utf-8"
                )
            else:
                (staging / "conf" / conf.name).symlink_to(conf.resolve())
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if (target / "conf" / "mfcc.conf").is_file():  # another worker made it first
            return target
        raise
    return target
