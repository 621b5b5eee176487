"""Augmentation, the feature cache and the model registry."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from core.audio.samples import to_int16
from core.config import FeatureSettings
from core.errors import ConfigError
from core.features.augment import AugmentSettings, augment_clip, time_shift
from core.features.cache import compute_clip_features, request_for
from core.features.frontend import compute_features
from tests.audio_factory import noise, tone, wav_bytes, write_wav

RATE = 16000


# ---- augmentation -------------------------------------------------------------------------------


def test_time_shift_moves_audio_and_pads_with_zeros():
    audio = np.arange(1, 11, dtype=np.float32)
    assert time_shift(audio, 3).tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]
    assert time_shift(audio, -2).tolist() == [3, 4, 5, 6, 7, 8, 9, 10, 0, 0]
    assert time_shift(audio, 0).tolist() == audio.tolist()


def test_training_augmentation_shifts_and_mixes_noise_within_the_recipe_limits():
    clip = tone(1000, 1.0)
    background = [noise("white", 3.0, level=0.5)]
    settings = AugmentSettings(time_shift_ms=100, background_volume=0.1, background_frequency=1.0)
    rng = np.random.default_rng(0)
    shifts = []
    for _ in range(10):
        out = augment_clip(clip, background, settings, RATE, RATE, rng, training=True)
        assert out.shape == (RATE,) and out.dtype == np.float32
        # Some shift within +/-100 ms explains the output up to noise of at most 0.1 x the file's peak 0.5.
        errors = {s: np.abs(out - time_shift(clip, s)).max() for s in range(-1600, 1601, 1)}
        best = min(errors, key=errors.get)
        assert 0 < errors[best] <= 0.05 + 1e-6
        shifts.append(best)
    assert len(set(shifts)) > 5
    # Frequency 0 and no shift: training leaves the clip as it is.
    quiet = AugmentSettings(time_shift_ms=0, background_volume=0.1, background_frequency=0.0)
    assert np.array_equal(augment_clip(clip, background, quiet, RATE, RATE, rng, training=True), clip)


def test_noise_is_mixed_into_the_configured_share_of_clips():
    clip = np.zeros(RATE, np.float32)
    background = [noise("white", 2.0, level=0.5)]
    settings = AugmentSettings(time_shift_ms=0, background_volume=0.1, background_frequency=0.8)
    rng = np.random.default_rng(1)
    noisy = [np.any(augment_clip(clip, background, settings, RATE, RATE, rng, True)) for _ in range(500)]
    assert 0.72 < np.mean(noisy) < 0.88


def test_evaluation_clips_are_untouched_but_silence_gets_noise():
    clip = tone(700, 1.0)
    background = [noise("pink", 2.0, level=0.5)]
    rng = np.random.default_rng(2)
    settings = AugmentSettings()
    assert np.array_equal(augment_clip(clip, background, settings, RATE, RATE, rng, training=False), clip)
    silences = [augment_clip(None, background, settings, RATE, RATE, rng, training=False) for _ in range(10)]
    assert all(np.any(s) for s in silences)
    assert len({float(np.abs(s).max()) for s in silences}) == 10  # random volume each time
    # Without background files, silence is silence.
    assert not np.any(augment_clip(None, [], settings, RATE, RATE, rng, training=True))


# ---- feature cache ------------------------------------------------------------------------------


@pytest.fixture
def clips(tmp_path):
    paths = [write_wav(tmp_path / "data" / f"c{i}.wav", tone(300 + 100 * i, 1.0)) for i in range(3)]
    background = [write_wav(tmp_path / "data" / "bg.wav", noise("white", 2.0))]
    return paths, background


DEFAULT_FEATURES = FeatureSettings()
DEFAULT_AUGMENT = AugmentSettings()


def _compute(paths, background, cache, features=DEFAULT_FEATURES, augment=DEFAULT_AUGMENT, variants=3):
    requests = [request_for(p) for p in paths] + [request_for(None, "training:0")]
    return compute_clip_features(
        requests, features, background, augment=augment, variants=variants, seed=0, cache_dir=cache
    )


def test_features_are_computed_once_then_read_from_the_cache(clips, tmp_path):
    paths, background = clips
    cache = tmp_path / "cache"
    first = _compute(paths, background, cache)
    assert (
        first.computed == 4 and first.features.shape == (4, 3, 49, 40) and first.features.dtype == np.uint16
    )
    second = _compute(paths, background, cache)
    assert second.computed == 0
    for a, b in zip(first.rows, second.rows, strict=True):
        assert np.array_equal(first.features[a], second.features[b])
    # The cached variants are real augmented features: variants differ, and an eval (plain) version of a
    # clip equals the frontend output of the file itself.
    row = first.features[first.rows[0]]
    assert not np.array_equal(row[0], row[1])
    plain = compute_clip_features([request_for(paths[0])], FeatureSettings(), background, cache_dir=cache)
    from core.audio.files import read_audio
    from core.audio.samples import fit_clip

    expected = compute_features(to_int16(fit_clip(read_audio(paths[0]), RATE)), FeatureSettings())
    assert np.array_equal(plain.features[plain.rows[0], 0], expected)


def test_a_copied_project_gets_the_same_augmented_variants(clips, tmp_path):
    """Augmentation is seeded by the clip's folder and name, not where the project lives, so the same
    project and seed train the same model in any folder (and tests do not depend on tmp paths)."""
    import shutil

    paths, background = clips
    copy = shutil.copytree(tmp_path / "data", tmp_path / "elsewhere" / "data")
    here = _compute(paths, background, None)
    there = _compute([copy / p.name for p in paths], [copy / "bg.wav"], None)
    assert np.array_equal(here.features[here.rows], there.features[there.rows])
    renamed = _compute([paths[1], paths[0], paths[2]], background, None)
    assert not np.array_equal(renamed.features[renamed.rows[0]], here.features[here.rows[0]])


def test_cache_is_invalidated_by_a_changed_clip_or_changed_settings(clips, tmp_path):
    paths, background = clips
    cache = tmp_path / "cache"
    _compute(paths, background, cache)

    # Rewriting one clip (new size/mtime) recomputes that clip only.
    paths[1].write_bytes(wav_bytes(tone(2000, 0.9)))
    os.utime(paths[1], ns=(1, 1))
    assert _compute(paths, background, cache).computed == 1

    # Any feature or augmentation setting change recomputes everything.
    changed_features = dataclasses.replace(FeatureSettings(), upper_band_hz=7000.0)
    assert _compute(paths, background, cache, features=changed_features).computed == 4
    changed_augment = dataclasses.replace(AugmentSettings(), background_volume=0.2)
    assert _compute(paths, background, cache, augment=changed_augment).computed == 4
    assert _compute(paths, background, cache, variants=2).computed == 4
    # And going back to the first settings finds them cached.
    assert _compute(paths, background, cache).computed == 0


def test_unreadable_clips_are_skipped_and_reported(clips, tmp_path):
    paths, background = clips
    bad = tmp_path / "data" / "bad.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    result = _compute([*paths, bad], background, tmp_path / "cache")
    assert result.rows[3] == -1 and all(r >= 0 for r in np.delete(result.rows, 3))
    assert [p for p, _ in result.skipped] == [str(bad)]


def test_a_damaged_cache_file_is_rebuilt_not_trusted(clips, tmp_path):
    paths, background = clips
    cache = tmp_path / "cache"
    _compute(paths, background, cache)
    (cache_file,) = cache.glob("*.npz")
    cache_file.write_bytes(b"not a numpy file")
    assert _compute(paths, background, cache).computed == 4


# ---- models -------------------------------------------------------------------------------------


def test_tiny_conv_has_the_micro_speech_shape():
    from core.model.architectures import build_model, model_names

    assert "tiny_conv" in model_names()
    model = build_model("tiny_conv", FeatureSettings(), 4)
    assert tuple(model.input_shape) == (None, 49, 40, 1)
    assert tuple(model.output_shape) == (None, 4)
    conv = model.get_layer("conv")
    assert conv.kernel.shape == (10, 8, 1, 8) and conv.strides == (2, 2) and conv.padding == "same"
    assert model.get_layer("logits").kernel.shape == (25 * 20 * 8, 4)
    assert model.count_params() == 10 * 8 * 8 + 8 + 4000 * 4 + 4


def test_unknown_model_names_list_the_known_ones():
    from core.model.architectures import build_model

    with pytest.raises(ConfigError, match="tiny_conv"):
        build_model("huge_transformer", FeatureSettings(), 4)


def test_dropout_drops_half_in_training_and_nothing_in_inference():
    from core.model.architectures import build_model

    model = build_model("tiny_conv", FeatureSettings(), 4)
    dropout = model.get_layer("dropout")
    x = np.ones((100, 25, 20, 8), np.float32)
    a, b = dropout(x, training=True).numpy(), dropout(x, training=True).numpy()
    assert set(np.unique(a)) == {0.0, 2.0}
    assert 0.48 < np.mean(a == 0) < 0.52
    assert 0.45 < np.mean(a != b) < 0.55  # a fresh mask each call
    assert np.array_equal(dropout(x, training=False).numpy(), x)
