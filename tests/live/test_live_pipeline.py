"""The streaming pipeline's bookkeeping (window, inference cadence, times, recognizer hand-off), checked
with a transparent scorer; tests/live/test_live_detect.py runs the same path with a real int8 model."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio.sources import ArraySource
from core.config import FeatureSettings, RecognizerSettings
from core.errors import ConfigError
from core.events import CancelToken
from core.features.streaming import stream_features
from core.live.detector import StreamingDetector, feature_frames
from tests import audio_factory as af

LABELS = ["_silence_", "_unknown_", "beep"]


class LoudnessScorer:
    """Says "beep" when the newest frames are loud: a stand-in whose answers a test can predict."""

    def __init__(self):
        self.windows = []

    def scores(self, window):
        self.windows.append(window.copy())
        loud = window[-5:].max() > 400  # the beep's channel stands out while it sounds
        return np.array([0, 10, 250] if loud else [250, 10, 0])


def _beeps() -> np.ndarray:
    quiet = af.noise("white", 1.5, level=0.002, seed=3)
    beep = af.tone(1000, 0.4, amplitude=0.5)
    return np.concatenate([quiet, beep, quiet, beep, quiet])


def _run(audio, infer_every=1, chunk=1234, recognizer=None):
    scorer = LoudnessScorer()
    detector = StreamingDetector(
        scorer, LABELS, FeatureSettings(), recognizer or RecognizerSettings(), infer_every=infer_every
    )
    frames = []
    for i in range(0, len(audio), chunk):
        frames += detector.push(audio[i : i + chunk])
    return scorer, frames


def test_every_frame_is_reported_with_its_features_and_time():
    audio = _beeps()
    _, frames = _run(audio)
    expected = stream_features(audio)
    assert len(frames) == len(expected)
    assert np.array_equal(np.stack([f.features for f in frames]), expected)
    assert [f.time_ms for f in frames[:3]] == [30, 50, 70]  # end of each 30 ms window, 20 ms apart
    assert [f.index for f in frames] == list(range(len(frames)))


@pytest.mark.parametrize("infer_every", [1, 3, 10])
def test_the_model_sees_the_latest_49_frames_once_the_window_is_full_then_every_n(infer_every):
    audio = _beeps()
    scorer, frames = _run(audio, infer_every=infer_every)
    ran = [f.index for f in frames if f.scores is not None]
    assert ran == list(range(48, len(frames), infer_every))
    features = stream_features(audio)
    for index, window in zip(ran, scorer.windows, strict=True):
        assert np.array_equal(window, features[index - 48 : index + 1])


def test_the_recognizer_turns_scores_into_one_detection_per_beep():
    audio = _beeps()
    short_window = RecognizerSettings(average_window_ms=500)
    for every in (1, 5):
        _, frames = _run(audio, infer_every=every, recognizer=short_window)
        words = [f.new_word for f in frames if f.new_word is not None]
        assert [w.label for w in words] == ["beep", "beep"]
        # Each detection comes while or shortly after its beep sounds (beeps at 1.5-1.9 s and 3.4-3.8 s).
        assert 1.5 < words[0].time_ms / 1000 < 2.9 and 3.4 < words[1].time_ms / 1000 < 4.8


def test_reset_forgets_the_window_and_the_recognizer():
    audio = _beeps()
    scorer = LoudnessScorer()
    detector = StreamingDetector(scorer, LABELS, FeatureSettings(), RecognizerSettings())
    first = detector.push(audio)
    detector.reset()
    assert detector.frames_seen == 0 and not detector.window().any()
    second = detector.push(audio)
    assert [f.new_word for f in first] == [f.new_word for f in second]


def test_infer_every_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        StreamingDetector(LoudnessScorer(), LABELS, FeatureSettings(), RecognizerSettings(), infer_every=0)


@pytest.mark.parametrize("every", [7, 4])
def test_without_an_override_the_model_runs_at_the_recognizer_settings_cadence(every):
    scorer = LoudnessScorer()
    settings = RecognizerSettings(inference_every_frames=every)
    detector = StreamingDetector(scorer, LABELS, FeatureSettings(), settings)
    frames = detector.push(_beeps())
    assert [f.index for f in frames if f.scores is not None] == list(range(48, len(frames), every))


def test_a_cadence_the_recognizer_could_never_decide_at_is_a_config_error():
    # 11 frames = 220 ms between inferences: the 200 ms window never holds the 2 results it needs.
    with pytest.raises(ConfigError, match="every 11 frames .220 ms. leaves 1 result") as info:
        StreamingDetector(
            LoudnessScorer(), LABELS, FeatureSettings(), RecognizerSettings(inference_every_frames=11)
        )
    assert "inference_every_frames" in info.value.hint
    with pytest.raises(ConfigError, match="inference_every_frames must be at least 1"):
        StreamingDetector(
            LoudnessScorer(), LABELS, FeatureSettings(), RecognizerSettings(inference_every_frames=0)
        )
    # An override is checked the same way; a wider window makes room for it.
    with pytest.raises(ConfigError, match="every 12 frames"):
        StreamingDetector(LoudnessScorer(), LABELS, FeatureSettings(), RecognizerSettings(), infer_every=12)
    wide = RecognizerSettings(average_window_ms=500)
    assert (
        StreamingDetector(LoudnessScorer(), LABELS, FeatureSettings(), wide, infer_every=12).infer_every == 12
    )


def test_feature_frames_of_a_source_match_the_frontend_and_stop_on_cancel():
    audio = _beeps()
    frames = np.stack(list(feature_frames(ArraySource(audio, chunk_ms=37))))
    assert np.array_equal(frames, stream_features(audio))
    cancel = CancelToken()
    got = []
    for frame in feature_frames(ArraySource(audio, loop=True), cancel=cancel):
        got.append(frame)
        if len(got) == 120:
            cancel.cancel()
    assert len(got) < 200  # a looping source would never end by itself
