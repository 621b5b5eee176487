"""Training clips as the board hears them: inside a stream, after other audio.

The micro frontend's noise estimate (which also drives PCAN) is carried from frame to frame on the
board and in `detect`, but a clip featurised on its own starts from an empty estimate. The live-PC work
measured what that costs: a clean "go" scored 255 from a fresh state and `_unknown_` two seconds after
a loud "stop". So every training variant gets `warmup_ms` of audio before it — background noise at a
random level, often another clip's speech ending just before the word (as in a sentence) — the
frontend runs over the whole stretch and only the last `frames` frames are kept (core.features.cache).
Its time shift is also drawn so the word can sit anywhere inside the model's window (the stream shows
it to the model at every position, one inference every 140 ms), not just within +/- 100 ms of centre.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.features.augment import background_stretch, speech_bounds

WORD_MARGIN_MS = 30  # a shift keeps this much room between the word and the window's edges


def word_inside_shift(
    audio: np.ndarray,
    limit: int,
    sample_rate: int,
    rng: np.random.Generator,
    bounds: tuple[int, int] | None = None,
) -> int:
    """A random shift (samples, at most `limit` either way) after which the clip's speech still lies
    entirely inside the clip, `WORD_MARGIN_MS` from either edge; 0 when it does not fit. `bounds`: the
    clip's `speech_bounds` when already known (a clip's variants share them)."""
    lo, hi = bounds if bounds is not None else speech_bounds(audio)
    margin = WORD_MARGIN_MS * sample_rate // 1000
    low = max(-limit, margin - lo)
    high = min(limit, len(audio) - margin - hi)
    if high < low:
        return 0
    return int(rng.integers(low, high + 1))


def warmup_noise(
    samples: int,
    backgrounds: Sequence[np.ndarray],
    background_volume: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """`samples` of audio to play before a training clip: background noise at a random volume up to
    `background_volume`, or (a fifth of the time) digital silence, which also happens."""
    out = np.zeros(samples, np.float32)
    if backgrounds and rng.uniform() < 0.8:
        out += np.float32(rng.uniform(0.0, background_volume)) * background_stretch(backgrounds, samples, rng)
    return out


def speech_pool(clips: Sequence[np.ndarray | None]) -> list[np.ndarray]:
    """The speech of every clip that has some (trimmed to `speech_bounds`): what `speech_around` mixes
    in. Made once per batch of clips, not per variant (scanning the clips per variant was most of the
    augmentation's time)."""
    words = []
    for clip in clips:
        if clip is not None and np.any(clip):
            lo, hi = speech_bounds(clip)
            words.append(np.asarray(clip[lo:hi], np.float32))
    return words


def add_speech(scene: np.ndarray, words: np.ndarray, at: int, before: bool, rng: np.random.Generator) -> None:
    """Mix another clip's speech (`speech_pool`'s, at a random level) into `scene`, ending at sample `at`
    (`before`) or starting there; whatever falls outside the scene is cut."""
    level = np.float32(rng.uniform(0.3, 1.5))
    start = at - len(words) if before else at
    a, b = max(0, start), min(len(scene), start + len(words))
    if b > a:
        scene[a:b] += words[a - start : b - start] * level


def speech_around(
    scene: np.ndarray,
    word: tuple[int, int] | None,
    pool: Sequence[np.ndarray],
    share: float,
    sample_rate: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Other speech in `scene` (warm-up + clip) as in a sentence: with probability `share` a word ending
    50-400 ms before the clip's word (`word` = its start and end in the scene), and with half that a
    word starting 50-400 ms after it. For a silence clip (`word` None) only before the clip's window.
    `pool` is `speech_pool` of the clips to draw from."""
    if not pool:
        return scene
    scene = scene.copy()
    gap = (int(0.05 * sample_rate), int(0.4 * sample_rate))
    if word is None:
        if rng.uniform() < share:
            window_start = len(scene) - sample_rate
            add_speech(
                scene,
                pool[int(rng.integers(len(pool)))],
                window_start - int(rng.integers(*gap)),
                True,
                rng,
            )
        return np.clip(scene, -1.0, 1.0)
    if rng.uniform() < share:
        add_speech(scene, pool[int(rng.integers(len(pool)))], word[0] - int(rng.integers(*gap)), True, rng)
    if rng.uniform() < share / 2:
        add_speech(scene, pool[int(rng.integers(len(pool)))], word[1] + int(rng.integers(*gap)), False, rng)
    return np.clip(scene, -1.0, 1.0)
