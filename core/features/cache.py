"""Features of dataset clips, computed once and cached on disk.

One cache file holds every clip computed with one *recipe*: the feature settings, the augmentation
settings, the number of variants, the seed and the background noise files. Inside it each clip is a
row keyed by the clip's identity (path, size, modification time). Changing any recipe setting selects
another file; editing or replacing a clip changes its identity. Either way, stale features are never
used, and only what is missing is computed (in large batches through `core.features.frontend`).

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
from core.audio.samples import fit_clip, to_int16
from core.config import FeatureSettings
from core.errors import AudioError
from core.events import CancelToken, EventCallback, Log, Progress, ignore_events
from core.features.augment import AugmentSettings, augment_clip, spec_augment, speech_bounds
from core.features.context import speech_around, speech_pool, warmup_noise, word_inside_shift
from core.features.frontend import compute_features
from core.fileio import write_bytes_atomic

CACHE_FORMAT = 5  # 2: augmentation seeded by folder/file name; 3: reverb, EQ, SNR, gain, speed, SpecAugment;
# 4: shift after filters; 5: streaming context (warm-up, word positions, speech around)
BATCH_CLIPS = 256  # clips read and featurised together (x variants); bounds memory to ~100 MB


@dataclass(frozen=True)
class ClipRequest:
    """A clip whose features are wanted; `path` None means a generated silence clip."""

    identity: str
    path: Path | None
    # Seeds the clip's augmentation: its folder and file name, so a project gives the same variants
    # wherever it lives (the identity holds the absolute path and mtime, which differ per copy).
    name: str = ""


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
) -> ClipFeatures:
    """Features of every request: `variants` augmented versions each with `augment`, one plain version
    (silence still gets noise) without. Cached rows are reused; unreadable clips are skipped and logged."""
    recipe = recipe_of(features, augment, variants, seed, backgrounds)
    cache_file = cache_dir / f"{_digest(json.dumps(recipe, sort_keys=True))[:24]}.npz" if cache_dir else None
    cached_keys, cached = _load(cache_file, variants, features)
    index = {k: i for i, k in enumerate(cached_keys)}
    keys = [_digest(r.identity) for r in requests]

    missing = [i for i, k in enumerate(keys) if k not in index]
    new_keys: list[str] = []
    new_rows: list[np.ndarray] = []
    skipped: list[tuple[str, str]] = []
    if missing:
        noise = _load_backgrounds(backgrounds, features.sample_rate, on_event)
        rooms = None
        if augment is not None and augment.reverb_probability > 0:
            from core.features.augment import room_spectra
            from core.features.rooms import load_or_make_bank

            rooms = room_spectra(load_or_make_bank(augment.rir_count, features.sample_rate, cache_dir))
        total = len(missing)
        on_event(Progress("features", 0, total, "computing features"))
        for start in range(0, total, BATCH_CLIPS):
            if cancel:
                cancel.raise_if_cancelled()
            chunk = missing[start : start + BATCH_CLIPS]
            raw: dict[int, np.ndarray | None] = {}
            for i in chunk:
                try:
                    raw[i] = _read_clip(requests[i], features)
                except AudioError as exc:
                    skipped.append((str(requests[i].path), exc.reason))
                    on_event(Log(f"skipped unreadable clip {exc}"))
            # Warm-up speech comes from the other clips read with this one (any word, any label).
            pool = speech_pool(list(raw.values()))
            audio, ok = [], []
            for i, clip in raw.items():
                rng = np.random.default_rng([seed, int(_digest(requests[i].name)[:15], 16)])
                audio.append(_variants(clip, pool, noise, features, augment, variants, rng, rooms))
                ok.append(i)
            if ok:
                feats = compute_features(np.concatenate(audio), features)
                # With a warm-up the frontend ran over warm-up + clip; the clip's frames are the last ones.
                feats = feats[:, -features.frames :].reshape(
                    len(ok), variants, features.frames, features.channels
                )
                if augment is not None and (augment.spec_time_masks or augment.spec_freq_masks):
                    for row, i in enumerate(ok):  # a stream of its own, so audio augmentation stays as it was
                        mask_rng = np.random.default_rng([seed, int(_digest(requests[i].name)[:15], 16), 1])
                        if requests[i].path is not None:  # silence stays silence
                            feats[row] = [spec_augment(v, augment, mask_rng) for v in feats[row]]
                new_keys += [keys[i] for i in ok]
                new_rows += list(feats)
            on_event(Progress("features", min(start + BATCH_CLIPS, total), total, "computing features"))

    if new_rows:
        stacked = np.stack(new_rows)
        cached = np.concatenate([cached, stacked]) if len(cached) else stacked
        cached_keys = list(cached_keys) + new_keys
        wanted = set(keys)
        stale = [i for i, k in enumerate(cached_keys) if k not in wanted]
        if len(stale) > len(wanted):  # mostly clips of another dataset: keep only this one's
            keep = [i for i, k in enumerate(cached_keys) if k in wanted]
            cached, cached_keys = cached[keep], [cached_keys[i] for i in keep]
        index = {k: i for i, k in enumerate(cached_keys)}
        if cache_file:
            _save(cache_file, cached_keys, cached, recipe)
    rows = np.array([index.get(k, -1) for k in keys], dtype=np.int64)
    return ClipFeatures(cached, rows, skipped, len(new_rows))


def _read_clip(request: ClipRequest, features: FeatureSettings) -> np.ndarray | None:
    """The clip's audio fitted to the clip length, or None for a generated silence."""
    if request.path is None:
        return None
    try:
        return fit_clip(read_audio(request.path, features.sample_rate), features.clip_samples)
    except FileNotFoundError:
        raise AudioError(request.path, "file not found") from None


def _variants(
    audio: np.ndarray | None,
    pool: list[np.ndarray],
    noise: list[np.ndarray],
    features: FeatureSettings,
    augment: AugmentSettings | None,
    variants: int,
    rng: np.random.Generator,
    rooms: np.ndarray | None,
) -> np.ndarray:
    samples = features.clip_samples
    sr = features.sample_rate
    settings = augment or AugmentSettings(0, 0.0, 0.0)
    training = augment is not None
    # Whole frames of warm-up, so the clip's frames line up with a fresh clip's.
    warm = settings.warmup_ms * sr // 1000 // features.stride_samples * features.stride_samples
    bounds = speech_bounds(audio) if audio is not None and training else None
    clips = []
    for _ in range(variants):
        shift = None
        if (
            audio is not None
            and bounds is not None
            and settings.keep_word_inside
            and settings.time_shift_ms > 0
        ):
            shift = word_inside_shift(audio, settings.time_shift_ms * sr // 1000, sr, rng)
        clip = augment_clip(
            audio, noise, settings, sr, samples, rng, training=training, rooms=rooms, shift=shift
        )
        if warm:
            scene = np.concatenate([warmup_noise(warm, noise, settings.background_volume, rng), clip])
            # Where the word is now (a random shift inside augment_clip is not known here: then around
            # its unshifted place, which the +/- shift keeps close).
            word = None
            if bounds is not None:
                moved = shift or 0
                word = (warm + bounds[0] + moved, warm + bounds[1] + moved)
            clip = speech_around(scene, word, pool, settings.context_speech, sr, rng)
        clips.append(clip)
    return to_int16(np.stack(clips))  # per clip: converting one big batch at once is 3x slower (cache misses)


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
