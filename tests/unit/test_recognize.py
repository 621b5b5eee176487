"""The Python recognizer takes micro_speech's decisions (shared vectors) and refuses bad input clearly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.config import RecognizerSettings
from core.config_checks import results_in_window
from core.errors import ConfigError
from core.live.recognize import (
    Decision,
    RecognizeCommands,
    TimeOrderError,
    check_cadence,
    queue_capacity,
)

VECTORS = Path(__file__).parents[1] / "vectors"
sys.path.insert(0, str(VECTORS))

from recognizer_vectors import all_vectors, python_decisions  # noqa: E402

LABELS = ["_silence_", "_unknown_", "stop", "go"]
STOP = [0, 0, 255, 0]
# micro_speech's own settings (the project's defaults differ since the tuning in core/config.py).
MICRO_SPEECH = RecognizerSettings(
    average_window_ms=1000, detection_threshold=200, suppression_ms=1500, minimum_count=3
)


@pytest.mark.parametrize("vector", all_vectors(), ids=lambda v: v.name)
def test_decisions_match_the_shared_vectors(vector):
    expected = [step[2] for step in vector.steps]
    assert python_decisions(vector) == expected


def test_there_are_hand_written_vectors_covering_each_rule():
    names = {v.name for v in all_vectors()}
    for rule in (
        "threshold_edge",
        "suppression",
        "minimum_count",
        "time_order",
        "window_boundary",
        "capacity",
    ):
        assert f"hand_{rule}" in names


def test_generated_vectors_are_up_to_date(tmp_path):
    """Regenerating gives byte-identical files (deterministic, and nobody edited them by hand)."""
    committed = {p.name: p.read_bytes() for p in (VECTORS / "recognizer").glob("generated_*.json")}
    assert committed
    script = VECTORS / "make_recognizer_vectors.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True)
    assert {p.name: p.read_bytes() for p in tmp_path.glob("generated_*.json")} == committed


def test_time_order_error_keeps_state():
    recognizer = RecognizeCommands(LABELS, MICRO_SPEECH)
    for t in (0, 100, 200):
        recognizer.process(STOP, t)
    with pytest.raises(TimeOrderError, match="150 ms is earlier than 200 ms"):
        recognizer.process(STOP, 150)
    assert recognizer.process(STOP, 300) == Decision(300, "stop", 2, 255, True)


def test_reset_forgets_results_and_last_command():
    recognizer = RecognizeCommands(LABELS, MICRO_SPEECH)
    for t in (0, 100, 200, 300):
        last = recognizer.process(STOP, t)
    assert last.reportable
    recognizer.reset()
    assert recognizer.process(STOP, 50) is None  # earlier time is fine after a reset
    for t in (100, 200, 300):
        last = recognizer.process(STOP, t)
    assert last.is_new


def test_reportable_means_new_keyword_only():
    assert Decision(0, "stop", 2, 230, True).reportable
    assert not Decision(0, "stop", 2, 230, False).reportable
    assert not Decision(0, "_silence_", 0, 255, True).reportable
    assert not Decision(0, "_unknown_", 1, 255, True).reportable


@pytest.mark.parametrize(
    "scores, message",
    [([0, 0, 255], "expected 4 scores, got 3"), ([0, 0, 256, 0], "0..255"), ([0, -1, 0, 0], "0..255")],
)
def test_bad_scores_are_refused(scores, message):
    with pytest.raises(ValueError, match=message):
        RecognizeCommands(LABELS, RecognizerSettings()).process(scores, 0)


@pytest.mark.parametrize(
    "settings, field",
    [
        (RecognizerSettings(detection_threshold=256), "detection_threshold"),
        (RecognizerSettings(average_window_ms=0), "average_window_ms"),
        (RecognizerSettings(suppression_ms=-1), "suppression_ms"),
        (RecognizerSettings(minimum_count=-2), "minimum_count"),
        (RecognizerSettings(inference_every_frames=0), "inference_every_frames"),
    ],
)
def test_settings_the_board_cannot_hold_are_a_config_error(settings, field):
    with pytest.raises(ConfigError, match=field) as info:
        RecognizeCommands(LABELS, settings)
    assert "wakebench.toml" in info.value.hint


def test_queue_capacity_holds_a_full_window_at_one_inference_per_frame():
    settings = RecognizerSettings()
    capacity = queue_capacity(settings, stride_ms=20)
    bounded = RecognizeCommands(LABELS, settings, capacity=capacity)
    unbounded = RecognizeCommands(LABELS, settings)
    for i in range(300):
        scores = [(i * 7 + k * 31) % 256 for k in range(4)]
        assert bounded.process(scores, i * 20) == unbounded.process(scores, i * 20)


@pytest.mark.parametrize(
    "settings, every, fits",
    [
        (RecognizerSettings(), 7, 2),  # the defaults: 140 ms apart, two results in 200 ms
        (RecognizerSettings(), 10, 2),  # a result exactly 200 ms old stays
        (RecognizerSettings(), 11, 1),
        (RecognizerSettings(), 1, 11),
        (RecognizerSettings(average_window_ms=1000, minimum_count=3), 25, 3),
        (RecognizerSettings(average_window_ms=1000, minimum_count=3), 26, 2),
    ],
)
def test_a_cadence_is_refused_exactly_when_the_recognizer_could_never_decide(settings, every, fits):
    assert results_in_window(settings, 20, every) == fits
    recognizer = RecognizeCommands(LABELS, settings)
    decided = [recognizer.process(STOP, i * every * 20) is not None for i in range(20)]
    if any(decided):
        check_cadence(settings, 20, every)
    else:
        with pytest.raises(ConfigError, match="nothing would ever be detected"):
            check_cadence(settings, 20, every)
    assert any(decided) == (fits >= max(settings.minimum_count, 2))
