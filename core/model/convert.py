"""Conversion to the board's model and what the firmware can run: a Keras logits model to full-integer
int8 TFLite (`convert_int8`, shrunk by `compact`), reading a .tflite's ops and tensors (`inspect_model`),
and refusing a model the firmware cannot run (`check_model`: ops it does not register, other shapes or
types).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.board.firmware_files import FIRMWARE_OPS
from core.config import FeatureSettings
from core.errors import IncompatibleModelError
from core.model.tflm import check_flatbuffer, quiet_stderr


@dataclass(frozen=True)
class ModelInfo:
    """What a .tflite file declares: the builtin ops it uses and its input/output tensors."""

    ops: list[str]
    subgraphs: int
    input_shape: tuple[int, ...]
    input_type: str
    output_shape: tuple[int, ...]
    output_type: str
    per_channel_dense: bool = False
    """A FULLY_CONNECTED layer has per-channel weight scales (the board's TFLM cannot run it right)."""


def firmware_ops() -> tuple[str, ...]:
    """Builtin ops the firmware's op resolver registers (the firmware side owns the list)."""
    return tuple(FIRMWARE_OPS)


def check_keras_input(model: Any, features: FeatureSettings) -> None:
    """Refuse a model whose input is not one feature window [frames, channels, 1]."""
    expected = (features.frames, features.channels, 1)
    got = tuple(model.input_shape[1:])
    if got != expected:
        raise IncompatibleModelError(
            f"model input shape {(1, *got)} is not the firmware's {(1, *expected)}",
            f"the firmware feeds {features.frames} frames x {features.channels} channels; build the model for that",
        )


def convert_int8(model: Any, representative: np.ndarray, features: FeatureSettings) -> bytes:
    """Full-integer int8 TFLite (int8 input and output, batch 1, softmax added) of a Keras logits model.

    `representative` holds float model inputs [N, frames, channels, 1] for calibrating int8 ranges.
    The ops are checked on a float conversion first: a model the firmware cannot run is refused before
    calibration (TF's calibrator crashes the whole process on some ops, e.g. LSTM).
    """
    import keras  # lazy: TensorFlow takes seconds to import
    import tensorflow as tf  # lazy: TensorFlow takes seconds to import

    check_keras_input(model, features)
    inputs = keras.Input((features.frames, features.channels, 1), batch_size=1, name="features")
    probabilities = keras.layers.Softmax(name="probabilities")(model(inputs, training=False))
    inference = keras.Model(inputs, probabilities)

    _check_runnable(inspect_model(_convert(tf.lite.TFLiteConverter.from_keras_model(inference))))

    def calibration() -> Iterator[list[np.ndarray]]:
        for clip in representative:
            yield [clip[None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(inference)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = calibration
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    # One weight scale per dense layer: the board's TFLM (Arduino_TensorFlowLite, 2023) applies only the
    # first scale of per-channel FULLY_CONNECTED weights, so with TF's default per-channel dense weights
    # the board's scores differ from the PC's (found by tests/firmware/test_firmware_in_the_loop.py).
    converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    return compact(_convert(converter))


def _convert(converter: Any) -> bytes:
    converter.exclude_conversion_metadata = True
    try:
        with _quiet_converter():
            return converter.convert()
    except Exception as exc:  # the converter raises its own ConverterError and plain errors alike
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise IncompatibleModelError(
            f"the model cannot be converted to full-integer int8 TFLite: {first}",
            f"use layers that map to the firmware's ops: {', '.join(firmware_ops())}",
        ) from None


@contextlib.contextmanager
def _quiet_converter() -> Iterator[None]:
    """The converter prints its temporary SavedModel to stdout and notes to stderr; `--json` output
    must stay pure JSON."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), quiet_stderr():
        warnings.simplefilter("ignore")
        yield


def compact(model_bytes: bytes) -> bytes:
    """Drop what the board never reads and re-align every buffer to 16 bytes with TFLM's own flatbuffer
    aligner. Saves ~650 bytes of flash on tiny_conv. Dropped: tensor names, signatures, the metadata
    (min_runtime_version, unread by TFLM) and the empty buffer the converter gives each activation
    tensor (they all point at the shared empty buffer 0 instead, as the schema allows)."""
    from tensorflow.lite.tools import flatbuffer_utils  # lazy: imports TensorFlow
    from tflite_micro.tensorflow.lite.micro.tools import tflite_flatbuffer_align_wrapper  # lazy: C++ ext.

    model = flatbuffer_utils.read_model_from_bytearray(model_bytes)
    flatbuffer_utils.strip_strings(model)
    model.metadata = None

    def has_data(index: int) -> bool:
        data = model.buffers[index].data
        return data is not None and len(data) > 0

    tensors = [t for graph in model.subgraphs for t in graph.tensors]
    keep = sorted({t.buffer for t in tensors if has_data(t.buffer)})
    new_index = {old: new for new, old in enumerate(keep, start=1)}
    empty = type(model.buffers[0])()
    model.buffers = [empty, *(model.buffers[i] for i in keep)]
    for t in tensors:
        t.buffer = new_index.get(t.buffer, 0)
    with tempfile.TemporaryDirectory() as tmp:
        stripped, aligned = Path(tmp) / "stripped.tflite", Path(tmp) / "aligned.tflite"
        stripped.write_bytes(flatbuffer_utils.convert_object_to_bytearray(model))
        tflite_flatbuffer_align_wrapper.align_tflite_model(str(stripped), str(aligned))
        return aligned.read_bytes()


def inspect_model(model_bytes: bytes) -> ModelInfo:
    """Ops and I/O of a .tflite flatbuffer (read with the TFLM package's schema; no TensorFlow)."""
    from tflite_micro import runtime  # lazy: loads the TFLM interpreter's C++ extension (~0.5 s)

    check_flatbuffer(model_bytes)
    schema = runtime.schema_fb
    model = runtime.convert_bytearray_to_object(bytearray(model_bytes))
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    types = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    ops = []
    per_channel_dense = False
    for graph in model.subgraphs:
        for op in graph.operators if graph.operators is not None else []:
            code = runtime.get_builtin_code_from_operator_code(model.operatorCodes[op.opcodeIndex])
            name = names.get(code, f"op #{code}")
            if name == "FULLY_CONNECTED":
                per_channel_dense |= _scale_count(graph.tensors[op.inputs[1]]) > 1
            if name == "CUSTOM":
                name = f"CUSTOM({model.operatorCodes[op.opcodeIndex].customCode.decode(errors='replace')})"
            if name not in ops:
                ops.append(name)
    graph = model.subgraphs[0]
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise IncompatibleModelError(
            f"the model has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs; the firmware needs 1 and 1"
        )
    inp, out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    return ModelInfo(
        ops=ops,
        subgraphs=len(model.subgraphs),
        input_shape=tuple(int(d) for d in inp.shape),
        input_type=types.get(inp.type, str(inp.type)),
        output_shape=tuple(int(d) for d in out.shape),
        output_type=types.get(out.type, str(out.type)),
        per_channel_dense=per_channel_dense,
    )


def _scale_count(tensor: Any) -> int:
    quantization = tensor.quantization
    scales = quantization.scale if quantization is not None else None
    return 0 if scales is None else len(scales)


def _check_runnable(info: ModelInfo) -> None:
    """Refuse an op the firmware does not register, or more than one subgraph."""
    allowed = firmware_ops()
    unsupported = [op for op in info.ops if op not in allowed]
    if unsupported:
        raise IncompatibleModelError(
            f"the model uses {', '.join(unsupported)}, which the firmware does not register",
            f"the firmware runs only {', '.join(allowed)}; change the model's layers",
        )
    if info.subgraphs != 1:
        raise IncompatibleModelError(f"the model has {info.subgraphs} subgraphs; the firmware runs one")
    if info.per_channel_dense:
        raise IncompatibleModelError(
            "a FULLY_CONNECTED layer has per-channel weight scales; the board's TFLM uses one scale per layer "
            "and would compute other scores than the PC",
            "export with wakebench export (it quantizes dense layers per tensor)",
        )


def check_model(model_bytes: bytes, features: FeatureSettings, n_labels: int) -> ModelInfo:
    """Refuse a model the firmware cannot run: an op it does not register, or other input/output
    types or shapes than int8 (1, frames, channels, 1) -> int8 (1, n_labels)."""
    info = inspect_model(model_bytes)
    _check_runnable(info)
    expected_in = (1, features.frames, features.channels, 1)
    if info.input_shape != expected_in or info.input_type != "INT8":
        raise IncompatibleModelError(
            f"model input is {info.input_type} {info.input_shape}, the firmware feeds INT8 {expected_in}",
            "export with wakebench export (int8 input, batch 1, one feature window)",
        )
    if info.output_shape != (1, n_labels) or info.output_type != "INT8":
        raise IncompatibleModelError(
            f"model output is {info.output_type} {info.output_shape}, the firmware expects INT8 {(1, n_labels)}",
            "the model needs one int8 score per label",
        )
    return info
