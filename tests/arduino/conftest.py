"""Fixtures of the arduino-cli tests: the stand-in `arduino-cli` on PATH, a copy of the sketch folder with
its local library in place, and one small exported run (trained once per session)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from core.board.profiles import SKETCH_DIR

FAKE = Path(__file__).with_name("fake_arduino_cli.py")


class FakeArduinoCli:
    """The stand-in's bin folder, state folder and scenario."""

    def __init__(self, root: Path) -> None:
        self.bin_dir = root / "bin"
        self.state = root / "state"
        self.bin_dir.mkdir(parents=True)
        self.state.mkdir()
        self.path = self.bin_dir / "arduino-cli"
        self.path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
        self.path.chmod(0o755)

    def scenario(self, **values) -> None:
        current = self.read_scenario()
        current.update(values)
        (self.state / "scenario.json").write_text(json.dumps(current))

    def read_scenario(self) -> dict:
        path = self.state / "scenario.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def calls(self) -> list[dict]:
        path = self.state / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def commands(self) -> list[list[str]]:
        """argv of every call, without --json."""
        return [[a for a in c["argv"] if a != "--json"] for c in self.calls()]


@pytest.fixture
def fake_cli(tmp_path, monkeypatch) -> FakeArduinoCli:
    """The stand-in as `arduino-cli` on PATH (and nothing else called arduino-cli)."""
    fake = FakeArduinoCli(tmp_path / "fake-arduino")
    monkeypatch.setenv("FAKE_ARDUINO_STATE", str(fake.state))
    monkeypatch.setenv("PATH", f"{fake.bin_dir}{os.pathsep}{os.environ['PATH']}")
    return fake


@pytest.fixture
def no_arduino_cli(tmp_path, monkeypatch) -> None:
    """A PATH without any arduino-cli (python and the system tools stay reachable)."""
    keep = [d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / "arduino-cli").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(keep))


@pytest.fixture
def sketch_dir(tmp_path) -> Path:
    """A copy of firmware/wakebench with ../libraries/Arduino_TensorFlowLite present (fetch_tflm.sh's job)."""
    root = tmp_path / "firmware"
    shutil.copytree(SKETCH_DIR, root / "wakebench")
    (root / "libraries" / "Arduino_TensorFlowLite" / "src").mkdir(parents=True)
    (root / "libraries" / "Arduino_TensorFlowLite" / "library.properties").write_text(
        "name=Arduino_TensorFlowLite\n"
    )
    return root / "wakebench"


@pytest.fixture
def build_cache(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "build-cache"
    monkeypatch.setenv("WAKEBENCH_BUILD_CACHE", str(root))
    return root


@pytest.fixture(scope="session")
def exported_run(tmp_path_factory) -> Path:
    """A small exported stop/go run (tests/live/tiny_model.py: espeak-ng clips, a few hundred steps)."""
    from tests.live.tiny_model import train_tiny_run

    return train_tiny_run(tmp_path_factory.mktemp("arduino_project"), steps=300)


@pytest.fixture
def run_copy(exported_run, tmp_path) -> Path:
    """A private copy of the exported run's whole project (data, feature cache, the run), so a test can
    build into the run, add captures and retrain; the run's record points at the copy."""
    project = tmp_path / "project"
    shutil.copytree(exported_run.parent.parent, project)
    run = project / "runs" / exported_run.name
    info_path = run / "run.json"
    info = json.loads(info_path.read_text())
    info["project_dir"] = str(project.resolve())
    info_path.write_text(json.dumps(info))
    return run
