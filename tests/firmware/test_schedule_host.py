"""The firmware's InferenceSchedule runs the model on the same frames as the PC's StreamingDetector
(core/live/detector.py): first when the window has filled, then every `inference_every_frames` frames."""

from __future__ import annotations

import numpy as np
import pytest
from host_build import run_driver

from core.config import FeatureSettings, RecognizerSettings
from core.live.detector import StreamingDetector
from tests import audio_factory as af


class CountingScorer:
    """Scores nothing in particular; the test only needs to know when the pipeline asked."""

    def scores(self, window: np.ndarray) -> np.ndarray:
        return np.array([255, 0, 0])


def pc_inference_frames(features: FeatureSettings, every: int, seconds: float) -> tuple[int, list[int]]:
    """(frames in the stream, indices of the frames the PC pipeline ran the model on)."""
    recognizer = RecognizerSettings(average_window_ms=1000, inference_every_frames=every)
    detector = StreamingDetector(CountingScorer(), ["_silence_", "_unknown_", "beep"], features, recognizer)
    audio = af.noise("white", seconds, level=0.01, seed=1)
    frames = [f for i in range(0, len(audio), 999) for f in detector.push(audio[i : i + 999])]
    return len(frames), [f.index for f in frames if f.scores is not None]


@pytest.mark.parametrize("clip_ms", [1000, 600])
def test_board_and_pc_run_the_model_on_the_same_frames(host_build, clip_ms):
    features = FeatureSettings(clip_ms=clip_ms)  # windows of 49 and 29 frames
    cases, expected = [], []
    for every in (1, 2, 3, 7, 10, 49):
        count, ran = pc_inference_frames(features, every, seconds=4.3)
        assert ran and ran[0] == features.frames - 1
        cases.append(f"{features.frames} {every} {count}")
        expected.append(ran)
    output = run_driver(host_build, "schedule_driver", "\n".join(cases) + "\n")
    board = [[int(i) for i in line.split()] for line in output]
    assert board == expected


def test_a_stream_shorter_than_the_window_never_runs_the_model(host_build):
    (line,) = run_driver(host_build, "schedule_driver", "49 7 48\n")
    assert line.strip() == ""
