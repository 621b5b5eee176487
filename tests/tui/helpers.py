"""Fixed data for the app tests: a small project on disk with a few clips and fixed serial ports,
so that what the screen shows is the same on every machine and every run."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import numpy as np

from core.audio.files import write_wav
from core.config import PROJECT_FILE, DataSettings, ProjectConfig, save_config
from tui.widgets.board import PortInfo

FIXED_PORTS = [
    PortInfo("/dev/ttyACM0", "Adafruit EdgeBadge"),
    PortInfo("/dev/ttyUSB0", "CP2102 USB to UART Bridge"),
]

# clips per (source folder, word folder) written into the project
CLIPS = {
    ("data/synthetic", "stop"): 3,
    ("data/synthetic", "go"): 2,
    ("data/recordings", "stop"): 1,
    ("data/captures", "go"): 1,
}


def _clip(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-0.1, 0.1, 16000).astype(np.float32)


def make_project(
    root: Path, config: ProjectConfig | None = None, clips: dict[tuple[str, str], int] = CLIPS
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    # The fast engines: Kokoro (the slowest) would make the app's synth test take a minute and a half.
    small = DataSettings(synth_per_word=3, synth_engines=["espeak", "pico", "mbrola"])
    save_config(config or ProjectConfig(data=small), root / PROJECT_FILE)
    n = 0
    for (folder, word), count in clips.items():
        for i in range(count):
            write_wav(root / folder / word / f"spk{i}_nohash_0.wav", _clip(n))
            n += 1
    return root


def make_app(project_dir: Path):
    from tui.app import WakebenchApp

    return WakebenchApp(project_dir, list_ports=lambda: list(FIXED_PORTS))


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async pilot test in its own event loop (pytest sees a plain function with the same fixtures)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


def tiny_config(synthetic_dir: Path, steps: int = 20) -> ProjectConfig:
    """stop/go trained for `steps` steps on small batches: seconds, not minutes."""
    from core.config import SEED_AUGMENTATION, TrainingSettings

    training = TrainingSettings(
        model="tiny_conv",
        steps=[steps],
        learning_rates=[0.001],
        batch_size=20,
        eval_every=10,
        checkpoint_every=10,
        augment_variants=1,
        **SEED_AUGMENTATION,  # plumbing tests: a model this small must learn its clips, not rooms and noise
    )
    # The seed's share of other words (25 %, not the default 400 %): a few hundred steps on mostly
    # negatives leave a model this small too unsure of its keywords to detect them.
    data = DataSettings(synthetic_dir=str(synthetic_dir), unknown_percentage=25.0)
    return ProjectConfig(data=data, training=training)
