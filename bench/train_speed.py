"""How fast the full micro_speech recipe trains here, and what the exported model measures.

Builds the default synthetic stop/go set (timed apart: that is data making, not training), then runs
the full recipe (15000 + 3000 steps, batch 100) with a cold feature cache, so feature computation is
included, then exports the run (int8, TFLM arena, float vs int8 test accuracy). Prints every figure
next to its target. Usage:
    python bench/train_speed.py [--steps 15000,3000] [--project DIR]

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
    parser.add_argument("--steps", default="15000,3000", help="steps per phase (default: the full recipe)")
    parser.add_argument("--lr", default="0.001,0.0001")
    parser.add_argument(
        "--project", type=Path, help="project folder to use and keep (default: a temporary one)"
    )
    args = parser.parse_args()

    project = args.project or Path(tempfile.mkdtemp(prefix="wakebench-train-speed-"))
    project.mkdir(parents=True, exist_ok=True)
    base = ProjectConfig()
    config = base.replace(
        training=dataclasses.replace(
            base.training,
            steps=[int(s) for s in args.steps.split(",")],
            learning_rates=[float(v) for v in args.lr.split(",")],
        )
    )
    print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, load {_load()}")
    print(f"project: {project}")

    from core.data.synth import synthesize_dataset

    t = time.perf_counter()
    synthesize_dataset(config.words, project / config.data.synthetic_dir, per_word=config.data.synth_per_word)
    print(f"synthetic stop/go set (not part of the recipe time): {time.perf_counter() - t:.1f} s")

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

    report = export_run(result.run_dir)

    print(f"TensorFlow import (not counted): {tf_import:.1f} s")
    print(
        f"features (cold cache, {config.training.augment_variants} variants per clip): {result.feature_seconds:.1f} s"
    )
    print(
        f"training: {result.steps:,} steps in {result.train_seconds:.1f} s = {result.steps_per_second:.0f} steps/s "
        f"(steady {steady:.0f} steps/s; TF train.py: {TF_TRAIN_PY_STEPS_PER_S} steps/s)"
    )
    print(
        f"full recipe ({total:,} steps, batch {config.training.batch_size}, features included): {recipe_s:.1f} s "
        f"[target <= 180 s, aim 60 s]; CPU {cpu:.0f} s"
    )
    print(f"accuracy (float): validation {result.val_accuracy:.1%}, test {result.test_accuracy:.1%}")
    print(
        f"model: {report.model_bytes:,} bytes int8 [target <= 18,800; seed uint8 18,288], ops {', '.join(report.ops)}"
    )
    print(f"tensor arena measured in TFLM: {report.arena_bytes:,} bytes [target <= 10,240]")
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
