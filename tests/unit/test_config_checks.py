"""Every setting of wakebench.toml is checked when the file is read: a value no command could run with is
refused at load, with a message naming the file and the key (core.config_checks)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core.config import ProjectConfig, config_from_dict, load_config, render_config
from core.config_checks import checked_keys
from core.errors import ConfigError, TrainingError
from core.model.runs import RunDir


def write_project(tmp_path, replace: dict[str, str]):
    text = render_config(ProjectConfig())
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "wakebench.toml"
    path.write_text(text)
    return path


def refused(tmp_path, replace: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write_project(tmp_path, replace))
    return info.value


def all_keys(obj, prefix=""):
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            yield from all_keys(value, f"{f.name}.")
        else:
            yield prefix + f.name


def test_every_setting_has_a_rule():
    missing = sorted(set(all_keys(ProjectConfig())) - checked_keys())
    assert not missing, f"add a rule for {missing} to core/config_checks.py"


def test_the_defaults_pass():
    assert config_from_dict(ProjectConfig().to_dict()) == ProjectConfig()


def test_a_threshold_the_board_cannot_hold_is_refused_at_load_naming_the_key(tmp_path):
    error = refused(tmp_path, {"detection_threshold = 200": "detection_threshold = 999"})
    assert error.message == "wakebench.toml: recognizer.detection_threshold must be 0..255, got 999"
    assert "[recognizer]" in error.hint and "detection_threshold" in error.hint


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("sample_rate = 16000", "sample_rate = 8000", "features.sample_rate must be 16000, got 8000"),
        ("channels = 40", "channels = 0", "features.channels must be 1..256, got 0"),
        (
            "upper_band_hz = 7500.0",
            "upper_band_hz = 9000.0",
            "features.upper_band_hz must be above 0 and at most 8000",
        ),
        (
            "lower_band_hz = 125.0",
            "lower_band_hz = 7600.0",
            "features.lower_band_hz must be below upper_band_hz",
        ),
        ("stride_ms = 20", "stride_ms = 40", "features.stride_ms must be at most window_ms (30), got 40"),
        ("window_ms = 30", "window_ms = 2000", "features.window_ms must be 1..1000, got 2000"),
        ("even_smoothing = 0.025", "even_smoothing = 1.5", "features.even_smoothing must be 0..1, got 1.5"),
        ("pcan_offset = 80.0", "pcan_offset = 0.0", "features.pcan_offset must be above 0, got 0.0"),
        ("synth_per_word = 600", "synth_per_word = 0", "data.synth_per_word must be 1..1000000, got 0"),
        ("testing_percentage = 10.0", "testing_percentage = 95.0", "must leave speakers for training"),
        ("recording_weight = 3.0", "recording_weight = 0.0", "data.recording_weight must be above 0"),
        ('synthetic_dir = "data/synthetic"', 'synthetic_dir = ""', "data.synthetic_dir must not be empty"),
        ("batch_size = 100", "batch_size = 0", "training.batch_size must be 1..100000, got 0"),
        ("eval_every = 400", "eval_every = -1", "training.eval_every must be at least 1, got -1"),
        (
            "learning_rates = [0.001, 0.0001]",
            "learning_rates = [0.001]",
            "one rate per step phase: 2 phases, 1 rates",
        ),
        (
            "steps = [3000, 1000]",
            "steps = [3000, 0]",
            "training.steps must be one or more positive step counts",
        ),
        (
            "background_frequency = 0.8",
            "background_frequency = 2.0",
            "training.background_frequency must be 0..1",
        ),
        (
            "average_window_ms = 200",
            "average_window_ms = 0",
            "recognizer.average_window_ms must be 1..60000, got 0",
        ),
        (
            "suppression_ms = 1500",
            "suppression_ms = -5",
            "recognizer.suppression_ms must be 0..600000, got -5",
        ),
        ("minimum_count = 2", "minimum_count = 5000", "recognizer.minimum_count must be 0..1000, got 5000"),
        ("baud = 115200", "baud = 0", "board.baud must be 1..10000000, got 0"),
        ('words = ["stop", "go"]', 'words = ["stop", "stop"]', "words lists a word twice"),
        ('words = ["stop", "go"]', 'words = ["stop", "_go"]', "words holds '_go'"),
        ('words = ["stop", "go"]', "words = []", "words must name at least one word"),
    ],
)
def test_each_bad_value_is_refused_naming_its_key(tmp_path, old, new, message):
    error = refused(tmp_path, {old: new})
    assert error.message.startswith("wakebench.toml: ")
    assert message in error.message


def test_a_cadence_the_recognizer_could_never_decide_at_is_refused_at_load(tmp_path):
    # One inference every 11 frames (220 ms): the 200 ms window never holds the 2 results a decision needs.
    error = refused(tmp_path, {"inference_every_frames = 7": "inference_every_frames = 11"})
    assert "recognizer.inference_every_frames = 11" in error.message
    assert "nothing would ever be detected" in error.message
    assert "[recognizer]" in error.hint
    # A wider window makes room for the same cadence.
    path = write_project(
        tmp_path,
        {
            "inference_every_frames = 7": "inference_every_frames = 11",
            "average_window_ms = 200": "average_window_ms = 500",
        },
    )
    assert load_config(path).recognizer.inference_every_frames == 11


def test_every_wrong_key_is_named_at_once_in_file_order(tmp_path):
    error = refused(
        tmp_path,
        {"detection_threshold = 200": "detection_threshold = 300", "channels = 40": "channels = 0"},
    )
    assert error.message == (
        "wakebench.toml: features.channels must be 1..256, got 0; "
        "recognizer.detection_threshold must be 0..255, got 300"
    )


def test_a_run_config_with_a_bad_value_is_refused_when_the_run_is_opened(tmp_path):
    saved = ProjectConfig().to_dict()
    saved["recognizer"]["detection_threshold"] = 999
    (tmp_path / "config.json").write_text(json.dumps(saved))
    with pytest.raises(TrainingError, match="recognizer.detection_threshold must be 0..255, got 999"):
        _ = RunDir(tmp_path).config
