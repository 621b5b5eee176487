"""The README's model table: every registered architecture trained on the same data with the same recipe,
exported (int8, TFLM-checked, recognizer calibrated to 0.5 false accepts/hour on the validation split) and
measured on the testing split (speakers no model trained on) through the live streaming path.

Columns: clip accuracy (int8, test split), FRR and FA/h on the test streams at the calibrated setting,
flash (model bytes), tensor arena (measured in TFLM), multiply-adds per inference, PC inference time
(one TFLM invoke, median of 200). The row order is by streaming FRR; the best that fits the EdgeBadge
(<= 150 KB model, <= 64 KB arena) is marked.

Usage: python bench/model_table.py PROJECT [--models a,b] [--steps 6000,1500] [--write-readme]
       python bench/model_table.py --runs RUN ... [--write-readme]   (measure exported runs, no training)
PROJECT is a project folder with data/synthetic (e.g. made by `wakebench train --words stop,go`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from heldout_figures import clip_figures  # noqa: E402  (bench/, this script's folder, is on sys.path)

from core.config import ProjectConfig  # noqa: E402
from core.model.architectures import build_model, model_names  # noqa: E402

START, END = "<!-- model-table:start -->", "<!-- model-table:end -->"
EDGEBADGE = (150 * 1024, 64 * 1024)
SEED_BUDGET = (20 * 1024, 16 * 1024)


def multiply_adds(model) -> int:
    """Multiply-accumulates of one inference of a Keras model (convolutions and dense layers)."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            total += h * w * c * kh * kw
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            total += h * w * c * kh * kw * layer.input.shape[-1]
        elif isinstance(layer, keras.layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return int(total)


def inference_ms(run_path: Path) -> float:
    from core.model.runs import RunDir
    from core.model.tflm import TflmModel

    model = TflmModel.from_run(RunDir(run_path))
    x = np.random.default_rng(0).integers(0, 700, (49, 40)).astype(np.uint16)
    times = []
    for _ in range(200):
        t = time.perf_counter()
        model.scores(x)
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000)


def measure(project: Path, name: str, steps: list[int] | None, held_out: Path | None = None) -> dict:
    from core.model.export import export_run
    from core.model.train import train

    config = ProjectConfig()
    changes = {"model": name}
    if steps:
        changes["steps"] = steps
        changes["learning_rates"] = [0.001, 0.0001][: len(steps)] + [0.0001] * max(0, len(steps) - 2)
    config = config.replace(training=dataclasses.replace(config.training, **changes))
    run_dir = project / "runs" / f"bench-{name}-{time.strftime('%H%M%S')}"
    started = time.monotonic()
    result = train(config, project, run_dir=run_dir)
    trained = time.monotonic()
    export_run(result.run_dir)
    exported = time.monotonic()
    return measure_run(Path(result.run_dir), trained - started, exported - trained, held_out)


def measure_run(
    run_path: Path,
    train_s: float | None = None,
    export_s: float | None = None,
    held_out: Path | None = None,
) -> dict:
    """The row of an exported (and calibrated) run."""
    from core.model.runs import RunDir
    from core.model.stream_eval import evaluate_stream

    run = RunDir.open(run_path)
    report = run.report
    if report is None:
        raise SystemExit(f"{run_path} is not exported")
    config = run.config
    name = config.training.model
    stream = evaluate_stream(run).metrics
    c = report.calibration or {}
    return {
        "model": name,
        "steps": sum(config.training.steps),
        "clip_accuracy": report.int8_accuracy,
        "frr": stream.frr,
        "fa_per_hour": stream.fa_per_hour,
        "fa_upper95": stream.fa_per_hour_upper95,
        "test_negative_hours": stream.negative_hours,
        "calibrated": {
            k: c.get(k) for k in ("average_window_ms", "detection_threshold", "frr", "fa_per_hour", "met")
        },
        "flash": report.model_bytes,
        "arena": report.arena_bytes,
        "macs": multiply_adds(build_model(name, config.features, len(config.labels))),
        "inference_ms": inference_ms(run_path),
        "train_s": None if train_s is None else round(train_s, 1),
        "export_s": None if export_s is None else round(export_s, 1),
        "held_out": clip_figures(run, held_out) if held_out else None,
        "run": str(run_path),
    }


