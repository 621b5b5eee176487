"""`wakebench train | export | eval`: train a model, export it for the board, measure it on a folder.

Defaults come from `wakebench.toml` in the current folder when there is one; flags override it.
TensorFlow and the model stack are imported inside the commands, so that `wakebench --help` and a
mistyped argument answer at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from core.cli.cancel import stop_on_signals
from core.cli.common import current_project
from core.cli.output import EventPrinter
from core.config import ProjectConfig, parse_words
from core.errors import ConfigError
from core.events import CancelToken


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a keyword model into runs/<id>/",
        description="Train the model on the project's data and write runs/<id>/ (config, metrics.jsonl, "
        "checkpoints). Without a wakebench.toml and without --data, the default synthetic set for the "
        "words is made first, so `wakebench train --words stop,go` works on a fresh machine. Ctrl-C saves "
        "a checkpoint and stops; --resume continues.",
    )
    p.add_argument("--words", help="comma-separated keywords (default: the project's, else stop,go)")
    p.add_argument(
        "--data", nargs="+", metavar="DIR", default=[], help="extra folders in Speech Commands layout"
    )
    p.add_argument("--steps", type=_ints, help="steps per learning-rate phase (default: the recipe's)")
    p.add_argument("--lr", type=_floats, help="learning rate per phase (default: the recipe's)")
    p.add_argument("--model", help="model architecture (default: the recipe's)")
    p.add_argument(
        "--recipe",
        help="start from a named recipe: default (streaming-true, ~3 min) or seed (micro_speech's 18,000 steps); "
        "--steps/--lr/--model still override it",
    )
    p.add_argument("--run-dir", type=Path, help="folder of the new run (default: runs/<date>-<time>-<words>)")
    p.add_argument(
        "--resume", metavar="RUN", help="continue RUN (a run folder, an id under runs/, or latest)"
    )
    p.add_argument(
        "--devices",
        type=_devices,
        default=1,
        metavar="N|all",
        help="train on N GPUs (or all) with MirroredStrategy; the same run folder either way (default: 1)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the result")
    p.set_defaults(run=cmd_train)

    p = subparsers.add_parser(
        "export",
        help="export a run: int8 model.tflite, C files, report (checked in the TFLM interpreter)",
        description="Convert RUN's model to full-integer int8 TFLite, refuse it if the firmware cannot run "
        "it, measure its tensor arena in the TFLM interpreter, compare float and int8 accuracy on the test "
        "split, and write model.tflite, model_data.cpp/.h, model_settings.h and report.json into RUN. "
        "--firmware-dir then copies the three C files into the sketch folder (firmware/wakebench).",
    )
    p.add_argument("run_name", metavar="RUN", help="run folder, id under runs/, or latest")
    p.add_argument(
        "--firmware-dir",
        type=Path,
        metavar="DIR",
        help="also write model_data.cpp/.h and model_settings.h into this sketch folder (holds wakebench.ino)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the report")
    p.set_defaults(run=cmd_export)

    p = subparsers.add_parser(
        "eval",
        help="accuracy of an exported run on a folder, or its streaming FRR and false accepts per hour",
        description="Run RUN's int8 model in the TFLM interpreter on every clip of DIR (Speech Commands "
        "layout; folders that are not labels count as _unknown_) and print accuracy, per-class accuracy and "
        "the confusion matrix (rows: true labels, columns: predictions). With --stream: lay the keyword "
        "clips inside phrases of other words and the other words into continuous speech, run it all "
        "through the live detection path (as `detect` and the board) and print the false-reject rate and "
        "false accepts per hour per word; without --data the run's testing split is used.",
    )
    p.add_argument("run_name", metavar="RUN", help="run folder, id under runs/, or latest")
    p.add_argument("--data", type=Path, metavar="DIR", help="folder to evaluate on")
    p.add_argument("--stream", action="store_true", help="streaming metrics: FRR and FA/h per word")
    p.add_argument(
        "--negatives",
        nargs="+",
        default=[],
        metavar="WAV",
        help="with --stream: long recordings without the keywords, for false accepts per hour",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the result")
    p.set_defaults(run=cmd_eval)


def _ints(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers like 15000,3000, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers like 15000,3000, got {text!r}")
    return values


def _devices(text: str) -> int | str:
    """`--devices N|all`."""
    if text == "all":
        return "all"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of devices or `all`, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _floats(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 0.001,0.0001, got {text!r}") from None
    if not values or any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers like 0.001,0.0001, got {text!r}")
    return values


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _quiet_tensorflow() -> None:
    """Import TensorFlow now with its C++ start-up notes (oneDNN, absl) kept off the terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from core.model.tflm import quiet_stderr  # lazy: the model stack

    with quiet_stderr():
        import tensorflow  # noqa: F401


