"""The features of each split, as training, export and the accuracy work use them: the project's data
indexed (core.data.dataset) and run through the frontend with the training split's augmentation, from the
feature cache where possible (core.features.cache).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config import ProjectConfig
from core.data.dataset import build_index
from core.errors import DataError
from core.events import CancelToken, EventCallback, Log, ignore_events
from core.features.augment import AugmentSettings
from core.features.cache import compute_clip_features, request_for
from core.features.quantize import to_model_input

CACHE_DIR = Path(".wakebench") / "features"  # under the project folder


@dataclass
class SplitData:
    """One split's features as the trainer uses them."""

    features: np.ndarray  # uint16 [rows, variants, frames, channels]
    rows: np.ndarray  # int32 [entries]: row of each entry
    labels: np.ndarray  # int32 [entries]
    weights: np.ndarray  # float64 [entries]

    def __len__(self) -> int:
        return len(self.rows)

    def eval_inputs(self) -> np.ndarray:
        """Model inputs of the first variant of every entry (float32 [entries, frames, channels, 1])."""
        return to_model_input(self.features[self.rows, 0])[..., None]


def load_split_data(
    config: ProjectConfig,
    project_dir: Path,
    extra_dirs: Sequence[str | Path] = (),
    splits: Sequence[str] = ("training", "validation", "testing"),
    cache_dir: Path | None = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
    boost: Mapping[str, float] | None = None,
) -> dict[str, SplitData]:
    """Index the project's data and get the features of each split (training: augmented variants;
    validation/testing: one plain version), from the cache where possible.

    `boost` maps clip paths (resolved, as strings) to a factor their sampling weight is multiplied by:
    the retrain loop weights the clips that are new since its parent run up (core.loop)."""
    index = build_index(config, project_dir, extra_dirs, seed=config.training.seed)
    counts = index.counts()
    on_event(
        Log(
            "dataset: "
            + ", ".join(f"{s} {sum(counts[s].values())}" for s in ("training", "validation", "testing"))
            + f" clips, {len(index.background_files)} background files"
        )
    )
    label_ids = {label: i for i, label in enumerate(config.labels)}
    cache = cache_dir if cache_dir is not None else project_dir / CACHE_DIR
    t = config.training
    out: dict[str, SplitData] = {}
    groups = [("training", ["training"])] if "training" in splits else []
    if any(s != "training" for s in splits):
        # Validation and testing always together: they share one cache file, which keeps the clips of
        # the latest request only.
        groups.append(("evaluation", ["validation", "testing"]))
    for group, names in groups:
        entries = [e for e in index.entries if e.split in names]
        requests = []
        silence_counter: dict[str, int] = {}
        for e in entries:
            n = silence_counter.get(e.split, 0)
            if e.path is None:
                silence_counter[e.split] = n + 1
            requests.append(request_for(e.path, f"{e.split}:{n}"))
        training = group == "training"
        result = compute_clip_features(
            requests,
            config.features,
            index.background_files,
            augment=AugmentSettings.from_training(t) if training else None,
            variants=t.augment_variants if training else 1,
            seed=t.seed,
            cache_dir=cache,
            on_event=on_event,
            cancel=cancel,
        )
        for name in names:
            keep = [i for i, e in enumerate(entries) if e.split == name and result.rows[i] >= 0]
            out[name] = SplitData(
                result.features,
                result.rows[keep].astype(np.int32),
                np.array([label_ids[entries[i].label] for i in keep], np.int32),
                np.array([entries[i].weight * _boost_of(entries[i].path, boost) for i in keep], np.float64),
            )
    if "training" in out and len(out["training"]) == 0:
        raise DataError(f"no usable training clips in {project_dir}", "make some with `wakebench data synth`")
    return out


def _boost_of(path: Path | None, boost: Mapping[str, float] | None) -> float:
    if not boost or path is None:
        return 1.0
    return float(boost.get(str(Path(path).resolve()), 1.0))
