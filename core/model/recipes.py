"""Named training recipes: `wakebench train --recipe NAME` starts from one of these.

- `default`: the `[training]` defaults of core.config — streaming-true features (warm-up audio before
  each clip, the word anywhere in the window) and a schedule that trains and exports well within three
  minutes on a 2-core laptop (bench/train_speed.py prints it);
- `seed`: TensorFlow micro_speech's recipe exactly as the seed used it: tiny_conv, 15,000 + 3,000 steps,
  +/- 100 ms time shift, background noise up to volume 0.1 in 80 % of clips, none of the newer
  augmentations, each clip featurised from a fresh frontend state.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from core.config import SEED_AUGMENTATION, ProjectConfig, TrainingSettings
from core.errors import ConfigError

RECIPES: dict[str, dict[str, Any]] = {
    "default": {},
    "seed": {
        "model": "tiny_conv",
        "steps": [15000, 3000],
        "learning_rates": [0.001, 0.0001],
        "background_volume": 0.1,
        "background_frequency": 0.8,
        **SEED_AUGMENTATION,
    },
}


def recipe_names() -> list[str]:
    return list(RECIPES)


def recipe_settings(name: str) -> TrainingSettings:
    """The training settings of recipe `name` (the defaults with the recipe's changes)."""
    try:
        changes = RECIPES[name]
    except KeyError:
        raise ConfigError(f"unknown recipe {name!r}", f"known recipes: {', '.join(RECIPES)}") from None
    return dataclasses.replace(TrainingSettings(), **changes)


def apply_recipe(config: ProjectConfig, name: str) -> ProjectConfig:
    """`config` with its recipe settings replaced by recipe `name`'s (batch size, eval and checkpoint
    cadence, augmentation variants and seed are kept)."""
    recipe = recipe_settings(name)
    keep = {
        k: getattr(config.training, k)
        for k in ("batch_size", "eval_every", "checkpoint_every", "augment_variants", "seed")
    }
    return config.replace(training=dataclasses.replace(recipe, **keep))
