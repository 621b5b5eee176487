"""The CLI's command modules: each listed one exists and registers its commands; a listed module that
cannot be imported is an error, not a silently missing command."""

from __future__ import annotations

import importlib

import pytest

import core.cli
from core.cli import COMMAND_MODULES, build_parser


def test_every_listed_module_exists_and_registers_commands():
    for name in COMMAND_MODULES:
        assert callable(importlib.import_module(f"core.cli.{name}").register), name
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001 (argparse keeps them here)
    for command in ("init", "data", "train", "export", "eval", "detect", "listen", "record"):
        assert command in commands


def test_a_listed_module_that_does_not_exist_is_an_error(monkeypatch):
    monkeypatch.setattr(core.cli, "COMMAND_MODULES", (*COMMAND_MODULES, "no_such_commands"))
    with pytest.raises(ModuleNotFoundError, match="no_such_commands"):
        core.cli.build_parser()
