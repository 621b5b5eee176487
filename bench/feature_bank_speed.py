"""How fast the training feature bank is computed the first time (core.features.cache), stage by stage.

Runs what `wakebench train` runs before its first step: the training split of a project (default: the
default synthetic stop/go set) through `load_split_data` with an empty feature cache, after setting
TensorFlow's threads as training does. Prints clips, variants, seconds of audio, wall and CPU seconds
of the whole bank and of each stage (reading, audio augmentation and its int16 conversion, frontend,
SpecAugment, saving), and the speed in x real time. The frontend of one batch overlaps the next batch's
augmentation (core.features.bank; `--serial` turns that off), so stage wall times add up to more than
the whole. Usage:
    python bench/feature_bank_speed.py --project DIR [--clips N] [--unknown-percentage P] [--serial]

DIR holds a wakebench.toml (`wakebench init DIR`) and its data; nothing in the data is changed, the
cache goes to a new temporary folder. The machine is shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# The functions that make up the stages: (module, function) -> stage. All but the frontend run in the
# calling thread (their CPU is that thread's); the frontend op runs in TensorFlow's threads, started
# from bank's worker thread, so its CPU is what the process used besides the other stages.
STAGES = {
    ("splits", "build_index"): "index",
    ("rooms", "load_or_make_bank"): "room bank",  # simulated once per cache folder
    ("bank", "read_clip"): "read",
    ("bank", "clip_variants"): "augment",
    ("bank", "to_int16"): "  int16",  # inside augment
    ("bank", "compute_features"): "frontend",
    ("bank", "spec_augment"): "specaugment",
    ("cache", "_save"): "save",
}


class StageClock:
    """Wall and thread-CPU seconds spent inside wrapped functions, per stage name."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    def wrap(self, module: Any, name: str, stage: str) -> None:
        inner: Callable[..., Any] = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.wall[stage] += time.perf_counter() - wall
                self.cpu[stage] += time.thread_time() - cpu

        setattr(module, name, timed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True, help="project folder (wakebench.toml)")
    parser.add_argument("--clips", type=int, help="use only the first N training clips")
    parser.add_argument("--unknown-percentage", type=float, help="override data.unknown_percentage")
    parser.add_argument("--no-train-threads", action="store_true", help="leave TensorFlow's thread defaults")
    parser.add_argument("--serial", action="store_true", help="no overlap of augmentation and frontend")
    args = parser.parse_args()

    import core.features.splits as splits
    from core.config import load_config
    from core.features import bank, cache, rooms
    from core.features.splits import load_split_data
    from core.model.tflm import quiet_stderr

    config = load_config(args.project / "wakebench.toml")
    if args.unknown_percentage is not None:
        config = config.replace(
            data=dataclasses.replace(config.data, unknown_percentage=args.unknown_percentage)
        )
    with quiet_stderr():
        import tensorflow  # noqa: F401  (imported before timing: seconds, once per process)
    if not args.no_train_threads:
        from core.model.train import use_threads_for_shards

        use_threads_for_shards()  # as `wakebench train` does before it computes features

    clock = StageClock()
    modules = {"bank": bank, "cache": cache, "splits": splits, "rooms": rooms}
    for (module, name), stage in STAGES.items():
        clock.wrap(modules[module], name, stage)
    real = cache.compute_clip_features

    def some_clips(requests: Any, *a: Any, **kw: Any) -> Any:
        """`--clips`: an even spread of the split (all labels), the rest reported as skipped (row -1)."""
        import numpy as np

        every = max(1, len(requests) // args.clips) if args.clips else 1
        chosen = requests[::every][: args.clips or None]
        result = real(chosen, *a, overlap=not args.serial, **kw)
        rows = np.full(len(requests), -1, np.int64)
        rows[::every][: len(chosen)] = result.rows
        return dataclasses.replace(result, rows=rows)

    splits.compute_clip_features = some_clips  # type: ignore[assignment]

    load = os.getloadavg()[0]
    counted: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="wakebench-bank-") as tmp:
        wall, cpu = time.perf_counter(), _cpu()
        data = load_split_data(config, args.project, splits=("training",), cache_dir=Path(tmp))
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        train = data["training"]
        counted["clips"] = len(train.features)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    t = config.training
    clip_s = config.features.clip_ms / 1000
    scene_s = clip_s + (t.warmup_ms / 1000)
    audio_s = counted["clips"] * t.augment_variants * scene_s
    print(
        f"training bank: {counted['clips']} clips x {t.augment_variants} variants x {scene_s:.2f} s "
        f"(warm-up + clip) = {audio_s:,.0f} s of audio; cache file {size / 1e6:.0f} MB"
    )
    import tensorflow as tf

    threading = tf.config.threading
    print(
        f"TensorFlow threads: intra-op {threading.get_intra_op_parallelism_threads()}, "
        f"inter-op {threading.get_inter_op_parallelism_threads()} (0 = one per core)"
    )
    print(f"whole bank:    {wall:7.1f} s wall {cpu:7.1f} s CPU  = {audio_s / wall:,.0f}x real time")
    clock.cpu["frontend"] = cpu - sum(v for k, v in clock.cpu.items() if k not in ("frontend", "  int16"))
    for stage in STAGES.values():
        note = " (the rest of the CPU: TensorFlow's threads)" if stage == "frontend" else ""
        print(f"  {stage:<12} {clock.wall[stage]:7.1f} s wall {clock.cpu[stage]:7.1f} s CPU{note}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak memory {peak:,.0f} MiB (TensorFlow included)")
    print(f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after (shared machine: upper bounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
