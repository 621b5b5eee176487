"""Export a trained run for the board: full-integer int8 TFLite, checked against what the firmware can
run, measured and tested in the TFLM interpreter, and turned into C files.

Writes into the run folder: model.tflite, model_data.cc/.h and model_settings.h (core.board.firmware_files), and
report.json (model bytes, ops, measured arena, float vs int8 accuracy on the test split, confusion).
report.json is written last, so a run with a report is completely exported. install_firmware_files
then puts the run's three generated files, unchanged, into the sketch folder (firmware/wakebench/).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.config import FeatureSettings
from core.errors import ExportError, IncompatibleModelError
from core.events import CancelToken, Done, EventCallback, Log, Progress, ignore_events
from core.fileio import write_bytes_atomic
from core.model.runs import ExportReport, RunDir

REPRESENTATIVE_CLIPS = 500  # calibration clips for the int8 ranges, drawn from the training features


@dataclass(frozen=True)
class ModelInfo:
    """What a .tflite file declares: the builtin ops it uses and its input/output tensors."""

    ops: list[str]
    subgraphs: int
    input_shape: tuple[int, ...]
    input_type: str
    output_shape: tuple[int, ...]
    output_type: str


# ---- conversion and checks ------------------------------------------------------------------------


def firmware_ops() -> tuple[str, ...]:
    """Builtin ops the firmware's op resolver registers (the firmware side owns the list)."""
    from core.board.firmware_files import FIRMWARE_OPS

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
    import keras
    import tensorflow as tf

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
    from core.model.tflm import quiet_stderr

    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), quiet_stderr():
        warnings.simplefilter("ignore")
        yield


def compact(model_bytes: bytes) -> bytes:
    """Drop what the board never reads and re-align every buffer to 16 bytes with TFLM's own flatbuffer
    aligner. Saves ~650 bytes of flash on tiny_conv. Dropped: tensor names, signatures, the metadata
    (min_runtime_version, unread by TFLM) and the empty buffer the converter gives each activation
    tensor (they all point at the shared empty buffer 0 instead, as the schema allows)."""
    from tensorflow.lite.tools import flatbuffer_utils
    from tflite_micro.tensorflow.lite.micro.tools import tflite_flatbuffer_align_wrapper

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
    from tflite_micro import runtime

    from core.model.tflm import check_flatbuffer

    check_flatbuffer(model_bytes)
    schema = runtime.schema_fb
    model = runtime.convert_bytearray_to_object(bytearray(model_bytes))
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    types = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    ops = []
    for graph in model.subgraphs:
        for op in graph.operators if graph.operators is not None else []:
            code = runtime.get_builtin_code_from_operator_code(model.operatorCodes[op.opcodeIndex])
            name = names.get(code, f"op #{code}")
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
    )


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


# ---- evaluation helpers ---------------------------------------------------------------------------


def confusion_matrix(
    true: Sequence[int] | np.ndarray, predicted: Sequence[int] | np.ndarray, n_labels: int
) -> list[list[int]]:
    """Rows are true labels, columns predictions."""
    matrix = np.zeros((n_labels, n_labels), np.int64)
    np.add.at(matrix, (np.asarray(true, np.int64), np.asarray(predicted, np.int64)), 1)
    return matrix.tolist()


def per_class_accuracy(confusion: list[list[int]], labels: Sequence[str]) -> dict[str, float | None]:
    """Recall of each label (None for a label without clips)."""
    out: dict[str, float | None] = {}
    for i, label in enumerate(labels):
        total = sum(confusion[i])
        out[label] = confusion[i][i] / total if total else None
    return out


def int8_predictions(model: Any, features_u16: np.ndarray) -> np.ndarray:
    """Label index predicted by a TflmModel for each uint16 feature window."""
    if len(features_u16) == 0:
        return np.zeros(0, np.int64)
    return np.argmax(model.scores_batch(features_u16), axis=1)


# ---- the whole export -----------------------------------------------------------------------------


