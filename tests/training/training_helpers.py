"""Helpers of the training tests: a tiny tone dataset and project, and running the real CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from core.config import PROJECT_FILE, ProjectConfig, TrainingSettings, save_config
from tests.audio_factory import make_dataset

# Each word is a tone of its own pitch (varied per speaker): learnable in a few hundred steps.
WORDS = {"stop": 30, "go": 30, "left": 12, "right": 12, "up": 12}
SPEAKERS = 20  # enough speaker hashes that validation and testing are not empty


def tiny_config(**training: object) -> ProjectConfig:
    """The recipe shrunk for tests: 300 steps, validation and checkpoints every 100."""
    settings = dict(
        model="tiny_conv",  # the pipeline tests' model (the default is picked by bench/model_table.py)
        steps=[200, 100],
        learning_rates=[0.001, 0.0001],
        eval_every=100,
        checkpoint_every=100,
        augment_variants=2,
    )
    settings.update(training)
    return ProjectConfig(words=["stop", "go"], training=TrainingSettings(**settings))


def make_project(root: Path, config: ProjectConfig | None = None) -> Path:
    """A project folder: wakebench.toml plus the tone dataset as its synthetic set."""
    config = config or tiny_config()
    make_dataset(root / config.data.synthetic_dir, WORDS, speakers=SPEAKERS, source="tone")
    save_config(config, root / PROJECT_FILE)
    return root


def cli(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run the real `wakebench` CLI in a subprocess."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-m", "tui.launch", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        **kwargs,
    )


def json_lines(stdout: str) -> list[dict]:
    """Every stdout line parsed as JSON (fails the test if one is not JSON)."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def replace_training(config: ProjectConfig, **changes: object) -> ProjectConfig:
    return config.replace(training=dataclasses.replace(config.training, **changes))
