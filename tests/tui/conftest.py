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
    import tui.widgets.build

    monkeypatch.setattr(tui.widgets.build, "arduino_cli_path", lambda configured="": None)


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic stop/go dataset made once by core (20 clips per word), shared read-only."""
    from core.data.synth import synthesize_dataset

    out = tmp_path_factory.mktemp("synthetic") / "data"
    # Small: no sentences, and not Kokoro (the slowest engine; its clips are tested in tests/data).
    engines = ["espeak", "pico", "mbrola"]
    synthesize_dataset(["stop", "go"], out, per_word=20, seed=0, negatives=False, engines=engines)
    return out


@pytest.fixture
def trainable_project(tmp_path: Path, synthetic_data: Path) -> Path:
    """A project using the shared synthetic data, with a training recipe of a few dozen steps."""
    from tests.tui.helpers import tiny_config

    return make_project(tmp_path / "demo", tiny_config(synthetic_data), clips={})


@pytest.fixture(scope="session")
def exported_project(tmp_path_factory: pytest.TempPathFactory, synthetic_data: Path) -> Path:
    """A project with one run trained (300 steps) and exported by core, and `stop_go.wav` made of two of
    its training clips (a model this small only recognises what it has seen, and only where the clip is
    aligned with its window); shared read-only (tests that change it copy it first)."""
    import numpy as np

    from core.audio.files import read_audio, write_wav
    from core.config import RecognizerSettings
    from core.model.export import export_run
    from core.model.train import train
    from tests.tui.helpers import tiny_config

    root = tmp_path_factory.mktemp("exported") / "demo"
    # A 300-step model is confident only for a few frames around an aligned clip: average over 200 ms.
    # Inference every 3rd frame, not the default 7: the live view must follow the run's own cadence.
    # target_fa_per_hour 0: export keeps these settings instead of calibrating them.
    recognizer = RecognizerSettings(
        average_window_ms=200,
        detection_threshold=150,
        suppression_ms=1000,
        inference_every_frames=3,
        target_fa_per_hour=0.0,
    )
    config = tiny_config(synthetic_data, steps=300).replace(recognizer=recognizer)
    make_project(root, config, clips={})
    result = train(config, root)
    export_run(result.run_dir)
    gap = np.zeros(8000, np.float32)
    clips = [read_audio(_first_training_clip(synthetic_data / word)) for word in ("stop", "go")]
    write_wav(root / "stop_go.wav", np.concatenate([gap, clips[0], gap, clips[1], gap]))
    return root


def _first_training_clip(folder: Path) -> Path:
    from core.data.split_rule import which_set

    return next(p for p in sorted(folder.glob("*.wav")) if which_set(p.name, 10.0, 10.0) == "training")
