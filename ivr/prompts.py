"""Synthesize the catalogue's missing prompts with espeak-ng, as Asterisk-ready 8 kHz mono WAV.

Besides the catalogue's prompts, the IVR's own digits, days, months and years (ivr/spoken.py): the
status message and callback numbers use them instead of the distribution's incomplete sound sets.

Files go to ``<sounds_dir>/hotline/<lang>/<name>.wav``, which the IVR plays as ``hotline/<lang>/<name>``.
A prompt recorded by a person (any file of that name we did not synthesize) is never overwritten.
Synthesized files are listed with a hash of their text in ``hotline/.synthesized.json``, so a
prompt whose text changed in the catalogue is synthesized again - only if we made it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hotline.catalogue import Catalogue
from hotline.errors import AudioError
from ivr import spoken

log = logging.getLogger(__name__)

VOICES = {"ru": "ru", "uk": "uk", "en": "en-us"}
# Formats Asterisk would play for the same name; any of them counts as a recorded prompt.
SOUND_EXTENSIONS = (".wav", ".WAV", ".wav16", ".gsm", ".ulaw", ".alaw", ".sln", ".sln16", ".g722", ".g729")
MANIFEST = ".synthesized.json"


@dataclass
class PromptReport:
    created: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    kept_recorded: list[str] = field(default_factory=list)
    up_to_date: int = 0
    failed: list[str] = field(default_factory=list)


def _fingerprint(voice: str, text: str) -> str:
    return hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:16]


def _tools() -> tuple[str, str]:
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if espeak is None or sox is None:
        missing = " and ".join(name for name, path in (("espeak-ng", espeak), ("sox", sox)) if path is None)
        raise AudioError(f"{missing} not found; install the Debian packages espeak-ng and sox")
    return espeak, sox


def synthesize(text: str, voice: str, target: Path, *, espeak: str, sox: str) -> None:
    """Speak `text` into `target` (8 kHz, mono, 16-bit WAV), replacing it atomically."""
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        raw, ready = Path(work) / "raw.wav", Path(work) / "ready.wav"
        for command in (
            [espeak, "-v", voice, "-w", str(raw), "--", text],
            [sox, str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(ready)],
        ):
            done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
            if done.returncode != 0:
                raise AudioError(f"{Path(command[0]).name} failed for {target}: {done.stderr.strip()}")
        os.replace(ready, target)


def all_prompt_texts(catalogue: Catalogue) -> list[tuple[str, str, str]]:
    """(name, lang, text) of every prompt the IVR plays: the catalogue's, then numbers and dates."""
    return [*catalogue.prompt_texts(), *spoken.prompt_texts(catalogue.languages)]


def synthesize_missing(
    catalogue: Catalogue,
    sounds_dir: Path,
    *,
    languages: list[str] | None = None,
    workers: int | None = None,
) -> PromptReport:
    espeak, sox = _tools()
    root = sounds_dir / "hotline"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AudioError(
            f"{root}: cannot create the prompt folder ({exc.strerror}); check agi.sounds_dir"
        ) from None
    manifest_path = root / MANIFEST
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        manifest = {}
    except (OSError, ValueError) as exc:
        raise AudioError(f"{manifest_path}: unreadable ({exc}); delete it to start over") from None
    report = PromptReport()
    jobs: list[tuple[str, str, str, Path]] = []
    for name, lang, text in all_prompt_texts(catalogue):
        if languages and lang not in languages:
            continue
        voice = VOICES[lang]
        relative = f"{lang}/{name}.wav"
        target = root / lang / f"{name}.wav"
        existing = [target.with_suffix(ext) for ext in SOUND_EXTENSIONS if target.with_suffix(ext).exists()]
        fingerprint = _fingerprint(voice, text)
        if existing and relative not in manifest:
            report.kept_recorded.append(relative)
            continue
        if existing and manifest.get(relative) == fingerprint:
            report.up_to_date += 1
            continue
        (report.refreshed if existing else report.created).append(relative)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AudioError(f"{target.parent}: cannot create ({exc.strerror})") from None
        jobs.append((relative, text, voice, target))

    def run(job: tuple[str, str, str, Path]) -> tuple[str, str | None]:
        relative, text, voice, target = job
        try:
            synthesize(text, voice, target, espeak=espeak, sox=sox)
        except (AudioError, OSError, subprocess.TimeoutExpired) as exc:
            log.error("cannot synthesize prompt %s: %s", relative, exc)
            return relative, None
        return relative, _fingerprint(voice, text)

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        for relative, made in pool.map(run, jobs):
            if made is None:
                report.failed.append(relative)
                for bucket in (report.created, report.refreshed):
                    if relative in bucket:
                        bucket.remove(relative)
            else:
                manifest[relative] = made
    try:
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    except OSError as exc:
        raise AudioError(f"{manifest_path}: cannot write ({exc.strerror})") from None
    return report
