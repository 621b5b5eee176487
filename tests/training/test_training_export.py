"""Export: a real int8 model that the TFLM interpreter runs, honest report figures, and refusals."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.config import FeatureSettings
from core.errors import ExportError, IncompatibleModelError
from core.model.convert import check_model, convert_int8, inspect_model
from core.model.tflm import TflmModel, measure_arena


def test_export_writes_an_int8_model_the_tflm_interpreter_runs(exported):
    run, report = exported
    model_bytes = run.model_path.read_bytes()
    info = inspect_model(model_bytes)
    assert info.input_type == "INT8" and info.input_shape == (1, 49, 40, 1)
    assert info.output_type == "INT8" and info.output_shape == (1, 4)
    assert set(info.ops) <= {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"}
    assert "CONV_2D" in info.ops and "FULLY_CONNECTED" in info.ops

    tflm = TflmModel(model_bytes)
    assert (tflm.input_scale, tflm.input_zero_point) == (report.input_scale, report.input_zero_point)
    scores = tflm.scores(np.zeros((49, 40), np.uint16))
    assert scores.shape == (4,) and scores.min() >= 0 and scores.max() <= 255
    assert 250 <= scores.sum() <= 262  # a softmax in int8: the scores share ~256


def test_report_figures_match_the_files_and_a_fresh_measurement(exported):
    run, report = exported
    model_bytes = run.model_path.read_bytes()
    assert run.report == report
    assert report.model_bytes == len(model_bytes)
    assert report.model_bytes <= 18_800  # the 4-label tiny_conv budget
    assert report.ops == inspect_model(model_bytes).ops

    # The arena is the real minimum: TFLM runs the model with it, and not with one byte less.
    assert report.arena_bytes == measure_arena(model_bytes) <= 10 * 1024
    TflmModel(model_bytes, report.arena_bytes)
    with pytest.raises(ExportError):
        TflmModel(model_bytes, report.arena_bytes - 1)

    # Accuracy figures agree with the confusion matrix (rows true, columns int8 predictions).
    confusion = np.array(report.confusion)
    assert confusion.shape == (4, 4) and confusion.sum() == report.test_clips > 0
    assert report.int8_accuracy == pytest.approx(np.trace(confusion) / confusion.sum())
    for i, label in enumerate(report.labels):
        row = confusion[i].sum()
        assert report.per_class[label] == (pytest.approx(confusion[i, i] / row) if row else None)
    assert report.float_accuracy >= 0.8 and abs(report.float_accuracy - report.int8_accuracy) <= 0.1


def test_int8_accuracy_in_the_report_is_what_tflm_gives_on_the_test_split(exported):
    from core.features.splits import load_split_data

    run, report = exported
    test = load_split_data(run.config, run.project_dir, splits=("testing",))["testing"]
    tflm = TflmModel.from_file(run.model_path)
    predicted = np.argmax(tflm.scores_batch(test.features[test.rows, 0]), axis=1)
    assert len(predicted) == report.test_clips
    assert np.mean(predicted == test.labels) == pytest.approx(report.int8_accuracy)


def test_generated_c_files_carry_the_model_and_its_settings(exported):
    run, report = exported
    cc = (run.path / "model_data.cpp").read_text()
    assert "alignas(16) const unsigned char g_model[]" in cc
    assert f"g_model_len = {report.model_bytes};" in cc
    data = bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", cc))
    assert data == run.model_path.read_bytes()
    settings = (run.path / "model_settings.h").read_text()
    assert 'kLabels[kLabelCount] = {"_silence_", "_unknown_", "stop", "go"}' in settings
    arena = int(re.search(r"kTensorArenaSize = (\d+);", settings).group(1))
    assert arena == report.arena_bytes_with_margin >= report.arena_bytes
    assert f"kInputZeroPoint = {report.input_zero_point};" in settings


def _representative(n: int = 20, frames: int = 49) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 25, (n, frames, 40, 1)).astype(np.float32)


def test_export_refuses_an_op_the_firmware_does_not_register():
    import keras
    import tensorflow as tf

    inputs = keras.Input((49, 40, 1), batch_size=1)
    x = keras.layers.Conv2D(8, (10, 8), strides=2, padding="same", activation="tanh")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(4)(keras.layers.Flatten()(x)))
    with pytest.raises(IncompatibleModelError) as refused:
        convert_int8(model, _representative(), FeatureSettings())
    assert "TANH" in refused.value.message
    assert "CONV_2D" in refused.value.hint  # says what the firmware does run
    # A .tflite made elsewhere with the same op is refused by the file check as well.
    with pytest.raises(IncompatibleModelError, match="TANH"):
        check_model(tf.lite.TFLiteConverter.from_keras_model(model).convert(), FeatureSettings(), 4)


def test_export_refuses_a_recurrent_model_with_a_clear_error():
    import keras

    inputs = keras.Input((49, 40, 1))
    x = keras.layers.LSTM(8)(keras.layers.Reshape((49, 40))(inputs))
    logits = keras.layers.Dense(4)(x)
    with pytest.raises(IncompatibleModelError, match="uses WHILE.*which the firmware does not register"):
        convert_int8(keras.Model(inputs, logits), _representative(), FeatureSettings())


def test_export_refuses_a_model_for_another_input_shape():
    import keras

    from core.model.architectures import build_model

    two_seconds = FeatureSettings(clip_ms=2000)  # 99 frames, not the firmware's 49
    model = build_model("tiny_conv", two_seconds, 4)
    with pytest.raises(IncompatibleModelError, match=r"\(1, 99, 40, 1\).*\(1, 49, 40, 1\)"):
        convert_int8(model, _representative(frames=99), FeatureSettings())
    # A converted model with the wrong input is refused by the flatbuffer check too.
    model_bytes = convert_int8(model, _representative(frames=99), two_seconds)
    with pytest.raises(IncompatibleModelError, match="input is INT8 \\(1, 99, 40, 1\\)"):
        check_model(model_bytes, FeatureSettings(), 4)
    # And a float-input model (not full-integer) is refused for its type.
    inputs = keras.Input((49, 40, 1), batch_size=1)
    float_model = keras.Model(inputs, keras.layers.Dense(4)(keras.layers.Flatten()(inputs)))
    import tensorflow as tf

    float_bytes = tf.lite.TFLiteConverter.from_keras_model(float_model).convert()
    with pytest.raises(IncompatibleModelError, match="FLOAT32"):
        check_model(float_bytes, FeatureSettings(), 4)


def test_tflm_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(ExportError, match="TFL3"):
        TflmModel(b"\x00" * 64)
    with pytest.raises(ExportError, match="no such model file"):
        TflmModel.from_file(tmp_path / "missing.tflite")
