"""The `wakebench` command line: a thin face over `core`.

Each subcommand lives in its own module with a `register(subparsers)` function; this module only
builds the parser and turns `WakebenchError` into a message and an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import WakebenchError

# The modules under core.cli that add subcommands, in the order `--help` lists them. Adding a command
# group is one entry here (its module has `register(subparsers)`); a listed module that fails to import
# is an error, never skipped.
COMMAND_MODULES = ("project", "data", "train", "live", "board", "build", "loop", "sweep")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wakebench",
        description="Train your own wake word and run it on a microcontroller. "
        "Run without arguments to open the workbench app.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"core.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except WakebenchError as exc:
        print(f"wakebench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("wakebench: interrupted", file=sys.stderr)
        return 130
