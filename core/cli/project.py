"""`wakebench init`: start a project by writing a commented `wakebench.toml`."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from core.cli.output import print_json
from core.config import PROJECT_FILE, ProjectConfig, parse_words, save_config
from core.errors import ConfigError
from core.events import Done


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "init",
        help="start a project: write a commented wakebench.toml",
        description="Write DIR/wakebench.toml with the words and every setting (data sources, features, "
        "model, training, board), each with a comment. Every command reads it; flags override it. "
        "An existing project file is never overwritten.",
    )
    p.add_argument(
        "dir", nargs="?", type=Path, default=Path("."), metavar="DIR", help="project folder (default: .)"
    )
    p.add_argument("--words", default="stop,go", help="comma-separated keywords (default: stop,go)")
    p.add_argument("--board", help="board profile, e.g. edgebadge or nano33ble (default: edgebadge)")
    p.add_argument("--speech-commands", metavar="DIR", help="use Google Speech Commands from this folder too")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(run=cmd_init)


def init_project(
    directory: str | Path, words: list[str], board: str | None = None, speech_commands_dir: str | None = None
) -> Path:
    """Write `directory/wakebench.toml`; refuses (ConfigError) when one is already there."""
    path = Path(directory) / PROJECT_FILE
    if path.exists():
        raise ConfigError(
            f"{path} already exists; it was left as it is",
            "edit it, or run `wakebench init` in another folder",
        )
    config = ProjectConfig(words=words)
    if board:
        config = config.replace(board=dataclasses.replace(config.board, profile=board))
    if speech_commands_dir:
        config = config.replace(
            data=dataclasses.replace(config.data, speech_commands_dir=speech_commands_dir)
        )
    save_config(config, path)
    return path


def cmd_init(args: argparse.Namespace) -> int:
    words = parse_words(args.words)
    path = init_project(args.dir, words, board=args.board, speech_commands_dir=args.speech_commands)
    if args.json:
        print_json(Done({"path": str(path), "words": words}).to_json())
    else:
        print(f"wrote {path} (words: {', '.join(words)})")
        print("next: `wakebench data synth` makes the offline keyword clips, `wakebench train` trains")
    return 0
