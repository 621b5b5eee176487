"""How long the default synthetic dataset (stop/go, DataSettings defaults) takes to build here.

Prints the figures: clips per engine and kind, files per folder type, build time. The target on a
2-core machine is <= 300 s for the first build (issue 13, item 8); a re-run is near-instant. Usage:
    python bench/synth_speed.py [--words stop,go] [--per-word N] [--engines espeak,pico] [--workers N] [--keep DIR]
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

from core.config import BACKGROUND_NOISE_DIR, UNKNOWN_LABEL, DataSettings, parse_words  # noqa: E402
from core.data import word_folder  # noqa: E402
from core.data.synth import synthesize_dataset  # noqa: E402
from core.data.synth_backends import HELD_OUT_ENGINE  # noqa: E402


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
    parser.add_argument("--engines", default=",".join(defaults.synth_engines))
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
    engines = parse_words(args.engines)
    summary = synthesize_dataset(
        parse_words(args.words),
        out,
        per_word=args.per_word,
        seed=args.seed,
        workers=args.workers,
        engines=engines,
    )
    cold = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_before
    start = time.perf_counter()
    synthesize_dataset(
        parse_words(args.words),
        out,
        per_word=args.per_word,
        seed=args.seed,
        workers=args.workers,
        engines=engines,
    )
    warm = time.perf_counter() - start

    wavs = list(out.rglob("*.wav"))
    size_mb = sum(p.stat().st_size for p in wavs) / 1e6
    keyword_total = sum(summary.keyword_clips.values())
    folders = {
        "keywords": 0,
        "other words (pool)": 0,
        "_unknown_ (confusables, sentence windows)": 0,
        "background": 0,
    }
    for p in wavs:
        name = p.parent.name
        if name in {word_folder(w) for w in summary.keyword_clips}:
            folders["keywords"] += 1
        elif name == UNKNOWN_LABEL:
            folders["_unknown_ (confusables, sentence windows)"] += 1
        elif name == BACKGROUND_NOISE_DIR:
            folders["background"] += 1
        else:
            folders["other words (pool)"] += 1
    windows = (
        sum(1 for p in (out / UNKNOWN_LABEL).glob("*_nohash_sentence*.wav"))
        if (out / UNKNOWN_LABEL).is_dir()
        else 0
    )
    print(f"cpus                 {os.cpu_count()}  (workers {args.workers or os.cpu_count()})")
    print(
        f"engines              {', '.join(f'{e} {n} speakers' for e, n in summary.speakers_per_engine.items())}"
        f"  (held out: {HELD_OUT_ENGINE})"
    )
    print(
        f"words                {', '.join(summary.keyword_clips)}  x {args.per_word} clips, {summary.speakers} speakers"
    )
    for engine, kinds in sorted(summary.planned.items()):
        print(f"  {engine:<18} {', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}")
    print(f"unknown pool         {len(summary.unknown_words)} words, {summary.unknown_clips} clips")
    for name, n in folders.items():
        print(f"  {name:<45} {n} files")
    print(f"sentence windows     {windows}")
    print(f"background noise     {summary.background_seconds / 60:.1f} min")
    print(f"clips rendered       {summary.rendered_clips} jobs  ({keyword_total} keyword)")
    print(f"files / size         {len(wavs)} WAVs, {size_mb:.0f} MB")
    print(f"build time           {cold:.1f} s  ({len(wavs) / cold:.0f} files/s)  target <= 300 s")
    print(f"cpu time             {cpu:.1f} s in all processes  (load average now {os.getloadavg()[0]:.1f})")
    print(f"re-run (up to date)  {warm:.2f} s")
    if not args.keep:
        shutil.rmtree(out.parent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
