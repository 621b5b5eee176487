"""Feature rows of clips, computed: each clip read, its augmented variants made (core.features.augment,
core.features.context), all run through the frontend and SpecAugment. core.features.cache decides which
clips need it and stores the rows.

Clips go in batches of `BATCH_CLIPS`. The frontend (TensorFlow's C++ op, which leaves Python's GIL
free) of one batch runs in a worker thread while the next batch's audio is augmented (numpy and Python,
which hold the GIL most of the time), so the two largest costs share both cores. Every clip's
randomness comes from its own seeded generators and each batch's inputs are fixed before it starts, so
the rows are the same whichever runs first (`overlap=False` runs it all in order, for comparison).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.audio.files import read_audio
from core.audio.samples import fit_clip, to_int16
from core.config import FeatureSettings
from core.errors import AudioError
from core.events import CancelToken, EventCallback, Log, Progress
from core.features.augment import AugmentSettings, augment_clip, spec_augment, speech_bounds
from core.features.context import speech_around, speech_pool, warmup_noise, word_inside_shift
from core.features.frontend import compute_features

# Clips read and featurised together (x variants): bounds memory to ~150 MB a batch (two are alive
# while they overlap). Also the pool other speech is drawn from (core.features.context).
BATCH_CLIPS = 256


@dataclass(frozen=True)
class ClipRequest:
    """A clip whose features are wanted; `path` None means a generated silence clip."""

    identity: str
    path: Path | None
    # Seeds the clip's augmentation: its folder and file name, so a project gives the same variants
    # wherever it lives (the identity holds the absolute path and mtime, which differ per copy).
    name: str = ""


@dataclass
class Recipe:
    """How rows are made: feature settings, augmentation (None: evaluation), variants per clip, seed,
    background noise recordings and room spectra (`augment.room_spectra`, None without reverb)."""

    features: FeatureSettings
    augment: AugmentSettings | None
    variants: int
    seed: int
    noise: list[np.ndarray]
    rooms: np.ndarray | None


@dataclass
class Rows:
    """The rows made for some requests: `features[j]` belongs to request `done[j]`."""

    done: list[int] = field(default_factory=list)
    features: list[np.ndarray] = field(default_factory=list)  # uint16 [variants, frames, channels] each
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def compute_rows(
    requests: Sequence[ClipRequest],
    wanted: Sequence[int],
    recipe: Recipe,
    on_event: EventCallback,
    cancel: CancelToken | None = None,
    overlap: bool = True,
) -> Rows:
    """Rows of the requests at the indices `wanted`; unreadable clips are skipped and logged."""
    out = Rows()
    total = len(wanted)
    on_event(Progress("features", 0, total, "computing features"))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontend") as frontend:
        pending: Callable[[], None] | None = None  # the previous batch, in the frontend meanwhile
        for start in range(0, total, BATCH_CLIPS):
            if cancel:
                cancel.raise_if_cancelled()
            chunk = wanted[start : start + BATCH_CLIPS]
            ok, audio = _batch_audio(requests, chunk, recipe, out, on_event)
            if pending:
                pending()
            future = frontend.submit(compute_features, audio, recipe.features) if ok else None
            if future and not overlap:
                future.result()
            pending = _finisher(requests, ok, future, recipe, out, start + len(chunk), total, on_event)
        if pending:
            pending()
    return out


def _batch_audio(
    requests: Sequence[ClipRequest],
    chunk: Sequence[int],
    recipe: Recipe,
    out: Rows,
    on_event: EventCallback,
) -> tuple[list[int], np.ndarray]:
    """The readable requests of `chunk` and the int16 audio of all their variants, one after another."""
    raw: dict[int, np.ndarray | None] = {}
    for i in chunk:
        try:
            raw[i] = read_clip(requests[i], recipe.features)
        except AudioError as exc:
            out.skipped.append((str(requests[i].path), exc.reason))
            on_event(Log(f"skipped unreadable clip {exc}"))
    # Other speech comes from the other clips read with this one (any word, any label).
    pool = speech_pool(list(raw.values()))
    audio = [
        clip_variants(clip, pool, recipe, np.random.default_rng([recipe.seed, _name_seed(requests[i])]))
        for i, clip in raw.items()
    ]
    return list(raw), np.concatenate(audio) if audio else np.zeros((0, 0), np.int16)


def _finisher(
    requests: Sequence[ClipRequest],
    ok: list[int],
    future: Future[np.ndarray] | None,
    recipe: Recipe,
    out: Rows,
    done: int,
    total: int,
    on_event: EventCallback,
) -> Callable[[], None]:
    """What turns a batch's frontend output into rows once it is ready (`future` None: no readable
    clip) and reports `done` of `total` clips computed."""

    def finish() -> None:
        if future is not None:
            settings, augment = recipe.features, recipe.augment
            # With a warm-up the frontend ran over warm-up + clip; the clip's frames are the last ones.
            feats = future.result()[:, -settings.frames :].reshape(
                len(ok), recipe.variants, settings.frames, settings.channels
            )
            if augment is not None and (augment.spec_time_masks or augment.spec_freq_masks):
                for row, i in enumerate(ok):  # a stream of its own, so audio augmentation stays as it was
                    if requests[i].path is not None:  # silence stays silence
                        mask_rng = np.random.default_rng([recipe.seed, _name_seed(requests[i]), 1])
                        feats[row] = [spec_augment(v, augment, mask_rng) for v in feats[row]]
            out.done += ok
            out.features += list(feats)
        on_event(Progress("features", done, total, "computing features"))

    return finish


def _name_seed(request: ClipRequest) -> int:
    return int(hashlib.sha256(request.name.encode("utf-8")).hexdigest()[:15], 16)


def read_clip(request: ClipRequest, features: FeatureSettings) -> np.ndarray | None:
    """The clip's audio fitted to the clip length, or None for a generated silence."""
    if request.path is None:
        return None
    try:
        return fit_clip(read_audio(request.path, features.sample_rate), features.clip_samples)
    except FileNotFoundError:
        raise AudioError(request.path, "file not found") from None


