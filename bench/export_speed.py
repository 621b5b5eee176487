"""Where `wakebench export` spends its time: wall and CPU seconds of each stage of calibration and the
int8 check, on a trained run, and optionally the whole export.

Stages timed (as export runs them, core.model.calibrate / core.model.stream_eval):
- streams: the validation split's clips laid into calibration streams (keywords in phrases, continuous
  other speech three times, noise alone);
- frontend: every stream's frames from a fresh streaming micro frontend (carried state);
- inference: the int8 model in the TFLM interpreter on every window at the run's inference cadence,
  with 1 and with 2 worker processes (`--workers`);
- recognizer: the live RecognizeCommands over each stream's scores (the run's own detections);
- replay: the recognizer replayed over the calibration grid (7 windows x 41 thresholds) and the choice;
- int8 check: export's test-split accuracy of the int8 model in TFLM (features from the cache);
- `--live-path`: for comparison, all streams pushed through `StreamingDetector` frame by frame, the
  way calibration ran before it was taken stage by stage (same scores, one core);
- `--full`: `export_run` end to end on a copy of the run (TensorFlow start-up, int8 conversion, arena
  measurement, calibration, int8 check, C files).
CPU seconds include the worker processes (user + system of this process and its finished children).
The machine is shared: wall times are noisy, CPU seconds less so.

Usage: python bench/export_speed.py RUN [--workers 1,2] [--live-path] [--full]
RUN is a trained and exported run folder (model.tflite; its project's data and feature cache in place).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.features.splits import load_split_data  # noqa: E402
from core.live.detector import StreamingDetector, load_run_model  # noqa: E402
from core.model.calibrate import SPEECH_PASSES, choose  # noqa: E402
from core.model.metrics import int8_predictions  # noqa: E402
from core.model.stream_eval import (  # noqa: E402
    build_streams,
    inference_ends,
    recognized,
    split_clips,
    stream_frames,
)
from core.model.tflm_pool import TflmPool  # noqa: E402


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(name: str, fn: Callable[[], Any], rows: list[tuple[str, float, float]]) -> Any:
    wall, cpu = time.perf_counter(), cpu_seconds()
    out = fn()
    rows.append((name, time.perf_counter() - wall, cpu_seconds() - cpu))
    print(f"  {name:<34} {rows[-1][1]:7.2f} s wall {rows[-1][2]:7.2f} s CPU", flush=True)
    return out


def live_path(model: Any, labels: list[str], config: Any, streams: list[Any]) -> int:
    count = 0
    for s in streams:
        detector = StreamingDetector(model, labels, config.features, config.recognizer)
        for start in range(0, len(s.audio), 2 * 16000):
            count += sum(f.scores is not None for f in detector.push(s.audio[start : start + 2 * 16000]))
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="exported run folder")
    parser.add_argument("--workers", default="1,2", help="worker counts to time the inference with")
    parser.add_argument("--live-path", action="store_true", help="also time the frame-by-frame detector")
    parser.add_argument("--full", action="store_true", help="also time export_run on a copy of the run")
    args = parser.parse_args()

    run, model = load_run_model(args.run)
    config = run.config
    labels = list(run.labels)
    rows: list[tuple[str, float, float]] = []
    print(f"run {run.path} ({config.training.model}), model {len(model.model_bytes):,} bytes")

    def make_streams() -> list[Any]:
        clips, background = split_clips(run, "validation")
        return build_streams(clips, background, config.words, speech_passes=SPEECH_PASSES, seed=1)

    streams = timed("streams (validation split)", make_streams, rows)
    minutes = sum(s.duration_s for s in streams) / 60
    frames = timed("frontend", lambda: [stream_frames(s, config.features) for s in streams], rows)
    every = config.recognizer.inference_every_frames
    ends = [inference_ends(len(f), config.features.frames, every) for f in frames]
    windows = sum(len(e) for e in ends)
    print(f"  ({len(streams)} streams, {minutes:.1f} min of audio, {windows:,} model windows)")

    scores: list[np.ndarray] = []
    per_invoke = None
    for workers in [int(w) for w in args.workers.split(",")]:

        def infer(workers: int = workers) -> list[np.ndarray]:
            with TflmPool(model, workers) as pool:
                handles = [pool.submit(f, e) for f, e in zip(frames, ends, strict=True)]
                return [h.result() for h in handles]

        got = timed(f"inference ({workers} worker{'s' if workers > 1 else ''})", infer, rows)
        if scores:
            assert all(np.array_equal(a, b) for a, b in zip(scores, got, strict=True)), "workers differ"
        scores = got
        if workers == 1:
            per_invoke = 1000 * rows[-1][2] / max(1, windows)
    if per_invoke is not None:
        print(f"  ({per_invoke:.2f} ms of CPU per TFLM invoke)")

    scored = timed(
        "recognizer (live decisions)",
        lambda: [
            recognized(labels, config.features, config.recognizer, s, e, sc)
            for s, e, sc in zip(streams, ends, scores, strict=True)
        ],
        rows,
    )
    target = config.recognizer.target_fa_per_hour
    result = timed(
        "replay grid + choice",
        lambda: choose(config.words, scored, config.recognizer, config.features.stride_ms, target),
        rows,
    )
    print(
        f"  (chosen: window {result.average_window_ms} ms, threshold {result.detection_threshold}, "
        f"FRR {result.frr}, {result.fa_per_hour} FA/h on {result.negative_hours} h)"
    )

    def int8_check() -> int:
        test = load_split_data(config, run.project_dir, run.extra_dirs, splits=("testing",))["testing"]
        return len(int8_predictions(model, test.features[test.rows, 0]))

    clips = timed("int8 check (test split)", int8_check, rows)
    print(f"  ({clips} test clips)")

    if args.live_path:
        count = timed(
            "live path (StreamingDetector, 1 core)", lambda: live_path(model, labels, config, streams), rows
        )
        assert count == windows, (count, windows)

    if args.full:
        from core.model.export import export_run

        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / run.path.name
            shutil.copytree(run.path, copy)
            report = timed("export_run (whole, on a copy)", lambda: export_run(copy), rows)
        print(f"  (report.json seconds: {report.seconds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
