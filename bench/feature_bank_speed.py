"""How fast the training feature bank is computed the first time (core.features.cache), stage by stage.

Runs what `wakebench train` runs before its first step: the training split of a project (default: the
default synthetic stop/go set) through `load_split_data` with an empty feature cache, after setting
TensorFlow's threads as training does. Prints clips, variants, seconds of audio, wall and CPU seconds
of the whole bank and of each stage (reading, audio augmentation, frontend, SpecAugment, saving; each
stage runs by itself, using both cores inside), and the speed in x real time. Usage:
    python bench/feature_bank_speed.py --project DIR [--clips N] [--unknown-percentage P]

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


# The functions of core.features.cache that make up the stages (each called one at a time).
STAGES = {
    "_read_clip": "read",
    "_variants": "augment",
    "compute_features": "frontend",
    "spec_augment": "specaugment",
    "_save": "save",
}


class StageClock:
    """Wall and process-CPU seconds spent inside wrapped functions, per stage name."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    def wrap(self, module: Any, name: str, stage: str) -> None:
        inner: Callable[..., Any] = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), _cpu()
            try:
                return inner(*args, **kwargs)
            finally:
                self.wall[stage] += time.perf_counter() - wall
                self.cpu[stage] += _cpu() - cpu

        setattr(module, name, timed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True, help="project folder (wakebench.toml)")
    parser.add_argument("--clips", type=int, help="use only the first N training clips")
    parser.add_argument("--unknown-percentage", type=float, help="override data.unknown_percentage")
    parser.add_argument("--no-train-threads", action="store_true", help="leave TensorFlow's thread defaults")
    args = parser.parse_args()

    from core.config import load_config
    from core.features import cache
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
    for name, stage in STAGES.items():
        clock.wrap(cache, name, stage)
    if args.clips:
        real = cache.compute_clip_features

        def first_clips(requests: Any, *a: Any, **kw: Any) -> Any:
            # An even spread of the split (all labels), the rest reported as skipped (row -1).
            import numpy as np

            every = max(1, len(requests) // args.clips)
            result = real(requests[::every][: args.clips], *a, **kw)
            rows = np.full(len(requests), -1, np.int64)
            rows[::every][: len(result.rows)] = result.rows
            return dataclasses.replace(result, rows=rows)

        cache.compute_clip_features = first_clips  # type: ignore[assignment]
        import core.features.splits as splits

        splits.compute_clip_features = first_clips  # type: ignore[assignment]

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
    print(f"whole bank:    {wall:7.1f} s wall {cpu:7.1f} s CPU  = {audio_s / wall:,.0f}x real time")
    for stage in STAGES.values():
        print(f"  {stage:<12} {clock.wall[stage]:7.1f} s wall {clock.cpu[stage]:7.1f} s CPU")
    print(f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after (shared machine: upper bounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
