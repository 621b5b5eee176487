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


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic stop/go dataset made once by core (20 clips per word), shared read-only."""
    from core.data.synth import synthesize_dataset

    out = tmp_path_factory.mktemp("synthetic") / "data"
    synthesize_dataset(["stop", "go"], out, per_word=20, seed=0)
    return out


@pytest.fixture
def trainable_project(tmp_path: Path, synthetic_data: Path) -> Path:
    """A project using the shared synthetic data, with a training recipe of a few dozen steps."""
    from tests.tui.helpers import tiny_config

    return make_project(tmp_path / "demo", tiny_config(synthetic_data), clips={})
