"""Real-time factor of `wakebench detect`: seconds of audio searched per second of wall time (target >= 100x).

Makes a long recording of spaced keywords over noise (espeak-ng, tests/live/keyword_stream.py), then times
- the streaming frontend alone (numpy micro frontend with carried state),
- `core.live.detect_file` (frontend + int8 model in the TFLM interpreter + recognizer) at several
  inference strides (`--every N`: the model runs every N frames of 20 ms),
- the `wakebench detect` command end to end (a fresh process: start-up, WAV reading, everything),
and prints the real-time factors. `detect` runs the model at the run's `[recognizer]
inference_every_frames` (the board's cadence too); the stride timed for the command is that one.

Usage: python bench/detect_speed.py [RUN] [--minutes 5] [--every 1,2,4,6,7,8,10]
RUN is an exported run directory (runs/<id> with model.tflite); without one, a tiny stop/go model is
trained and exported first (speed does not depend on how well it is trained).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio.files import write_wav  # noqa: E402
from core.config import keywords  # noqa: E402
from core.features.streaming import stream_features  # noqa: E402
from core.live.detector import detect_file, load_run_model  # noqa: E402
from tests.live.keyword_stream import espeak_stream  # noqa: E402


def make_recording(words: list[str], minutes: float, path: Path) -> float:
    stream = espeak_stream(words, repeats=4, seed=1)
    reps = max(1, int(np.ceil(minutes * 60 / stream.duration_s)))
    audio = np.tile(stream.audio, reps)[: int(minutes * 60 * 16000)]
    write_wav(path, audio)
    return len(audio) / 16000


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", help="exported run directory (default: train a tiny one)")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the test recording")
    parser.add_argument("--every", default="1,2,4,6,7,8,10", help="inference strides to time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if args.run:
            run = Path(args.run)
        else:
            from tests.live.tiny_model import train_tiny_run

            print("no RUN given: training and exporting a tiny stop/go model ...", flush=True)
            run = train_tiny_run(tmp_path / "project")
        run_dir, model = load_run_model(run)
        every_config = run_dir.config.recognizer.inference_every_frames
        words = keywords(run_dir.labels)
        wav = tmp_path / "long.wav"
        audio_s = make_recording(words, args.minutes, wav)
        print(f"recording: {audio_s:.0f} s of {', '.join(words)} and other words over noise; model {run}")
        print(
            f"the run's inference cadence (recognizer.inference_every_frames, board and PC): every "
            f"{every_config} frames = {every_config * run_dir.config.features.stride_ms} ms"
        )

        from core.audio.files import read_audio

        audio = read_audio(wav)
        t = best_of(2, lambda: stream_features(audio, run_dir.config.features))
        print(
            f"streaming frontend alone:        {audio_s / t:8.0f}x real time ({t * 1000 / audio_s:.2f} ms per s)"
        )

        window = np.zeros((run_dir.config.features.frames, run_dir.config.features.channels), np.uint16)
        n = 300
        t = best_of(1, lambda: [model.scores(window) for _ in range(n)])
        print(f"one TFLM inference:              {t / n * 1000:8.2f} ms")

        strides = sorted({int(x) for x in args.every.split(",")} | {every_config})
        for every in strides:
            t = best_of(1, lambda every=every: detect_file(run, wav, infer_every=every))
            mark = "  <- the run's cadence" if every == every_config else ""
            print(
                f"detect_file --every {every:<3} ({1000 / (every * 20):4.0f} inferences/s): "
                f"{audio_s / t:6.0f}x real time{mark}"
            )

        launcher = "import sys; from core.cli import main; sys.exit(main(sys.argv[1:]))"
        cmd = [sys.executable, "-c", launcher, "detect", str(run), str(wav), "--json"]
        start = time.perf_counter()
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        t = time.perf_counter() - start
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        lines = result.stdout.strip().splitlines()
        print(
            f"`wakebench detect` (new process, the run's cadence, every {every_config}): "
            f"{audio_s / t:6.0f}x real time, {len(lines) - 1} detections in {t:.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
