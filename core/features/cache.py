"""Features of dataset clips, computed once and cached on disk.

One cache file holds every clip computed with one *recipe*: the feature settings, the augmentation
settings, the number of variants, the seed and the background noise files. Inside it each clip is a
row keyed by the clip's identity (path, size, modification time). Changing any recipe setting selects
another file; editing or replacing a clip changes its identity. Either way, stale features are never
used, and only what is missing is computed (core.features.bank).

A row holds `variants` augmented versions of the clip (one unaugmented version for evaluation), so
training can draw a fresh-looking variant at every step without computing features per step.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.audio.files import read_audio
from core.config import FeatureSettings
from core.errors import AudioError
from core.events import CancelToken, EventCallback, Log, ignore_events
from core.features.augment import AugmentSettings
from core.features.bank import ClipRequest, Recipe, Rows, compute_rows
from core.fileio import write_bytes_atomic

CACHE_FORMAT = 5  # 2: augmentation seeded by folder/file name; 3: reverb, EQ, SNR, gain, speed, SpecAugment;
# 4: shift after filters; 5: streaming context (warm-up, word positions, speech around)
__all__ = ["ClipFeatures", "ClipRequest", "clip_identity", "compute_clip_features", "request_for"]


@dataclass
class ClipFeatures:
    """Features of requested clips: `rows[i]` is request i's row in `features`, -1 if unreadable."""

    features: np.ndarray  # uint16 [rows, variants, frames, channels]
    rows: np.ndarray  # int64 [requests]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    computed: int = 0  # rows computed now (the rest came from the cache)


def clip_identity(path: Path) -> str:
    """What identifies a clip's content for caching: its path, size and modification time."""
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def request_for(path: Path | None, silence_name: str = "") -> ClipRequest:
    """A request for a WAV file, or for the generated silence clip called `silence_name`."""
    if path is None:
        return ClipRequest(f"silence:{silence_name}", None, f"silence:{silence_name}")
    name = f"{path.parent.name}/{path.name}"
    try:
        return ClipRequest(clip_identity(path), path, name)
    except OSError:
        return ClipRequest(f"missing:{path}", path, name)  # read later, reported as unreadable


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recipe_of(
    features: FeatureSettings,
    augment: AugmentSettings | None,
    variants: int,
    seed: int,
    backgrounds: Sequence[Path],
) -> dict[str, Any]:
    """Everything besides the clip itself that decides its features (`augment` None = evaluation)."""
    return {
        "format": CACHE_FORMAT,
        "features": dataclasses.asdict(features),
        "augment": dataclasses.asdict(augment) if augment else None,
        "variants": variants,
        "seed": seed,
        "backgrounds": [request_for(p).identity for p in backgrounds],
    }


def compute_clip_features(
    requests: Sequence[ClipRequest],
    features: FeatureSettings,
    backgrounds: Sequence[Path],
    *,
    augment: AugmentSettings | None = None,
    variants: int = 1,
    seed: int = 0,
    cache_dir: Path | None = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
    overlap: bool = True,
) -> ClipFeatures:
    """Features of every request: `variants` augmented versions each with `augment`, one plain version
    (silence still gets noise) without. Cached rows are reused; unreadable clips are skipped and logged.
    `overlap` False computes without the frontend worker thread (core.features.bank), for comparison."""
    recipe = recipe_of(features, augment, variants, seed, backgrounds)
    cache_file = cache_dir / f"{_digest(json.dumps(recipe, sort_keys=True))[:24]}.npz" if cache_dir else None
    cached_keys, cached = _load(cache_file, variants, features)
    index = {k: i for i, k in enumerate(cached_keys)}
    keys = [_digest(r.identity) for r in requests]

    missing = [i for i, k in enumerate(keys) if k not in index]
    made = Rows()
    if missing:
        rooms = None
        if augment is not None and augment.reverb_probability > 0:
            from core.features.augment import room_spectra
            from core.features.rooms import load_or_make_bank

            rooms = room_spectra(load_or_make_bank(augment.rir_count, features.sample_rate, cache_dir))
        noise = _load_backgrounds(backgrounds, features.sample_rate, on_event)
        how = Recipe(features, augment, variants, seed, noise, rooms)
        made = compute_rows(requests, missing, how, on_event, cancel, overlap)

    if made.features:
        stacked = np.stack(made.features)
        cached = np.concatenate([cached, stacked]) if len(cached) else stacked
        cached_keys = list(cached_keys) + [keys[i] for i in made.done]
        wanted = set(keys)
        stale = [i for i, k in enumerate(cached_keys) if k not in wanted]
        if len(stale) > len(wanted):  # mostly clips of another dataset: keep only this one's
            keep = [i for i, k in enumerate(cached_keys) if k in wanted]
            cached, cached_keys = cached[keep], [cached_keys[i] for i in keep]
        index = {k: i for i, k in enumerate(cached_keys)}
        if cache_file:
            _save(cache_file, cached_keys, cached, recipe)
    rows = np.array([index.get(k, -1) for k in keys], dtype=np.int64)
    return ClipFeatures(cached, rows, made.skipped, len(made.features))


def _load_backgrounds(paths: Sequence[Path], sample_rate: int, on_event: EventCallback) -> list[np.ndarray]:
    noise = []
    for path in paths:
        try:
            audio = read_audio(path, sample_rate)
        except AudioError as exc:
            on_event(Log(f"skipped unreadable background noise {exc}"))
            continue
        if len(audio):
            noise.append(audio)
    return noise


def _load(path: Path | None, variants: int, features: FeatureSettings) -> tuple[list[str], np.ndarray]:
    """The cached keys and rows, or nothing when the file is absent or damaged (it is then rebuilt)."""
    empty = np.zeros((0, variants, features.frames, features.channels), np.uint16)
    if path is None or not path.is_file():
        return [], empty
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = [str(k) for k in data["keys"]]
            rows = data["features"]
    except (OSError, ValueError, KeyError):
        return [], empty
    if rows.shape[1:] != empty.shape[1:] or rows.dtype != np.uint16 or len(rows) != len(keys):
        return [], empty
    return keys, rows


def _save(path: Path, keys: list[str], rows: np.ndarray, recipe: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, keys=np.array(keys), features=rows, recipe=np.array(json.dumps(recipe)))
    write_bytes_atomic(path, buffer.getvalue())
