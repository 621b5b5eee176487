"""Training what the board sees: warm-up audio before each clip with the frontend state carried into it,
the word anywhere inside the window, other speech around it."""

from __future__ import annotations

import dataclasses

import numpy as np

from core.audio.files import write_wav
from core.config import FeatureSettings
from core.features.augment import AugmentSettings, speech_bounds
from core.features.cache import compute_clip_features, request_for
from core.features.context import speech_around, speech_pool, word_inside_shift
from core.features.frontend import compute_features
from core.features.streaming import stream_features

RATE = 16000


def tone_clip(start_s: float, end_s: float, freq: float = 1000.0) -> np.ndarray:
    audio = np.zeros(RATE, np.float32)
    t = np.arange(int(start_s * RATE), int(end_s * RATE))
    audio[t] = 0.5 * np.sin(2 * np.pi * freq * t / RATE)
    return audio


def test_the_clips_frames_after_a_warm_up_are_the_streams_frames():
    rng = np.random.default_rng(0)
    settings = FeatureSettings()
    audio = np.concatenate([0.3 * rng.standard_normal(RATE), tone_clip(0.3, 0.6)]).astype(np.float32)
    audio = np.clip(audio, -1, 1)
    warm_frames = RATE // settings.stride_samples
    batch = compute_features(audio, settings)[-settings.frames :]
    streamed = stream_features(audio, settings)[warm_frames : warm_frames + settings.frames]
    assert np.array_equal(batch, streamed)
    # ... and the carried state matters: the same clip from a fresh state gives other features.
    fresh = compute_features(audio[RATE:], settings)
    assert np.abs(fresh.astype(int) - batch.astype(int)).max() > 20


def test_word_inside_shift_moves_the_word_anywhere_inside_the_window():
    clip = tone_clip(0.35, 0.65)
    lo, hi = speech_bounds(clip)
    rng = np.random.default_rng(1)
    shifts = [word_inside_shift(clip, 8000, RATE, rng) for _ in range(300)]
    margin = 30 * RATE // 1000
    assert all(lo + s >= margin and hi + s <= RATE - margin for s in shifts)
    assert max(shifts) - min(shifts) > 0.6 * RATE * 0.6  # most of the room the word has
    # A word that fills the clip is not moved.
    assert word_inside_shift(tone_clip(0.0, 1.0), 8000, RATE, rng) == 0


def test_speech_around_puts_other_words_before_and_after_the_word():
    rng = np.random.default_rng(2)
    scene = np.zeros(2 * RATE, np.float32)
    word = (RATE + 6000, RATE + 9000)
    other = tone_clip(0.4, 0.6, freq=300.0)
    befores, afters = 0, 0
    for _ in range(40):
        out = speech_around(scene, word, speech_pool([other]), 1.0, RATE, rng)
        loud = np.flatnonzero(np.abs(out) > 1e-3)
        assert len(loud) and not np.any((loud >= word[0] - 800) & (loud < word[1] + 800))  # >= 50 ms gaps
        befores += bool(np.any(loud < word[0]))
        afters += bool(np.any(loud > word[1]))
    assert befores == 40 and 5 < afters < 35  # after the word half as often
    # Silence clips get speech only before their window.
    out = speech_around(scene, None, speech_pool([other]), 1.0, RATE, rng)
    assert np.any(out[:RATE]) and not np.any(out[RATE:])


def test_training_features_carry_a_warmed_up_state_and_are_repeatable(tmp_path):
    clips = []
    for i in range(4):
        path = tmp_path / "stop" / f"s{i}_nohash_0.wav"
        path.parent.mkdir(exist_ok=True)
        write_wav(path, tone_clip(0.3, 0.6, 800.0 + 100 * i))
        clips.append(request_for(path))
    settings = FeatureSettings()
    noise = tmp_path / "noise.wav"
    write_wav(noise, (0.3 * np.random.default_rng(0).standard_normal(3 * RATE)).astype(np.float32))
    streaming = AugmentSettings(400, 0.3, 1.0, warmup_ms=1000, keep_word_inside=True, context_speech=0.5)
    fresh = dataclasses.replace(streaming, warmup_ms=0)

    def features(augment):
        got = compute_clip_features(clips, settings, [noise], augment=augment, variants=3, seed=0)
        return got.features[got.rows]

    warmed = features(streaming)
    assert warmed.shape == (4, 3, settings.frames, settings.channels)
    assert np.array_equal(warmed, features(streaming))  # same clips, same seed: same variants
    # Without the warm-up each clip starts from a fresh frontend state: other features.
    assert not np.array_equal(warmed, features(fresh))
