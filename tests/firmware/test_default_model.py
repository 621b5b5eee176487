"""The committed default model (firmware/wakebench/model_data.cc + model_settings.h) is what the sketch
expects: generated, not hand-edited; int8 [1,49,40,1] in, int8 [1,labels] out; only firmware ops; it
allocates in the TFLM interpreter within the generated arena; and it hears "stop" and "go"."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from host_build import SKETCH_DIR, make, run_driver

from core.codegen import FIRMWARE_OPS, firmware_model, model_sha8, render_firmware_files
from core.config import FeatureSettings, RecognizerSettings
from core.features import compute_features, quantize_input

sys.path.insert(0, str(Path(__file__).parents[1]))


def committed_model() -> bytes:
    body = (SKETCH_DIR / "model_data.cc").read_text().split("{", 1)[1].split("}", 1)[0]
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", body))


def setting(name: str) -> str:
    text = (SKETCH_DIR / "model_settings.h").read_text()
    return re.search(rf"\b{name}(?:\[[^\]]*\])? = ([^;]+);", text).group(1)


@pytest.fixture(scope="module")
def model() -> bytes:
    return committed_model()


@pytest.fixture(scope="module")
def interpreter(model):
    from tflite_micro import runtime

    return runtime.Interpreter.from_bytes(model, arena_size=int(setting("kTensorArenaSize")))


def test_files_are_exactly_what_codegen_makes_from_the_model(model):
    """Nobody edited the generated files by hand (and they match the model they describe)."""
    measured = int(
        re.search(r"Tensor arena: (\d+) bytes measured", (SKETCH_DIR / "model_settings.h").read_text())[1]
    )
    labels = re.findall(r'"([^"]+)"', setting("kLabels"))
    spec = firmware_model(
        model,
        labels,
        FeatureSettings(),
        RecognizerSettings(),
        measured,
        float(setting("kInputScale").rstrip("f")),
        int(setting("kInputZeroPoint")),
    )
    for name, text in render_firmware_files(spec).items():
        assert (SKETCH_DIR / name).read_text() == text, f"{name} differs from what core/codegen.py generates"
    assert setting("kModelSha8") == f'"{model_sha8(model)}"'


def test_model_io_is_what_the_firmware_checks(interpreter):
    inp, out = interpreter.get_input_details(0), interpreter.get_output_details(0)
    assert inp["dtype"] == np.int8 and tuple(inp["shape"]) == (1, 49, 40, 1)
    assert out["dtype"] == np.int8 and tuple(out["shape"]) == (1, int(setting("kLabelCount")))
    q = inp["quantization_parameters"]
    assert np.float32(q["scales"][0]) == np.float32(float(setting("kInputScale").rstrip("f")))
    assert int(q["zero_points"][0]) == int(setting("kInputZeroPoint"))


@pytest.mark.slow
def test_model_uses_only_firmware_ops(model):
    import tensorflow as tf

    ops = {op["op_name"] for op in tf.lite.Interpreter(model_content=model)._get_ops_details()}
    assert ops <= set(FIRMWARE_OPS), ops - set(FIRMWARE_OPS)


def test_generated_headers_compile_and_say_the_same(tmp_path, model):
    make(tmp_path, "settings")
    values = dict(line.split(" ", 1) for line in run_driver(tmp_path, "settings_driver", ""))
    assert values["g_model_len"].strip() == str(len(model)) == values["model_bytes"].strip()
    assert values["sha8"].strip() == model_sha8(model)
    assert values["aligned16"].strip() == "1"
    assert values["labels"].split() == ["_silence_", "_unknown_", "stop", "go"]
    assert int(values["frames"]) * int(values["bins"]) == int(values["elements"]) == 1960
    window_ms = int(setting("kAverageWindowMs"))
    assert int(values["max_results"]) >= window_ms // 20 + 1  # a full window at one inference per frame


@pytest.mark.slow
def test_default_model_hears_stop_and_go(interpreter):
    from audio_factory import speak

    labels = re.findall(r'"([^"]+)"', setting("kLabels"))
    scale = float(setting("kInputScale").rstrip("f"))
    zero_point = int(setting("kInputZeroPoint"))
    heard = {}
    for word in ("stop", "go"):
        votes = []
        for voice, pitch in (("en-us", 50), ("en", 70), ("en-us", 30)):
            features = compute_features(speak(word, voice=voice, pitch=pitch), FeatureSettings())
            interpreter.set_input(quantize_input(features, scale, zero_point)[None, ..., None], 0)
            interpreter.invoke()
            votes.append(labels[int(np.argmax(interpreter.get_output(0)[0]))])
        heard[word] = votes
    assert heard["stop"].count("stop") >= 2, heard
    assert heard["go"].count("go") >= 2, heard
