"""Run an int8 model in the TensorFlow Lite Micro interpreter (the `tflite-micro` package): the same
kernels and memory planner as the firmware, on the PC.

`TflmModel(model_bytes)` measures the tensor arena the model needs by asking the interpreter itself:
the smallest arena with which it allocates and invokes, found by bisection. (The host is 64-bit, so
TFLM's bookkeeping structs are a little larger than on a 32-bit board: the figure is an upper bound.)
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ExportError, IncompatibleModelError
from core.features.quantize import quantize_input
from core.model.runs import RunDir

MAX_ARENA_BYTES = 16 * 1024 * 1024


class TflmModel:
    """An int8 keyword model loaded in the TFLM interpreter."""

    def __init__(self, model_bytes: bytes, arena_bytes: int | None = None) -> None:
        self.model_bytes = check_flatbuffer(model_bytes)
        if arena_bytes is None:
            arena_bytes = measure_arena(self.model_bytes)
        self.arena_bytes = int(arena_bytes)
        with quiet_stderr():
            try:
                self._interpreter = _interpreter(self.model_bytes, self.arena_bytes)
            except (RuntimeError, ValueError) as exc:
                raise ExportError(
                    f"TFLM cannot load the model with a {self.arena_bytes}-byte arena: {exc}"
                ) from None
        inp = self._interpreter.get_input_details(0)
        out = self._interpreter.get_output_details(0)
        if inp["dtype"] != np.int8 or out["dtype"] != np.int8:
            raise IncompatibleModelError(
                f"model input/output types are {np.dtype(inp['dtype']).name}/{np.dtype(out['dtype']).name}, "
                "the firmware needs int8/int8",
                "export the model with wakebench export (full-integer quantization)",
            )
        self.input_shape = tuple(int(d) for d in inp["shape"])
        self.output_shape = tuple(int(d) for d in out["shape"])
        self.input_scale = float(inp["quantization_parameters"]["scales"][0])
        self.input_zero_point = int(inp["quantization_parameters"]["zero_points"][0])
        self.output_scale = float(out["quantization_parameters"]["scales"][0])
        self.output_zero_point = int(out["quantization_parameters"]["zero_points"][0])
        self.num_labels = int(self.output_shape[-1])

    @classmethod
    def from_run(cls, run: RunDir) -> TflmModel:
        """The exported model of a run; a run without model.tflite is an ExportError saying to export it."""
        if not run.model_path.is_file():
            raise ExportError(
                f"{run.model_path}: the run has no exported model",
                f"export it first: wakebench export {run.path}",
            )
        # export measured the arena already; reusing it skips the measurement.
        report = run.report
        return cls.from_file(run.model_path, (report.arena_bytes or None) if report is not None else None)

    @classmethod
    def from_file(cls, path: str | Path, arena_bytes: int | None = None) -> TflmModel:
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ExportError(
                f"{path}: no such model file", "export a run first: wakebench export RUN"
            ) from None
        return cls(data, arena_bytes)

    def invoke(self, model_input: np.ndarray) -> np.ndarray:
        """Raw int8 output for one int8 input of the model's input shape."""
        self._interpreter.set_input(np.asarray(model_input, np.int8).reshape(self.input_shape), 0)
        self._interpreter.invoke()
        return np.asarray(self._interpreter.get_output(0)).reshape(-1)

    def scores(self, features: np.ndarray) -> np.ndarray:
        """uint16 frontend features [frames, channels] -> one score 0-255 per label (int8 output + 128),
        as the firmware computes them."""
        q = quantize_input(np.asarray(features), self.input_scale, self.input_zero_point)
        return self.invoke(q).astype(np.int32) + 128

    def scores_batch(self, features: np.ndarray) -> np.ndarray:
        """Scores of many clips: uint16 [N, frames, channels] -> int [N, labels]."""
        q = quantize_input(np.asarray(features), self.input_scale, self.input_zero_point)
        out = np.empty((len(q), self.num_labels), np.int32)
        for i, clip in enumerate(q):
            out[i] = self.invoke(clip)
        return out + 128


def measure_arena(model_bytes: bytes) -> int:
    """The tensor arena (bytes) TFLM needs for the model: what its recording allocator reports after
    allocating and invoking in a large arena, checked by running with exactly that much.

    (Probing ever smaller arenas is not safe: for some models, e.g. ones with depthwise convolutions,
    the interpreter crashes the process instead of failing when a kernel's scratch allocation does
    not fit.)"""
    model_bytes = check_flatbuffer(model_bytes)
    with quiet_stderr():
        if not _runs_with(model_bytes, MAX_ARENA_BYTES):
            raise ExportError(
                f"TFLM could not run the model even with a {MAX_ARENA_BYTES // 1024 // 1024} MB arena",
                "check that the model only uses ops the firmware supports",
            )
    needed = _recorded_arena(model_bytes)
    with quiet_stderr():
        while not _runs_with(model_bytes, needed):  # not expected; never report a figure that fails
            needed += 256
    return needed


_ARENA_TOTAL = re.compile(rb"Arena allocation total (\d+) bytes")


def _recorded_arena(model_bytes: bytes) -> int:
    """The arena total printed by TFLM's RecordingMicroAllocator (C-level output, captured from the
    process's stdout and stderr)."""
    interpreter = _interpreter(model_bytes, MAX_ARENA_BYTES)
    details = interpreter.get_input_details(0)
    interpreter.set_input(np.zeros(details["shape"], details["dtype"]), 0)
    interpreter.invoke()
    with tempfile.TemporaryFile() as captured:
        sys.stdout.flush()
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(captured.fileno(), 1)
            os.dup2(captured.fileno(), 2)
            interpreter.print_allocations()
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
        captured.seek(0)
        found = _ARENA_TOTAL.search(captured.read())
    if not found:
        raise ExportError("TFLM did not report the model's arena use")
    return int(found.group(1))


def check_flatbuffer(model_bytes: bytes) -> bytes:
    """Refuse what is not a TFLite flatbuffer before handing it to C++ or reading its schema."""
    data = bytes(model_bytes)
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ExportError(
            "not a TensorFlow Lite model (no TFL3 identifier)", "give a model.tflite made by wakebench export"
        )
    return data


def _interpreter(model_bytes: bytes, arena_bytes: int) -> Any:
    from tflite_micro import runtime  # lazy: the TFLM interpreter's C++ extension

    return runtime.Interpreter.from_bytes(model_bytes, arena_size=arena_bytes)


def _runs_with(model_bytes: bytes, arena_bytes: int) -> bool:
    try:
        interpreter = _interpreter(model_bytes, arena_bytes)
        details = interpreter.get_input_details(0)
        interpreter.set_input(np.zeros(details["shape"], details["dtype"]), 0)
        interpreter.invoke()
    except RuntimeError:
        return False
    return True


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """TFLM prints every failed allocation to the C stderr; the bisection fails on purpose."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
