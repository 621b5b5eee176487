"""`wakebench loop RUN`: retrain on what is new since RUN, export, check, build, flash (core.loop)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from core.cli.cancel import stop_on_signals
from core.cli.common import current_project, positive_int
from core.cli.output import EventPrinter


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "loop",
        help="retrain RUN on your new recordings and captures, then export, build and flash it",
        description="Fine-tune a new run from RUN's last checkpoint on RUN's data plus the recordings and "
        "board captures newer than RUN (weighted up: [loop] new_clip_share of every batch), export it, "
        "show how the new clips score before and after, then build and flash it and check the board's "
        "hello. RUN and the board's firmware are only replaced by a new run that passed every stage.",
    )
    p.add_argument("run_name", metavar="RUN", help="exported run: a folder, an id under runs/, or latest")
    p.add_argument("--board", help="board profile (default: the project's [board] profile, else edgebadge)")
    p.add_argument("--port", help="serial port (default: [board] port, else the one board found)")
    p.add_argument("--no-flash", action="store_true", help="stop after the check: no arduino-cli, no board")
    p.add_argument("--steps", type=positive_int, help="fine-tuning steps (default: [loop] steps, 1000)")
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the result")
    p.set_defaults(run=cmd_loop)


def cmd_loop(args: argparse.Namespace) -> int:
    from core.arduino.build import project_sketch_dir
    from core.board.profiles import SKETCH_DIR
    from core.cli.build import board_profile, open_cli
    from core.cli.train import _quiet_tensorflow
    from core.model.runs import resolve_run

    project = current_project()
    run = resolve_run(args.run_name, project.root)
    loop = project.config.loop
    if args.steps:
        loop = dataclasses.replace(loop, steps=args.steps)
    board = cli = None
    sketch = SKETCH_DIR
    if not args.no_flash:
        board = board_profile(args, project)
        sketch = project_sketch_dir(project.config.board.sketch_dir, project.root)
        cli = open_cli(project)  # before training: a missing arduino-cli is said at once
    _quiet_tensorflow()
    from core.loop import retrain_loop

    printer = EventPrinter(args.json)
    with stop_on_signals(printer, "stopping the loop (the last good model and firmware stay)") as token:
        result = retrain_loop(
            run,
            loop,
            board=board,
            cli=cli,
            port=args.port or project.config.board.port,
            baud=project.config.board.baud,
            sketch_dir=sketch,
            on_event=printer,
            cancel=token,
        )
    if not args.json:
        _summary(result)
    return 0


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _summary(result: Any) -> None:
    before, after = result.new_clip_scores
    print(f"{result.run_dir}: fine-tuned {result.steps:,} steps from {result.parent}")
    print(
        f"new clips ({result.new_clips}): {_percent(before.accuracy)} right before, {_percent(after.accuracy)} after"
    )
    print(f"test accuracy: {_percent(result.test_accuracy[0])} -> {_percent(result.test_accuracy[1])}")
    for word, (was, now) in result.per_word.items():
        print(f"  {word:<12} {_percent(was)} -> {_percent(now)}")
    print(f"model {result.model_bytes[0]:,} -> {result.model_bytes[1]:,} bytes")
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.stage_seconds.items())
    print(f"stages: {stages} (host part {result.host_seconds:.1f} s)")
    if result.flashed:
        print(f"flashed {result.flashed['port']}: the board runs model {result.flashed['model_sha8']}")
