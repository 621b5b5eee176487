"""Generated firmware files: the C array holds the exact model bytes, settings carry the config, and
values the board cannot represent are refused with an ExportError."""

from __future__ import annotations

import dataclasses
import re
import struct

import pytest

from core.board.firmware_files import (
    FIRMWARE_OPS,
    MODEL_DATA_CPP,
    MODEL_SETTINGS_H,
    _float_literal,
    arena_with_margin,
    firmware_model,
    model_sha8,
    render_firmware_files,
    write_firmware_files,
)
from core.config import FeatureSettings, RecognizerSettings
from core.errors import ConfigError, ExportError

MODEL = b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 3 + b"\x01"


def spec(**changes):
    base = firmware_model(
        MODEL,
        ["_silence_", "_unknown_", "stop", "go"],
        FeatureSettings(),
        RecognizerSettings(),
        9400,
        0.1019608,
        -128,
    )
    return dataclasses.replace(base, **changes)


def array_bytes(cc_text: str) -> bytes:
    body = cc_text.split("{", 1)[1].split("}", 1)[0]
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", body))


def test_model_array_holds_the_exact_bytes_aligned():
    files = render_firmware_files(spec())
    cc = files[MODEL_DATA_CPP]
    assert array_bytes(cc) == MODEL
    assert "alignas(16) const unsigned char g_model[]" in cc
    assert f"const unsigned int g_model_len = {len(MODEL)};" in cc


def test_settings_carry_labels_features_recognizer_and_hash():
    settings = render_firmware_files(spec(recognizer=RecognizerSettings(750, 180, 1000, 2)))[MODEL_SETTINGS_H]
    assert f'kModelSha8[] = "{model_sha8(MODEL)}"' in settings
    assert 'kLabels[kLabelCount] = {"_silence_", "_unknown_", "stop", "go"}' in settings
    assert "kFeatureFrames = 49;" in settings and "kFeatureBins = 40;" in settings
    assert "kAverageWindowMs = 750;" in settings and "kDetectionThreshold = 180;" in settings
    assert "kSuppressionMs = 1000;" in settings and "kMinimumCount = 2;" in settings
    assert "kInferenceEveryFrames = 7;" in settings  # the default cadence
    every3 = RecognizerSettings(inference_every_frames=3)
    assert "kInferenceEveryFrames = 3;" in render_firmware_files(spec(recognizer=every3))[MODEL_SETTINGS_H]
    assert "kInputZeroPoint = -128;" in settings
    assert f"kTensorArenaSize = {arena_with_margin(9400)};" in settings
    assert "Do not edit" in settings


def test_given_hash_is_used():
    assert 'kModelSha8[] = "3f2a9c1d"' in render_firmware_files(spec(model_hash="3f2a9c1d"))[MODEL_SETTINGS_H]


@pytest.mark.parametrize("value", [0.1019608, 0.0390625, 1e-7, 123456.7, 0.1, 7500.0, 3.4e38])
def test_float_literals_read_back_to_the_same_float32(value):
    literal = _float_literal(value)
    assert literal.endswith("f")
    assert struct.pack("<f", float(literal[:-1])) == struct.pack("<f", value)


def test_arena_margin_is_at_least_a_kilobyte_and_aligned():
    assert arena_with_margin(1000) == 2032
    assert arena_with_margin(100_000) == 110_000
    assert all(
        arena_with_margin(n) % 16 == 0 and arena_with_margin(n) >= n + 1024 for n in range(1, 5000, 37)
    )


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"model": b"not a flatbuffer at all"}, "TFL3"),
        ({"labels": ("_silence_", "hey seth")}, "'hey seth' cannot go to the board"),
        ({"labels": ("_silence_", "a,b")}, "cannot go to the board"),
        ({"labels": ("_silence_",)}, "at least 2 labels"),
        ({"labels": ("_silence_", "go", "go")}, "labels repeat"),
        ({"input_zero_point": 128}, "zero point"),
        ({"input_scale": 0.0}, "input scale"),
        ({"arena_bytes": 0}, "arena"),
        ({"model_hash": "XYZ"}, "8 lowercase hex"),
        ({"recognizer": RecognizerSettings(detection_threshold=300)}, "detection_threshold"),
        ({"recognizer": RecognizerSettings(inference_every_frames=0)}, "inference_every_frames"),
        ({"recognizer": RecognizerSettings(inference_every_frames=11)}, "nothing would ever be detected"),
    ],
)
def test_values_the_board_cannot_hold_are_refused(changes, message):
    expected = ConfigError if "recognizer" in changes else ExportError
    with pytest.raises(expected, match=re.escape(message)):
        render_firmware_files(spec(**changes))


def test_write_puts_three_files(tmp_path):
    written = write_firmware_files(spec(), tmp_path / "fw")
    assert sorted(p.name for p in written) == ["model_data.cpp", "model_data.h", "model_settings.h"]
    assert array_bytes((tmp_path / "fw" / "model_data.cpp").read_text()) == MODEL
    assert not list((tmp_path / "fw").glob(".*tmp"))


def test_firmware_ops_are_the_tiny_conv_family():
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"} <= set(FIRMWARE_OPS)