def training_config(args: argparse.Namespace, config: ProjectConfig) -> ProjectConfig:
    """The project config with the command-line overrides applied."""
    if args.recipe:
        from core.model.recipes import apply_recipe

        config = apply_recipe(config, args.recipe)
    t = config.training
    changes = {}
    if args.steps:
        changes["steps"] = args.steps
    if args.lr:
        changes["learning_rates"] = args.lr
    if args.model:
        changes["model"] = args.model
    if changes:
        config = config.replace(training=dataclasses.replace(t, **changes))
    if args.words:
        config = config.replace(words=parse_words(args.words))
    return config


def cmd_train(args: argparse.Namespace) -> int:
    if args.resume:
        given = [
            f"--{name.replace('_', '-')}"
            for name in ("words", "steps", "lr", "model", "recipe", "run_dir")
            if getattr(args, name)
        ]
        given += ["--data"] if args.data else []
        if given:
            raise ConfigError(
                f"{', '.join(given)} cannot change a run that is resumed (it keeps its own settings)",
                "drop them, or start a new run without --resume",
            )
    project = current_project()
    _quiet_tensorflow()  # after the flag checks: a wrong command fails without waiting for TensorFlow
    from core.model.architectures import get_model_spec  # lazy: the model stack
    from core.model.train import train  # lazy: the model stack

    project_file, project_dir = project.file, project.root
    config = training_config(args, project.config)
    get_model_spec(config.training.model)  # an unknown --model fails before any work
    printer = EventPrinter(args.json)
    with stop_on_signals(printer, "saving a checkpoint") as token:
        if not args.resume and project_file is None and not args.data:
            _make_default_data(config, project_dir, printer, token)
        result = train(
            config,
            project_dir,
            run_dir=args.run_dir,
            resume=args.resume or False,
            extra_dirs=args.data,
            devices=args.devices,
            on_event=printer,
            cancel=token,
        )
    if not args.json:
        print(
            f"{result.run_dir}: {result.steps:,} steps, validation accuracy {_percent(result.val_accuracy)}, "
            f"test accuracy {_percent(result.test_accuracy)} ({result.steps_per_second:.0f} steps/s)"
        )
        print(f"next: wakebench export {result.run_dir}")
    return 0


def _make_default_data(
    config: ProjectConfig, project_dir: Path, printer: EventPrinter, token: CancelToken
) -> None:
    from core.data.synth import synthesize_dataset  # lazy: the audio stack

    out = project_dir / config.data.synthetic_dir
    if not printer.json_lines:
        print(
            f"no wakebench.toml and no --data: making the synthetic set for {', '.join(config.words)} in {out}"
        )
    synthesize_dataset(
        config.words,
        out,
        per_word=config.data.synth_per_word,
        seed=config.data.synth_seed,
        engines=config.data.synth_engines,
        on_event=printer,
        cancel=token,
    )


