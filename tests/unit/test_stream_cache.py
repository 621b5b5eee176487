"""The streams' frame cache gives back exactly what the frontend computed for the same audio and
settings, and computes again for other audio or other settings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.config import FeatureSettings
from core.features.stream_cache import cached_frames, stream_key
from core.features.streaming import stream_features


def test_same_audio_is_read_back_other_audio_or_settings_computed(tmp_path):
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(16000 * 3)).astype(np.float32)
    settings = FeatureSettings()
    calls = []

    def compute(samples: np.ndarray, s: FeatureSettings):
        def run() -> np.ndarray:
            calls.append(1)
            return stream_features(samples, s)

        return run

    first = cached_frames(audio, settings, tmp_path, compute(audio, settings))
    again = cached_frames(audio.copy(), settings, tmp_path, compute(audio, settings))
    assert len(calls) == 1 and np.array_equal(first, again) and again.dtype == np.uint16
    other = audio.copy()
    other[1000] += 0.01
    cached_frames(other, settings, tmp_path, compute(other, settings))
    pcan_off = replace(settings, enable_pcan=False)
    changed = cached_frames(audio, pcan_off, tmp_path, compute(audio, pcan_off))
    assert len(calls) == 3 and not np.array_equal(changed, first)
    (tmp_path / f"{stream_key(audio, settings)}.npy").write_bytes(b"damaged")
    for samples in (audio, other):
        cached_frames(samples, settings, tmp_path, compute(samples, settings))
    assert len(calls) == 4  # the damaged file only was computed again
    assert np.array_equal(cached_frames(audio, settings, None, compute(audio, settings)), first)
