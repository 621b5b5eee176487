"""`wakebench build | flash | arduino`: the run's firmware through arduino-cli.

arduino-cli is found through `[board] arduino_cli` in wakebench.toml or PATH; without it every command
says how to install it. Heavy modules are imported inside the commands so `wakebench --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Literal

from core.cli.cancel import stop_on_signals
from core.cli.common import CurrentProject, current_project
from core.cli.output import EventPrinter
from core.errors import CompileError

SKETCH_HELP = (
    "sketch folder to build (default: [board] sketch_dir, else firmware/wakebench; copied, never edited)"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "build",
        help="compile a run's firmware with arduino-cli and report flash and RAM",
        description="Check that RUN's exported model fits the board (ops, input, flash, RAM/arena), compile "
        "the sketch with the run's model files and the board's sketch.yaml profile (firmware/ is never "
        "edited), and copy the sketch and images into RUN/firmware/<board>/.",
    )
    p.add_argument("run_name", metavar="RUN", help="exported run: a folder, an id under runs/, or latest")
    p.add_argument("--board", help="board profile (default: the project's [board] profile, else edgebadge)")
    p.add_argument("--sketch", type=Path, metavar="DIR", help=SKETCH_HELP)
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the result")
    p.set_defaults(run=cmd_build)

    p = subparsers.add_parser(
        "flash",
        help="upload a run's firmware (building it first if needed) and check the board runs it",
        description="Build RUN for the board if it has no build of its model, upload it (to --port, or the "
        "one board of that kind plugged in), then wait for the board's hello and check that it reports "
        "RUN's model hash.",
    )
    p.add_argument("run_name", metavar="RUN", help="exported run: a folder, an id under runs/, or latest")
    p.add_argument("--board", help="board profile (default: the project's [board] profile, else edgebadge)")
    p.add_argument("--port", help="serial port (default: [board] port, else the one board found)")
    p.add_argument("--sketch", type=Path, metavar="DIR", help=SKETCH_HELP)
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the result")
    p.set_defaults(run=cmd_flash)

    p = subparsers.add_parser(
        "arduino",
        help="check arduino-cli, or install a board's platform and libraries into it",
        description="`wakebench arduino check` finds arduino-cli and checks its version (1.3 or newer); "
        "`wakebench arduino setup` installs the board profile's platform (with its index URL) and "
        "libraries at their pinned versions ([board] private_toolchain = true keeps them in "
        ".wakebench/arduino/).",
    )
    p.add_argument("action", choices=["check", "setup"], help="what to do")
    p.add_argument("--board", help="board profile (default: the project's [board] profile, else edgebadge)")
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the result")
    p.set_defaults(run=cmd_arduino)


def open_cli(project: CurrentProject) -> Any:
    from core.arduino.cli import ArduinoCli

    board = project.config.board
    return ArduinoCli.open(board.arduino_cli, project.root, board.private_toolchain)


def board_profile(args: argparse.Namespace, project: CurrentProject) -> Any:
    from core.board.profiles import get_board

    return get_board(args.board or project.config.board.profile)


def sketch_folder(args: argparse.Namespace, project: CurrentProject) -> Path:
    from core.arduino.build import project_sketch_dir
    from core.board.firmware_files import check_sketch_dir

    if args.sketch:
        return check_sketch_dir(args.sketch)
    return project_sketch_dir(project.config.board.sketch_dir, project.root)


def cmd_build(args: argparse.Namespace) -> int:
    from core.arduino.build import build_run
    from core.model.runs import resolve_run

    project = current_project()
    profile = board_profile(args, project)
    run = resolve_run(args.run_name, project.root)
    cli = open_cli(project)
    printer = EventPrinter(args.json)
    with stop_on_signals(printer, "stopping the compile") as token, _show_compiler_output():
        report = build_run(
            run, profile, cli, sketch_dir=sketch_folder(args, project), on_event=printer, cancel=token
        )
    if not args.json:
        ram = f"{report.ram_used:,}" if report.ram_used is not None else "?"
        print(f"{run.path}: built model {report.model_sha8} for {profile.title} in {report.seconds:.1f} s")
        print(
            f"flash {report.flash_used:,} of {report.flash_max:,} bytes ({report.flash_used / report.flash_max:.0%})"
        )
        print(f"RAM   {ram} of {report.ram_max:,} bytes (from {report.ram_source})")
        print(f"images in {report.build_dir}; next: wakebench flash {run.path}")
    return 0


def cmd_flash(args: argparse.Namespace) -> int:
    from core.arduino.flash import flash_run
    from core.model.runs import resolve_run

    project = current_project()
    profile = board_profile(args, project)
    run = resolve_run(args.run_name, project.root)
    cli = open_cli(project)
    printer = EventPrinter(args.json)
    port = args.port or project.config.board.port
    with stop_on_signals(printer, "stopping") as token, _show_compiler_output():
        report = flash_run(
            run,
            profile,
            cli,
            port=port,
            baud=project.config.board.baud,
            sketch_dir=sketch_folder(args, project),
            on_event=printer,
            cancel=token,
        )
    if not args.json:
        print(f"{profile.title} on {report.port} runs model {report.model_sha8} ({report.hello})")
    return 0


def cmd_arduino(args: argparse.Namespace) -> int:
    project = current_project()
    cli = open_cli(project)
    printer = EventPrinter(args.json)
    if args.action == "check":
        info = cli.version()
        if args.json:
            from core.cli.output import print_json

            print_json({"event": "done", "executable": str(cli.executable), "version": info.version})
        else:
            print(f"{cli.executable}: arduino-cli {info.version} (1.3 or newer: fine)")
        return 0
    from core.arduino.setup import setup_toolchain

    profile = board_profile(args, project)
    with stop_on_signals(printer, "stopping the install") as token:
        report = setup_toolchain(profile, cli, on_event=printer, cancel=token)
    if not args.json:
        where = f" in {report.private_dir}" if report.private_dir else ""
        print(f"installed {report.platform} and {len(report.libraries)} libraries for {profile.title}{where}")
    return 0


class _show_compiler_output:
    """Print the compiler's own messages (on stderr) when a build fails, before the error line."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> Literal[False]:
        if isinstance(exc, CompileError) and exc.compiler_output:
            sys.stderr.write(exc.compiler_output.rstrip() + "\n")
        return False
