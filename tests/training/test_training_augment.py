"""Issue 13 item 3 — augmentation like modern wake-word trainers: simulated rooms, cheap microphones,
noise at an SNR, gain, speed (VTLP-like) and SpecAugment, all repeatable for a seed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import FeatureSettings, TrainingSettings
from core.features.augment import (
    AugmentSettings,
    augment_clip,
    change_speed,
    filter_clip,
    microphone_response,
    room_spectra,
    spec_augment,
    speech_rms,
)
from core.features.cache import compute_clip_features, request_for
from core.features.rooms import load_or_make_bank, rir_bank
from tests.audio_factory import noise, tone, write_wav

RATE = 16000
PLAIN = AugmentSettings(time_shift_ms=0, background_frequency=0.0)  # only what a test turns on


def _word(seconds: float = 0.4) -> np.ndarray:
    """A 1 s clip with a 'word' (a tone burst) in the middle."""
    clip = np.zeros(RATE, np.float32)
    burst = tone(500, seconds) * np.hanning(int(seconds * RATE)).astype(np.float32)
    start = (RATE - len(burst)) // 2
    clip[start : start + len(burst)] = burst
    return clip


def _peak_frequency(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.fft.rfftfreq(len(audio), 1 / RATE)[np.argmax(spectrum)])


def test_the_room_bank_is_simulated_repeatably_and_cached_on_disk(tmp_path):
    bank = rir_bank(4, RATE)
    assert len(bank) == 4 and all(r.dtype == np.float32 and np.argmax(np.abs(r)) == 0 for r in bank)
    assert all(np.max(np.abs(r)) == pytest.approx(1.0) for r in bank)
    assert len({len(r) for r in bank}) > 1  # different rooms, different tails
    saved = load_or_make_bank(4, RATE, tmp_path)
    assert (tmp_path / f"rooms-4-{RATE}.npz").is_file()
    loaded = load_or_make_bank(4, RATE, tmp_path)
    assert all(np.array_equal(a, b) for a, b in zip(saved, loaded, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(bank, loaded, strict=True))


def test_a_room_adds_a_tail_and_keeps_the_word_where_it_was():
    clip = _word(0.1)
    wet = filter_clip(clip, room_spectra(rir_bank(4, RATE))[0], None)
    assert wet.shape == clip.shape and np.max(np.abs(wet)) == pytest.approx(np.max(np.abs(clip)), rel=1e-4)
    end = int(np.nonzero(np.abs(clip) > 1e-4)[0][-1])
    assert np.sqrt(np.mean(wet[end + 200 : end + 2000] ** 2)) > 1e-3 > np.abs(clip[end + 200 :]).max()

    def onset(x):
        return int(np.nonzero(np.abs(x) > 0.05 * np.max(np.abs(x)))[0][0])

    assert abs(onset(wet) - onset(clip)) < 80  # the direct sound comes first: the word does not move


def test_a_cheap_microphone_cuts_the_lows_and_the_highs():
    rng = np.random.default_rng(3)
    responses = np.stack([microphone_response(RATE, rng) for _ in range(20)])
    freqs = np.fft.rfftfreq(24000, 1 / RATE)
    at = {f: responses[:, np.argmin(np.abs(freqs - f))] for f in (40, 1000, 7900)}
    assert np.all(at[40] < 0.6 * at[1000])
    assert np.median(at[7900]) < 0.6 * np.median(at[1000])
    response = responses[0]
    hum = tone(40, 1.0)
    assert np.abs(filter_clip(hum, None, response)).max() < 0.7 * np.abs(hum).max()


def test_noise_is_mixed_at_the_signal_to_noise_ratio_asked_for():
    clip = _word()
    background = [noise("white", 3.0, level=0.5)]
    settings = dataclasses.replace(PLAIN, background_frequency=1.0, noise_snr_db=(10.0, 10.0))
    out = augment_clip(clip, background, settings, RATE, RATE, np.random.default_rng(0), True)
    added = out - clip
    snr = 20 * np.log10(speech_rms(clip) / np.sqrt(np.mean(added**2)))
    assert snr == pytest.approx(10.0, abs=0.5)
    low = dataclasses.replace(settings, noise_snr_db=(-5.0, -5.0))
    louder = augment_clip(clip, background, low, RATE, RATE, np.random.default_rng(0), True) - clip
    assert np.sqrt(np.mean(louder**2)) > 5 * np.sqrt(np.mean(added**2))


def test_gain_and_speed_change_level_and_pitch():
    clip = _word()
    half = augment_clip(
        clip,
        [],
        dataclasses.replace(PLAIN, gain_db=(-6.02, -6.02)),
        RATE,
        RATE,
        np.random.default_rng(0),
        True,
    )
    assert np.max(np.abs(half)) == pytest.approx(np.max(np.abs(clip)) / 2, rel=1e-3)
    faster = change_speed(tone(500, 1.0), 1.1)
    assert len(faster) == RATE and _peak_frequency(faster[2000:-2000]) == pytest.approx(550, abs=6)
    slower = change_speed(tone(500, 1.0), 0.9)
    assert _peak_frequency(slower) == pytest.approx(450, abs=6)


def test_spec_augment_masks_a_time_band_and_a_frequency_band():
    features = np.full((49, 40), 500, np.uint16)
    settings = dataclasses.replace(
        PLAIN, spec_time_masks=1, spec_time_mask_frames=6, spec_freq_masks=1, spec_freq_mask_channels=5
    )
    rng = np.random.default_rng(4)
    masked = [spec_augment(features, settings, rng) for _ in range(30)]
    assert all(m.shape == features.shape and m.dtype == np.uint16 for m in masked)
    zero_rows = [int(np.sum(np.all(m == 0, axis=1))) for m in masked]
    zero_cols = [int(np.sum(np.all(m == 0, axis=0))) for m in masked]
    assert max(zero_rows) <= 6 and max(zero_cols) <= 5 and sum(zero_rows) > 0 and sum(zero_cols) > 0
    assert np.all(features == 500)  # the input is left alone


def test_the_default_recipe_turns_everything_on_and_is_repeatable():
    settings = dataclasses.replace(AugmentSettings.from_training(TrainingSettings()), rir_count=4)
    assert (
        settings.noise_snr_db == (-5.0, 20.0)
        and settings.reverb_probability > 0
        and settings.eq_probability > 0
    )
    assert settings.speed_probability > 0 and settings.gain_db and settings.spec_time_masks > 0
    clip, background = _word(), [noise("pink", 3.0, level=0.5)]
    first = [
        augment_clip(clip, background, settings, RATE, RATE, np.random.default_rng(9), True) for _ in range(2)
    ]
    assert np.array_equal(first[0], first[1])
    rng = np.random.default_rng(9)
    variants = [augment_clip(clip, background, settings, RATE, RATE, rng, True) for _ in range(20)]
    assert all(v.shape == (RATE,) and np.all(np.abs(v) <= 1.0) and np.all(np.isfinite(v)) for v in variants)
    assert len({v.tobytes() for v in variants}) == 20
    # Evaluation clips are still untouched.
    assert np.array_equal(augment_clip(clip, background, settings, RATE, RATE, rng, False), clip)


def test_the_feature_cache_uses_the_full_recipe_and_reuses_it(tmp_path):
    paths = [write_wav(tmp_path / "data" / "stop" / f"c{i}.wav", _word()) for i in range(2)]
    background = [write_wav(tmp_path / "data" / "bg.wav", noise("white", 2.0))]
    settings = dataclasses.replace(AugmentSettings.from_training(TrainingSettings()), rir_count=4)
    requests = [request_for(p) for p in paths] + [request_for(None, "training:0")]
    cache = tmp_path / "cache"

    def compute():
        return compute_clip_features(
            requests, FeatureSettings(), background, augment=settings, variants=3, seed=0, cache_dir=cache
        )

    first = compute()
    assert first.computed == 3 and (cache / "rooms-4-16000.npz").is_file()
    again = compute()
    assert again.computed == 0 and np.array_equal(again.features, first.features)
    rows = first.features[first.rows[0]]
    assert len({r.tobytes() for r in rows}) == 3  # three different variants of one clip


def test_a_reused_spectrum_filters_exactly_like_a_fresh_one_and_a_shift_commutes():
    from core.features.augment import _spectrum_of, time_shift

    clip = _word()
    room = room_spectra(rir_bank(4, RATE))[1]
    mic = microphone_response(RATE, np.random.default_rng(5))
    fresh = filter_clip(clip, room, mic)
    assert np.array_equal(filter_clip(clip, room, mic, _spectrum_of(clip)), fresh)
    assert _spectrum_of(clip) is _spectrum_of(clip)  # kept for the clip's next variant
    other = _word(0.2)
    assert not np.array_equal(_spectrum_of(other), _spectrum_of(clip))
    # Shifting after filtering = filtering after shifting (the word sits well inside the clip).
    before = filter_clip(time_shift(clip, 800), room, mic)
    after = time_shift(fresh, 800)
    assert np.max(np.abs(before - after)) < 1e-3 * np.max(np.abs(fresh))
