"""`wakebench sweep SPEC.toml`: a search over config keys on Ray Tune (optional extra `[scale]`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli.common import current_project, positive_int
from core.cli.output import EventPrinter
from core.model.sweep_spec import load_sweep_spec


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="search over config keys with Ray Tune; trials are ordinary runs, ranked for the board",
        description="Run the search of SPEC.toml ([sweep], [base], [search] tables of dotted config keys) on "
        "Ray Tune: a local Ray by default, or an existing cluster with --address (or RAY_ADDRESS). Each trial "
        "is a run folder under runs/, ASHA stops poor trials early (by validation accuracy), each finished "
        "trial is exported with its recognizer calibrated to the spec's false-accept target, and the result is "
        "a table ranked by false-reject rate at that target (FA/h marked ! where the target could not be met), "
        "with flash and arena bytes and whether each fits the board. Ctrl-C saves the "
        "sweep; the same command continues it (finished trials are not run again).",
    )
    p.add_argument("spec", type=Path, metavar="SPEC.toml", help="the sweep specification")
    p.add_argument("--address", help="join this Ray cluster (default: RAY_ADDRESS, else a local Ray)")
    p.add_argument("--trials", type=positive_int, help="samples of the search space (default: the spec's)")
    p.add_argument("--fresh", action="store_true", help="start the sweep again instead of continuing it")
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the result")
    p.set_defaults(run=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    spec = load_sweep_spec(args.spec)  # a bad spec is refused before Ray is even imported
    from core.model.sweep import run_sweep

    project = current_project()
    printer = EventPrinter(args.json)
    # No core.cli.cancel here: Ray Tune handles Ctrl-C itself while it runs (it saves the experiment
    # state, then run_sweep raises Cancelled, exit 130), and its workers get the signal too.
    result = run_sweep(
        spec,
        project.config,
        project.root,
        address=args.address,
        trials=args.trials,
        fresh=args.fresh,
        on_event=printer,
    )
    if not args.json:
        print(f"sweep {result.name}: {len(result.trials)} trials, ranked by {result.metric} ({result.board})")
        print(
            f"{'trial':<14} {'state':<13} {'steps':>6} {'val':>6} {'int8':>6} {'flash B':>8} {'arena B':>8} fits"
        )
        for t in result.trials:
            print(
                f"{t.trial_id:<14} {t.state:<13} {t.step:>6} {_pct(t.frr):>6} {_rate(t.fa_per_hour, t.target_met):>6} "
                f"{_pct(t.val_accuracy):>6} {_pct(t.int8_accuracy):>6} "
                f"{_num(t.model_bytes):>8} {_num(t.arena_bytes):>8} {_fits(t.fits_board)}"
            )
        if result.best:
            print(f"best: {result.best.run_dir}  (export/flash it like any run)")
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _rate(value: float | None, met: bool | None) -> str:
    return "-" if value is None else f"{value:.1f}" + ("" if met else "!")


def _num(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _fits(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")
