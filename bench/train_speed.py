"""How fast the default stop/go model is made here: first-time data, then training + export.

Builds the default synthetic stop/go set (first-time data making, target <= 5 min; cached afterwards),
then trains a recipe (default: the `default` recipe; `--recipe seed` is micro_speech's 18,000 steps)
with a cold feature cache, so feature computation is included, then exports the run (int8, TFLM arena,
calibration on validation streams, float vs int8 test accuracy). Prints training + export against the
3-minute target and every other figure next to its target. Usage:
    python bench/train_speed.py [--recipe default|seed] [--steps 6000,1500] [--project DIR]

The machine is shared with whatever else runs; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.config import ProjectConfig  # noqa: E402
from core.events import Event, TrainStep  # noqa: E402

TF_TRAIN_PY_STEPS_PER_S = 7.5  # TensorFlow's speech_commands train.py measured on this machine (issue 3)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="default", help="named recipe (core.model.recipes)")
    parser.add_argument("--steps", help="steps per phase (default: the recipe's)")
    parser.add_argument("--lr", help="learning rate per phase (default: the recipe's)")
    parser.add_argument(
        "--project", type=Path, help="project folder to use and keep (default: a temporary one)"
    )
    args = parser.parse_args()

    project = args.project or Path(tempfile.mkdtemp(prefix="wakebench-train-speed-"))
    project.mkdir(parents=True, exist_ok=True)
    from core.model.recipes import apply_recipe

    config = apply_recipe(ProjectConfig(), args.recipe)
    changes = {}
    if args.steps:
        changes["steps"] = [int(s) for s in args.steps.split(",")]
    if args.lr:
        changes["learning_rates"] = [float(v) for v in args.lr.split(",")]
    config = config.replace(training=dataclasses.replace(config.training, **changes))
    print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, load {_load()}")
    print(f"project: {project}")

    from core.data.synth import synthesize_dataset

    t = time.perf_counter()
    synthesize_dataset(config.words, project / config.data.synthetic_dir, per_word=config.data.synth_per_word)
    data_s = time.perf_counter() - t
    print(f"first-time data (default synthetic stop/go set): {data_s:.1f} s [target <= 300 s]")

    from core.model.tflm import quiet_stderr

    t = time.perf_counter()
    with quiet_stderr():  # TensorFlow's C++ start-up notes
        import tensorflow  # noqa: F401  (timed apart: every TF program pays it once)

    tf_import = time.perf_counter() - t
    from core.model.export import export_run
    from core.model.train import train

    shutil.rmtree(project / ".wakebench" / "features", ignore_errors=True)  # cold cache: features included
    step_times: list[tuple[float, int]] = []

    def on_event(event: Event) -> None:
        if isinstance(event, TrainStep):
            step_times.append((time.perf_counter(), event.step))

    cpu = _cpu_seconds()
    t = time.perf_counter()
    result = train(config, project, on_event=on_event)
    recipe_s = time.perf_counter() - t
    cpu = _cpu_seconds() - cpu
    (t0, s0), (t1, s1) = step_times[0], step_times[-1]
    steady = (s1 - s0) / (t1 - t0) if t1 > t0 else float("nan")
    total = sum(config.training.steps)

    t = time.perf_counter()
    report = export_run(result.run_dir)
    export_s = time.perf_counter() - t

    print(f"TensorFlow import (not counted): {tf_import:.1f} s")
    print(
        f"features (cold cache, {config.training.augment_variants} variants per clip): {result.feature_seconds:.1f} s"
    )
    print(
        f"training: {result.steps:,} steps in {result.train_seconds:.1f} s = {result.steps_per_second:.0f} steps/s "
        f"(steady {steady:.0f} steps/s; TF train.py: {TF_TRAIN_PY_STEPS_PER_S} steps/s)"
    )
    print(
        f"training, recipe {args.recipe} ({config.training.model}, {total:,} steps, batch "
        f"{config.training.batch_size}, features included): {recipe_s:.1f} s; CPU {cpu:.0f} s"
    )
    print(f"export (int8, TFLM, calibration, tests): {export_s:.1f} s")
    print(f"training + export: {recipe_s + export_s:.1f} s [target <= 180 s]")
    c = report.calibration
    if c:
        print(
            f"calibrated on validation streams: window {c['average_window_ms']} ms, threshold "
            f"{c['detection_threshold']}, FRR {c['frr']:.1%} at {c['fa_per_hour']:.2f} FA/h over "
            f"{c['negative_hours']:.2f} h [target <= {c['target_fa_per_hour']}/h: {'met' if c['met'] else 'NOT met'}]"
        )
    print(f"accuracy (float): validation {result.val_accuracy:.1%}, test {result.test_accuracy:.1%}")
    print(
        f"model: {report.model_bytes:,} bytes int8 [EdgeBadge budget <= 153,600; seed uint8 18,288], ops {', '.join(report.ops)}"
    )
    print(f"tensor arena measured in TFLM: {report.arena_bytes:,} bytes [EdgeBadge budget <= 65,536]")
    fmt = lambda v: "n/a" if v is None else f"{v:.1%}"  # noqa: E731
    gap = (
        abs(report.float_accuracy - report.int8_accuracy) * 100
        if report.float_accuracy is not None and report.int8_accuracy is not None
        else float("nan")
    )
    print(
        f"test accuracy on {report.test_clips} clips: float {fmt(report.float_accuracy)}, "
        f"int8 (TFLM) {fmt(report.int8_accuracy)}, gap {gap:.1f} points [target <= 1]"
    )
    print(f"run: {result.run_dir}; load now {_load()}")
    if args.project is None:
        shutil.rmtree(project, ignore_errors=True)
    return 0


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
