"""A model whose FULLY_CONNECTED weights have per-channel scales is refused on both sides: the board's TFLM
(Arduino_TensorFlowLite, 2023) applies only the first scale of such weights, so its scores would differ
from the PC's (the firmware-in-the-loop test found this with TF's default dense quantization; export now
quantizes dense layers per tensor). Export refuses such a model; the firmware says `E model ...`."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from host_build import build_fil, staged_sketch

from core.board.firmware_files import MODEL_DATA_CPP, render_model_data_cpp
from core.board.protocol import BoardErrorLine, FeatureFrame, Scores, parse_line
from core.config import FeatureSettings
from core.errors import IncompatibleModelError
from core.model.convert import check_model, inspect_model

FULLY_CONNECTED = 9  # tflite BuiltinOperator


def per_channel_dense(model: bytes) -> bytes:
    """The same model with its dense weights declared per-channel (one scale per output row)."""
    from tensorflow.lite.tools import flatbuffer_utils

    m = flatbuffer_utils.read_model_from_bytearray(bytearray(model))
    graph = m.subgraphs[0]
    for op in graph.operators:
        code = m.operatorCodes[op.opcodeIndex]
        if max(code.builtinCode, code.deprecatedBuiltinCode) != FULLY_CONNECTED:
            continue
        weights = graph.tensors[op.inputs[1]]
        rows = int(weights.shape[0])
        q = weights.quantization
        q.scale = np.asarray(q.scale, np.float32)[0] * np.linspace(1.0, 1.3, rows).astype(np.float32)
        q.zeroPoint = np.zeros(rows, np.int64)
        q.quantizedDimension = 0
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


@pytest.fixture(scope="module")
def exported_model(exported_run) -> bytes:
    return (exported_run / "model.tflite").read_bytes()


def test_export_quantizes_dense_layers_per_tensor(exported_model):
    assert "FULLY_CONNECTED" in inspect_model(exported_model).ops
    assert not inspect_model(exported_model).per_channel_dense


def test_export_check_refuses_per_channel_dense_weights(exported_model, exported_run):
    from core.model.runs import RunDir

    labels = len(RunDir(exported_run).labels)
    bad = per_channel_dense(exported_model)
    assert inspect_model(bad).per_channel_dense
    with pytest.raises(IncompatibleModelError, match="per-channel weight scales"):
        check_model(bad, FeatureSettings(), labels)


@pytest.mark.slow
def test_firmware_refuses_per_channel_dense_weights(tflm_source, exported_run, exported_model, tmp_path):
    sketch = staged_sketch(tmp_path / "wakebench", exported_run)
    bad = per_channel_dense(exported_model)
    (sketch / MODEL_DATA_CPP).write_text(render_model_data_cpp(bad))
    binary = build_fil(sketch, tmp_path / "build", tflm_source)
    pcm = tmp_path / "noise.s16le"
    pcm.write_bytes((np.random.default_rng(0).normal(0, 300, 16000)).astype("<i2").tobytes())
    run = subprocess.run([str(binary), "--commands", "F1;P1", str(pcm)], capture_output=True, timeout=60)
    messages = [parse_line(line) for line in run.stdout.splitlines()]
    errors = [m for m in messages if isinstance(m, BoardErrorLine)]
    # Said when it fails and again after the hello line (for a host that connects later).
    assert errors and {e.code for e in errors} == {"model"}, messages[:5]
    assert all("per-channel" in e.text for e in errors)
    assert not [m for m in messages if isinstance(m, Scores)]  # no inference with a wrong model
    assert [m for m in messages if isinstance(m, FeatureFrame)]  # features still stream