def _rank(row: dict) -> tuple[float, float]:
    """Streaming FRR first; between equal FRRs (every model misses nearly all at 0.5 FA/h), the mean
    keyword recall on the held-out engine, when measured."""
    frr = row["frr"] if row["frr"] is not None else 1.0
    held = row.get("held_out")
    recall = float(np.mean(list(held["keyword_recall"].values()))) if held else 0.0
    return round(frr, 3), -recall


def table(rows: list[dict]) -> str:
    fitting = [r for r in rows if r["flash"] <= EDGEBADGE[0] and r["arena"] <= EDGEBADGE[1]]
    best = min(fitting, key=_rank) if fitting else None
    held = all(r.get("held_out") for r in rows)
    header = "| model | clip accuracy | FRR at 0.5 FA/h | FA/h measured |"
    header += " held-out engine: recall | other words taken |" if held else ""
    header += " flash | arena | multiply-adds | PC inference |"
    lines = [header, "|---" * (header.count("|") - 1) + "|"]
    for r in sorted(rows, key=_rank):
        budget = (
            "seed budget" if r["flash"] <= SEED_BUDGET[0] and r["arena"] <= SEED_BUDGET[1] else "EdgeBadge"
        )
        mark = " (best on the EdgeBadge)" if r is best else ""
        frr = "—" if r["frr"] is None else f"{r['frr']:.1%}"
        fa = "—" if r["fa_per_hour"] is None else f"{r['fa_per_hour']:.1f} (≤ {r['fa_upper95']:.1f})"
        row = f"| `{r['model']}`{mark} | {r['clip_accuracy']:.1%} | {frr} | {fa} |"
        if held:
            recall = ", ".join(f"{w} {v:.0%}" for w, v in r["held_out"]["keyword_recall"].items())
            row += f" {recall} | {r['held_out']['other_words_taken_for_keyword']:.1%} |"
        row += f" {r['flash']:,} B ({budget}) | {r['arena']:,} B | {r['macs'] / 1e6:.2f} M | {r['inference_ms']:.2f} ms |"
        lines.append(row)
    return "\n".join(lines)


def write_readme(text: str, note: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text()
    block = f"{START}\n{text}\n\n{note}\n{END}"
    if START in content:
        content = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, content, flags=re.S)
    else:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    readme.write_text(content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, nargs="?", default=Path("."))
    parser.add_argument(
        "--runs", nargs="+", type=Path, help="measure these exported runs instead of training"
    )
    parser.add_argument("--models", default=",".join(model_names()))
    parser.add_argument("--steps", help="steps per phase for every model (default: the default recipe's)")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--json", type=Path, help="also save the rows here")
    parser.add_argument(
        "--held-out-dir",
        type=Path,
        help="clips of an engine the training never heard (bench/heldout_figures.py makes them): adds its columns",
    )
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")] if args.steps else None
    rows = []
    if args.runs:
        for run_path in args.runs:
            rows.append(measure_run(run_path, held_out=args.held_out_dir))
            print(json.dumps(rows[-1]), flush=True)
    else:
        for name in args.models.split(","):
            rows.append(measure(args.project.resolve(), name, steps, args.held_out_dir))
            print(json.dumps(rows[-1]), flush=True)
    text = table(rows)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if args.write_readme:
        n = rows[0]
        steps = sorted({r["steps"] for r in rows})
        note = (
            f"*`python bench/model_table.py` on the default stop/go synthetic set, {' / '.join(f'{s:,}' for s in steps)} steps; "
            f"FRR and FA/h on the test split's streams ({n['test_negative_hours'] * 60:.0f} min without keywords; "
            "in brackets the 95 % upper bound), at the threshold and window calibrated on the validation split; "
            "PC inference on this 2-core machine while other jobs ran.*"
        )
        write_readme(text, note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
