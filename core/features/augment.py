"""Training-time audio augmentation, as TF speech_commands' input_data does it.

- time shift: each training clip moves by a random amount up to +/- `time_shift_ms`, padded with zeros;
- background noise: a random stretch of a random `_background_noise_` file is mixed into a share
  (`background_frequency`) of training clips at a random volume up to `background_volume`;
- silence: an all-zero clip plus background noise at a random volume up to 1 (in every split, so
  validation and test also contain realistic silence);
- the mix is clipped to [-1, 1].
Validation and test clips get no shift and no noise. All randomness comes from the `rng` passed in,
so the same clip with the same seed always gives the same variants (which is what makes caching work).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.config import TrainingSettings


@dataclass(frozen=True)
class AugmentSettings:
    """The augmentation part of the training recipe."""

    time_shift_ms: int = 100
    background_volume: float = 0.1
    background_frequency: float = 0.8

    @classmethod
    def from_training(cls, training: TrainingSettings) -> AugmentSettings:
        return cls(training.time_shift_ms, training.background_volume, training.background_frequency)


def time_shift(audio: np.ndarray, shift: int) -> np.ndarray:
    """`audio` moved later by `shift` samples (earlier when negative), zero-padded, same length."""
    out = np.zeros_like(audio)
    n = len(audio)
    if shift >= 0:
        out[shift:] = audio[: n - shift] if shift < n else audio[:0]
    else:
        out[: n + shift] = audio[-shift:]
    return out


def background_stretch(
    backgrounds: Sequence[np.ndarray], samples: int, rng: np.random.Generator
) -> np.ndarray:
    """A random `samples`-long stretch of a random background recording (tiled if it is shorter)."""
    noise = backgrounds[int(rng.integers(len(backgrounds)))]
    if len(noise) < samples:
        noise = np.tile(noise, samples // max(len(noise), 1) + 1)
    start = rng.integers(len(noise) - samples + 1)
    return noise[start : start + samples]


def augment_clip(
    audio: np.ndarray | None,
    backgrounds: Sequence[np.ndarray],
    settings: AugmentSettings,
    sample_rate: int,
    samples: int,
    rng: np.random.Generator,
    training: bool,
) -> np.ndarray:
    """One augmented version of a clip (`audio`, already `samples` long) or of silence (`audio` None)."""
    silence = audio is None
    clip: np.ndarray = np.zeros(samples, np.float32) if silence else np.asarray(audio, np.float32)
    if training and not silence and settings.time_shift_ms > 0:
        limit = settings.time_shift_ms * sample_rate // 1000
        clip = time_shift(clip, int(rng.integers(-limit, limit + 1)))
    volume = 0.0
    if silence:
        volume = rng.uniform(0.0, 1.0)
    elif training and rng.uniform() < settings.background_frequency:
        volume = rng.uniform(0.0, settings.background_volume)
    if volume > 0.0 and backgrounds:
        clip = clip + volume * background_stretch(backgrounds, samples, rng)
    return np.clip(clip, -1.0, 1.0).astype(np.float32)