def cmd_export(args: argparse.Namespace) -> int:
    _quiet_tensorflow()
    from core.model.export import export_run  # lazy: the model stack
    from core.model.runs import resolve_run  # lazy: the model stack

    run = resolve_run(args.run_name, ".")
    printer = EventPrinter(args.json)
    with stop_on_signals(printer, "nothing is written until the export is complete") as token:
        report = export_run(run, firmware_dir=args.firmware_dir, on_event=printer, cancel=token)
    if not args.json:
        print(
            f"{run.path}: model {report.model_bytes:,} bytes, arena {report.arena_bytes:,} bytes (measured in TFLM)"
        )
        print(f"ops: {', '.join(report.ops)}")
        print(
            f"test accuracy ({report.test_clips} clips): float {_percent(report.float_accuracy)}, int8 {_percent(report.int8_accuracy)}"
        )
        print(f"wrote {', '.join(report.files)} and report.json")
        if args.firmware_dir is not None:
            print(
                f"installed model {report.model_sha8} into {args.firmware_dir} (build it: firmware/README.md)"
            )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.stream:
        return _stream_eval(args)
    if args.data is None:
        raise ConfigError(
            "eval needs --data DIR (or --stream)", "e.g. wakebench eval latest --data data/synthetic"
        )
    if args.negatives:
        raise ConfigError("--negatives is for --stream", "add --stream")
    _quiet_tensorflow()
    from core.model.evaluate import evaluate_folder  # lazy: the model stack
    from core.model.runs import resolve_run  # lazy: the model stack

    run = resolve_run(args.run_name, ".")
    printer = EventPrinter(args.json)
    with stop_on_signals(printer) as token:
        result = evaluate_folder(run, args.data, on_event=printer, cancel=token)
    if not args.json:
        out = sys.stdout
        out.write(f"{result.data_dir}: accuracy {result.accuracy:.1%} on {result.clips} clips")
        out.write(f" ({len(result.skipped)} unreadable skipped)\n" if result.skipped else "\n")
        width = max(len(label) for label in result.labels)
        for label, acc in result.per_class.items():
            out.write(f"  {label:<{width}}  {'no clips' if acc is None else f'{acc:.1%}'}\n")
        out.write("confusion (rows: true, columns: predicted)\n")
        out.write(" " * (width + 2) + " ".join(f"{label[:8]:>8}" for label in result.labels) + "\n")
        for label, row in zip(result.labels, result.confusion, strict=True):
            out.write(f"  {label:<{width}}" + " ".join(f"{n:>8}" for n in row) + "\n")
    return 0


def _stream_eval(args: argparse.Namespace) -> int:
    from core.model.runs import resolve_run  # lazy: the model stack
    from core.model.stream_eval import evaluate_stream  # lazy: TFLM (no TensorFlow)

    run = resolve_run(args.run_name, ".")
    printer = EventPrinter(args.json)
    with stop_on_signals(printer) as token:
        result = evaluate_stream(run, args.data, args.negatives, on_event=printer, cancel=token)
    if not args.json:
        m = result.metrics
        r = m.recognizer
        out = sys.stdout
        out.write(
            f"{result.source}: {m.keyword_clips} keywords in {m.keyword_hours * 60:.1f} min of phrases, "
            f"{m.negative_hours * 60:.1f} min without keywords\n"
        )
        out.write(
            f"recognizer: window {r['average_window_ms']} ms, threshold {r['detection_threshold']}, "
            f"every {r['inference_every_frames']} frames\n"
        )
        for w in m.words:
            frr = "no clips" if w.frr is None else f"FRR {w.frr:.1%} ({w.missed}/{w.keywords} missed)"
            fa = "n/a" if w.fa_per_hour is None else f"{w.fa_per_hour:.2f} FA/h ({w.false_accepts})"
            out.write(f"  {w.word:<12} {frr:<28} {fa}\n")
        if m.fa_per_hour is not None:
            out.write(
                f"all words: FRR {_percent(m.frr)}, {m.fa_per_hour:.2f} false accepts per hour "
                f"(95 % upper bound {m.fa_per_hour_upper95:.2f}/h); {m.wrong_in_keyword_streams} wrong "
                "detections inside the phrases\n"
            )
    return 0
