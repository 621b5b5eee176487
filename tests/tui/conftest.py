"""Fixtures for the app tests: a small project on disk, no arduino-cli (so screens match everywhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.helpers import make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A stop/go project called "demo" with 3+2 synthetic clips, a recording and a capture."""
    return make_project(tmp_path / "demo")


@pytest.fixture(autouse=True)
def no_arduino_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Build pane tells whether arduino-cli is installed; pin the answer so screens are the same everywhere."""
    import tui.app

    monkeypatch.setattr(tui.app, "arduino_cli_path", lambda: None)
