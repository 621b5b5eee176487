"""How long the host part of the retrain loop takes for 20 new clips: new clips, fine-tune, export, check
(no arduino-cli, no board). Target: <= 30 s on this machine.

Builds the default synthetic stop/go set (600 clips per word, 79 other words, noise), trains a base
run on it with the default recipe cut to --base-steps (the loop's cost does not depend on how long the
base trained), exports it, then puts 20 clips of a voice the base never heard (Piper's "joe": 7 "stop",
7 "go", 6 other words as `_unknown_`) into data/captures/ and runs `core.loop.retrain_loop` with the
default [loop] settings (1,000 steps, new clips 25 % of each batch, batch 100) --loops times, printing
each stage's time. The base's feature cache is warm, as it is in a project that trained before.
Usage:
    python bench/loop_speed.py [--base-steps 3000] [--loops 2] [--project DIR]

The machine is shared with whatever else runs; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.config import PROJECT_FILE, LoopSettings, ProjectConfig, save_config  # noqa: E402

TARGET_S = 30.0
CAPTURED_OTHER_WORDS = ("stuff", "talk", "got", "dot", "slow", "coat")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-steps", type=int, default=3000, help="steps of the base run (default 3000)")
    parser.add_argument("--loops", type=int, default=2, help="loops to time (default 2)")
    parser.add_argument(
        "--project", type=Path, help="project folder to use and keep (default: a temporary one)"
    )
    args = parser.parse_args()

    from core.data.synth import synthesize_dataset
    from core.loop import retrain_loop
    from core.model.export import export_run
    from core.model.runs import RunDir
    from core.model.train import train
    from tests.loop.voices import WORDS, piper_clips

    project = args.project or Path(tempfile.mkdtemp(prefix="wakebench-loop-speed-"))
    project.mkdir(parents=True, exist_ok=True)
    base_config = ProjectConfig(words=list(WORDS))
    base_config = base_config.replace(
        training=dataclasses.replace(base_config.training, steps=[args.base_steps], learning_rates=[0.001])
    )
    save_config(base_config, project / PROJECT_FILE)
    print(f"project {project}; load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")

    started = time.monotonic()
    synthesize_dataset(base_config.words, project / base_config.data.synthetic_dir, per_word=600)
    print(f"default synthetic set: {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    base = RunDir.open(train(base_config, project, run_dir=project / "runs" / "base").run_dir)
    export_run(base)
    print(f"base run ({args.base_steps:,} steps) trained and exported: {time.monotonic() - started:.1f} s")

    loops = []
    for n in range(args.loops):
        captures = project / base_config.data.captures_dir
        shutil.rmtree(captures, ignore_errors=True)
        for word in WORDS:
            piper_clips(captures, word, 7, seed=1 + n, prefix="joecap")
        spoken = project / ".spoken"
        for word in CAPTURED_OTHER_WORDS:
            (path,) = piper_clips(spoken, word, 1, seed=1 + n, prefix=f"joecap-{word}")
            (captures / "_unknown_").mkdir(parents=True, exist_ok=True)
            shutil.move(path, captures / "_unknown_" / path.name)
        result = retrain_loop(base, LoopSettings())
        loops.append(result)
        stages = "  ".join(f"{name} {seconds:5.2f} s" for name, seconds in result.stage_seconds.items())
        before, after = result.new_clip_scores
        print(
            f"loop {n + 1}: {result.new_clips} new clips ({result.new_training_clips} train), "
            f"{result.steps:,} steps: {stages}  -> host part {result.host_seconds:.2f} s "
            f"(new clips right: {before.accuracy:.0%} before, {after.accuracy:.0%} after)"
        )
    worst = max(r.host_seconds for r in loops)
    verdict = "meets" if worst <= TARGET_S else "MISSES"
    print(
        f"host part of the loop: worst {worst:.2f} s of {len(loops)} (target <= {TARGET_S:.0f} s): {verdict} it"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.project is None:
        shutil.rmtree(project, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