def export_run(
    run: RunDir | str | Path,
    *,
    firmware_dir: str | Path | None = None,
    cache_dir: Path | None = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> ExportReport:
    """Export a trained run (its latest checkpoint) and write the model, C files and report.

    With `firmware_dir` (the sketch folder), the generated C files are then installed there too
    (install_firmware_files); a folder that is not the sketch is refused before any work.
    """
    from core.board.firmware_files import (
        arena_with_margin,
        check_sketch_dir,
        firmware_model,
        model_sha8,
        write_firmware_files,
    )
    from core.features.quantize import to_model_input
    from core.model.tflm import TflmModel
    from core.model.train import load_split_data, restore_model, total_steps

    started = time.monotonic()
    if firmware_dir is not None:
        check_sketch_dir(firmware_dir)
    run = run if isinstance(run, RunDir) else RunDir.open(run)
    config = run.config
    labels = config.labels
    stages = 5

    def stage(n: int, text: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        on_event(Progress("export", n, stages, text))

    stage(0, "loading the model and features")
    model, checkpoint = restore_model(run)
    total = total_steps(config)
    if checkpoint.step < total:
        on_event(Log(f"the run stopped at step {checkpoint.step:,} of {total:,}: exporting that checkpoint"))
    data = load_split_data(
        config,
        run.project_dir,
        run.extra_dirs,
        splits=("training", "testing"),
        cache_dir=cache_dir,
        on_event=on_event,
        cancel=cancel,
    )
    train, test = data["training"], data["testing"]
    rng = np.random.default_rng(config.training.seed)
    bank = train.features.reshape(-1, config.features.frames, config.features.channels)
    pick = rng.choice(len(bank), size=min(REPRESENTATIVE_CLIPS, len(bank)), replace=False)
    representative = to_model_input(bank[pick])[..., None]

    stage(1, "converting to int8")
    model_bytes = convert_int8(model, representative, config.features)
    stage(2, "checking ops and shapes")
    info = check_model(model_bytes, config.features, len(labels))

    stage(3, "measuring the tensor arena in TFLM")
    tflm = TflmModel(model_bytes)

    stage(4, "testing float and int8 models")
    test_u16 = test.features[test.rows, 0]
    float_acc = int8_acc = None
    confusion = confusion_matrix([], [], len(labels))
    if len(test):
        float_pred = np.argmax(model.predict(test.eval_inputs(), verbose=0, batch_size=500), axis=1)
        int8_pred = int8_predictions(tflm, test_u16)
        float_acc = float(np.mean(float_pred == test.labels))
        int8_acc = float(np.mean(int8_pred == test.labels))
        confusion = confusion_matrix(test.labels, int8_pred, len(labels))
    else:
        on_event(Log("the test split is empty: no accuracy figures (add more speakers)"))

    sha8 = model_sha8(model_bytes)
    write_bytes_atomic(run.model_path, model_bytes)
    spec = firmware_model(
        model_bytes,
        labels,
        config.features,
        config.recognizer,
        tflm.arena_bytes,
        tflm.input_scale,
        tflm.input_zero_point,
        sha8,
    )
    files = [run.model_path, *write_firmware_files(spec, run.path)]
    report = ExportReport(
        run_dir=str(run.path),
        model_bytes=len(model_bytes),
        arena_bytes=tflm.arena_bytes,
        arena_bytes_with_margin=arena_with_margin(tflm.arena_bytes),
        ops=info.ops,
        input_shape=list(info.input_shape),
        output_shape=list(info.output_shape),
        input_scale=tflm.input_scale,
        input_zero_point=tflm.input_zero_point,
        labels=labels,
        test_clips=len(test),
        float_accuracy=float_acc,
        int8_accuracy=int8_acc,
        per_class=per_class_accuracy(confusion, labels),
        confusion=confusion,
        model_sha8=sha8,
        trained_steps=checkpoint.step,
        files=[p.name for p in files],
        seconds=round(time.monotonic() - started, 2),
    )
    run.write_report(report)
    if firmware_dir is not None:
        installed = install_firmware_files(run, firmware_dir)
        names = ", ".join(p.name for p in installed)
        on_event(Log(f"model {sha8} installed into {firmware_dir}: {names}"))
    on_event(Progress("export", stages, stages, "done"))
    on_event(Done(report.to_dict()))
    return report


def install_firmware_files(run: RunDir | str | Path, sketch_dir: str | Path) -> list[Path]:
    """Write an exported run's model_data.cc, model_data.h and model_settings.h into the sketch folder
    (atomically; nothing else there is touched) and return their paths.

    The files are copied as export generated them, not generated again, so the board gets exactly what
    the run's report describes. Refused with an ExportError: a folder without wakebench.ino, a run that
    is not exported, or generated files that do not belong to the run's reported model (an export that
    was interrupted).
    """
    from core.board.firmware_files import (
        MODEL_DATA_CC,
        MODEL_SETTINGS_H,
        check_sketch_dir,
        generated_model_sha8,
        model_from_model_data_cc,
        model_sha8,
        read_generated_files,
        write_generated_files,
    )

    sketch = check_sketch_dir(sketch_dir)
    run = run if isinstance(run, RunDir) else RunDir.open(run)
    report = run.report
    if report is None:
        raise ExportError(
            f"{run.path}: not exported yet (no {run.report_path.name})",
            f"export it first: wakebench export {run.path} --firmware-dir {sketch}",
        )
    reported = report.model_sha8
    files = read_generated_files(run.path)
    found = {
        MODEL_DATA_CC: model_sha8(model_from_model_data_cc(files[MODEL_DATA_CC])),
        MODEL_SETTINGS_H: generated_model_sha8(files[MODEL_SETTINGS_H]),
    }
    stale = [f"{name} holds model {sha or '?'}" for name, sha in found.items() if sha != reported]
    if stale:
        raise ExportError(
            f"{run.path}: {'; '.join(stale)}, but report.json describes model {reported}",
            f"export it again: wakebench export {run.path} --firmware-dir {sketch}",
        )
    return write_generated_files(files, sketch)
