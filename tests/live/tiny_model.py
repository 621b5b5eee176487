"""A small real stop/go model for the live tests and benches: espeak-ng clips, the project's training
recipe cut to a few hundred steps (with the seed's augmentation), exported to int8 and checked in TFLM by
`core.model.export`."""

from __future__ import annotations

from pathlib import Path

from core.config import SEED_AUGMENTATION, DataSettings, ProjectConfig, TrainingSettings

WORDS = ["stop", "go"]
OTHER_WORDS = ["hello", "table", "seven", "bird", "top", "dog"]


def tiny_config(steps: int = 600) -> ProjectConfig:
    return ProjectConfig(
        words=list(WORDS),
        data=DataSettings(synthetic_dir="data/synthetic"),
        training=TrainingSettings(
            model="tiny_conv",  # the pipeline tests' model (the default is picked by bench/model_table.py)
            steps=[steps],
            learning_rates=[0.002],
            eval_every=steps,
            checkpoint_every=steps,
            augment_variants=2,
            batch_size=64,
            **SEED_AUGMENTATION,  # a few hundred steps learn the words, not rooms and -5 dB noise
        ),
    )


def make_tiny_dataset(root: Path, per_word: int = 60, speakers: int = 12) -> Path:
    from tests import audio_factory as af

    counts = {w: per_word for w in WORDS} | {w: per_word // 4 for w in OTHER_WORDS}
    return af.make_dataset(root, counts, speakers=speakers, background_seconds=8.0)


def train_tiny_run(project: Path, steps: int = 600) -> Path:
    """Train and export a tiny stop/go run under `project`; returns the run directory."""
    from core.model.export import export_run
    from core.model.train import train

    project.mkdir(parents=True, exist_ok=True)
    config = tiny_config(steps)
    make_tiny_dataset(project / config.data.synthetic_dir)
    result = train(config, project, run_dir=project / "runs" / "tiny")
    export_run(result.run_dir)
    return Path(result.run_dir)


_SESSION_RUN: dict[str, Path] = {}


def session_tiny_run(tmp_path_factory) -> Path:
    """One tiny run per test session, shared by every test folder that needs one (trained on first use)."""
    if "run" not in _SESSION_RUN:
        _SESSION_RUN["run"] = train_tiny_run(tmp_path_factory.mktemp("tiny_project"))
    return _SESSION_RUN["run"]