def clip_variants(
    audio: np.ndarray | None, pool: list[np.ndarray], recipe: Recipe, rng: np.random.Generator
) -> np.ndarray:
    """The int16 audio of a clip's `recipe.variants` versions [variants, samples] (warm-up included)."""
    features = recipe.features
    samples = features.clip_samples
    sr = features.sample_rate
    settings = recipe.augment or AugmentSettings(0, 0.0, 0.0)
    training = recipe.augment is not None
    # Whole frames of warm-up, so the clip's frames line up with a fresh clip's.
    warm = settings.warmup_ms * sr // 1000 // features.stride_samples * features.stride_samples
    bounds = speech_bounds(audio) if audio is not None and training else None
    clips = []
    for _ in range(recipe.variants):
        shift = None
        if (
            audio is not None
            and bounds is not None
            and settings.keep_word_inside
            and settings.time_shift_ms > 0
        ):
            shift = word_inside_shift(audio, settings.time_shift_ms * sr // 1000, sr, rng, bounds)
        clip = augment_clip(
            audio,
            recipe.noise,
            settings,
            sr,
            samples,
            rng,
            training=training,
            rooms=recipe.rooms,
            shift=shift,
        )
        if warm:
            scene = np.concatenate([warmup_noise(warm, recipe.noise, settings.background_volume, rng), clip])
            # Where the word is now (a random shift inside augment_clip is not known here: then around
            # its unshifted place, which the +/- shift keeps close).
            word = None
            if bounds is not None:
                moved = shift or 0
                word = (warm + bounds[0] + moved, warm + bounds[1] + moved)
            clip = speech_around(scene, word, pool, settings.context_speech, sr, rng)
        clips.append(clip)
    return to_int16(np.stack(clips))  # per clip: converting one big batch at once is 3x slower (cache misses)
