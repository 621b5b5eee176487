"""How long the default synthetic dataset (stop/go, DataSettings defaults) takes to build here.

Prints the figures; the target on a 2-core machine is <= 60 s. Usage:
    python bench/synth_speed.py [--words stop,go] [--per-word N] [--workers N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import DataSettings, parse_words  # noqa: E402
from core.data.synth import synthesize_dataset  # noqa: E402


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    defaults = DataSettings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", default="stop,go")
    parser.add_argument("--per-word", type=int, default=defaults.synth_per_word)
    parser.add_argument("--seed", type=int, default=defaults.synth_seed)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per CPU)")
    parser.add_argument("--keep", help="build into this (new) folder and keep it")
    args = parser.parse_args()

    out = (
        Path(args.keep)
        if args.keep
        else Path(tempfile.mkdtemp(prefix="wakebench-synth-bench-")) / "synthetic"
    )
    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    summary = synthesize_dataset(
        parse_words(args.words), out, per_word=args.per_word, seed=args.seed, workers=args.workers
    )
    cold = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_before
    start = time.perf_counter()
    synthesize_dataset(
        parse_words(args.words), out, per_word=args.per_word, seed=args.seed, workers=args.workers
    )
    warm = time.perf_counter() - start

    wavs = list(out.rglob("*.wav"))
    size_mb = sum(p.stat().st_size for p in wavs) / 1e6
    keyword_total = sum(summary.keyword_clips.values())
    print(f"cpus                 {os.cpu_count()}  (workers {args.workers or os.cpu_count()})")
    print(
        f"words                {', '.join(summary.keyword_clips)}  x {args.per_word} clips, {summary.speakers} speakers"
    )
    print(f"unknown pool         {len(summary.unknown_words)} words, {summary.unknown_clips} clips")
    print(f"background noise     {summary.background_seconds / 60:.1f} min")
    print(f"clips rendered       {summary.rendered_clips}  ({keyword_total} keyword)")
    print(f"files / size         {len(wavs)} WAVs, {size_mb:.0f} MB")
    print(f"build time           {cold:.1f} s  ({summary.rendered_clips / cold:.0f} clips/s)  target <= 60 s")
    print(f"cpu time             {cpu:.1f} s in all processes  (load average now {os.getloadavg()[0]:.1f})")
    print(f"re-run (up to date)  {warm:.2f} s")
    if not args.keep:
        shutil.rmtree(out.parent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
