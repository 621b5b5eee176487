"""Streaming features (numpy, frame by frame, state carried) against the TF micro frontend op over the
whole recording (`core.features.compute_stream_features`, what training and the board compute).

Measured bound: the maximum absolute difference is 0 — the streaming frontend is bit-exact — on every
signal below, for every way of cutting the audio into chunks.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.config import FeatureSettings
from core.features.frontend import compute_stream_features
from core.features.streaming import StreamingFrontend, stream_features
from tests import audio_factory as af

MAX_ABS_DIFF = 0  # the bound this module proves (and the docstring of core/features/streaming.py states)


def _speech_in_noise() -> np.ndarray:
    parts = [af.noise("pink", 0.4, level=0.02, seed=1)]
    for word, pitch in (("stop", 40), ("go", 70), ("seven", 55)):
        parts += [af.speak(word, pitch=pitch) * 0.8, af.noise("white", 0.3, level=0.01, seed=pitch)]
    return np.concatenate(parts)


def _signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(32000) / 16000
    return {
        "speech in noise": _speech_in_noise(),
        "tone sweep": (0.4 * np.sin(2 * np.pi * (80 + 3500 * t) * t)).astype(np.float32),
        "clipping noise": np.clip(rng.normal(0, 1.2, 24000), -1, 1).astype(np.float32),
        "near silence": rng.normal(0, 2e-5, 16000).astype(np.float32),
        "digital silence": af.silence(0.8),
        "full-scale square": np.sign(np.sin(2 * np.pi * 1000 * t[:16000])).astype(np.float32),
    }


@pytest.mark.parametrize("name", list(_signals()))
def test_streaming_equals_the_tf_frontend_over_the_whole_recording(name):
    audio = _signals()[name]
    expected = compute_stream_features(audio, FeatureSettings())
    got = stream_features(audio, FeatureSettings())
    assert got.shape == expected.shape
    diff = np.abs(got.astype(np.int32) - expected.astype(np.int32))
    assert diff.max() <= MAX_ABS_DIFF, f"{name}: max diff {diff.max()} in {np.count_nonzero(diff)} values"


def test_chunk_boundaries_do_not_change_the_features():
    audio = _speech_in_noise()[:20000]
    reference = stream_features(audio)
    rng = np.random.default_rng(3)
    frontend = StreamingFrontend()
    pcm = (audio * 32767).round().astype(np.int16)
    out, pos = [], 0
    while pos < len(pcm):
        n = int(rng.choice([1, 7, 319, 320, 321, 480, 2000]))
        out.append(frontend.process(pcm[pos : pos + n]))
        pos += n
    assert np.array_equal(np.concatenate(out), reference)


def test_reset_starts_from_a_fresh_state_like_a_rebooted_board():
    audio = _speech_in_noise()[:16000]
    frontend = StreamingFrontend()
    first = frontend.process(audio)
    second = frontend.process(audio)  # noise estimate carried over: differs from the first pass
    assert not np.array_equal(first[:5], second[:5])
    frontend.reset()
    assert np.array_equal(frontend.process(audio), first)


def test_a_short_chunk_yields_no_frame_until_a_window_is_complete():
    frontend = StreamingFrontend()
    assert frontend.process(np.zeros(479, np.int16)).shape == (0, 40)
    assert frontend.process(np.zeros(1, np.int16)).shape == (1, 40)
    assert frontend.process(np.zeros(319, np.int16)).shape == (0, 40)
    assert frontend.process(np.zeros(1, np.int16)).shape == (1, 40)


def test_other_frontend_settings_also_match_the_tf_op():
    settings = FeatureSettings(
        window_ms=25, stride_ms=10, channels=32, enable_pcan=False, scale_shift=5, lower_band_hz=200.0
    )
    audio = _speech_in_noise()[:24000]
    expected = compute_stream_features(audio, settings)
    got = stream_features(audio, settings, chunk=999)
    assert got.shape == expected.shape
    assert np.abs(got.astype(np.int32) - expected.astype(np.int32)).max() <= MAX_ABS_DIFF
