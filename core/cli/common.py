"""Small pieces every command shares: the project in the current folder and argument types."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from core.config import ProjectConfig, find_project, load_config


@dataclass(frozen=True)
class CurrentProject:
    """The project the command runs in: its wakebench.toml (None outside a project), its settings
    (defaults outside one) and the folder its relative paths start from."""

    file: Path | None
    config: ProjectConfig
    root: Path


def current_project() -> CurrentProject:
    path = find_project(".")
    if path is None:
        return CurrentProject(None, ProjectConfig(), Path("."))
    return CurrentProject(path, load_config(path), path.parent)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
