"""Trials per hour of a sweep on this machine: the default search space on the default stop/go data.

    python bench/sweep_speed.py [--trials 4] [--spec assets/sweeps/default.toml] [--steps 5000,1000]

Makes a project in a temporary folder (the default synthetic set, as `wakebench train` would), runs the
sweep on a local Ray, and prints each trial's figures, the best one and the trials per hour.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from core.config import PROJECT_FILE, ProjectConfig, save_config
from core.data.synth import synthesize_dataset
from core.model.sweep import run_sweep
from core.model.sweep_spec import load_sweep_spec

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "assets" / "sweeps" / "default.toml")
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--steps", help="override the spec's [base] training.steps, e.g. 2000,500")
    args = parser.parse_args()

    spec = load_sweep_spec(args.spec)
    if args.steps:
        steps = [int(s) for s in args.steps.split(",")]
        spec = dataclasses.replace(spec, base={**spec.base, "training.steps": steps})
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        config = ProjectConfig()
        save_config(config, project / PROJECT_FILE)
        started = time.monotonic()
        synthesize_dataset(
            config.words, project / config.data.synthetic_dir, per_word=config.data.synth_per_word
        )
        data_seconds = time.monotonic() - started
        started = time.monotonic()
        result = run_sweep(spec, config, project, trials=args.trials)
        seconds = time.monotonic() - started
    done = [t for t in result.trials if t.state in ("finished", "stopped early")]
    print(
        f"spec {args.spec.name}: base {spec.base}, {len(result.trials)} trials, data made in {data_seconds:.0f} s"
    )
    for t in result.trials:
        val = "-" if t.val_accuracy is None else f"{t.val_accuracy:.1%}"
        int8 = "-" if t.int8_accuracy is None else f"{t.int8_accuracy:.1%}"
        print(f"  {t.trial_id}  {t.state:<13} step {t.step:>6}  val {val:>6}  int8 {int8:>6}  {t.params}")
    if result.best:
        print(f"best: {result.best.trial_id} val {result.best.val_accuracy:.1%}")
    print(f"sweep wall time {seconds:.0f} s, {len(done) * 3600 / seconds:.1f} trials/hour on this machine")


if __name__ == "__main__":
    main()
