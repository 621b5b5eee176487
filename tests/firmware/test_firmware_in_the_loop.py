"""Firmware-in-the-loop: the sketch's own code (wakebench_app.cpp with the feature provider and TFLM's micro
frontend, model check, the TFLM interpreter with the firmware's op resolver, inference schedule,
recognizer, protocol writer and command parser), built for the PC with g++ against the same TFLM sources
as the board, and fed a WAV through a host "board" (firmware/host/host_board.cpp) — against the Python
path that `wakebench detect` and the virtual board use (core.features.streaming + core.model.tflm +
core.live.recognize inside core.live.detector.StreamingDetector).

Required: identical frontend output of every frame, identical `F` lines (quantized model input),
identical raw scores of every inference (`P` lines), identical detections (`D` lines). Bit for bit, no
tolerance: the Python side runs TFLM's reference kernels (the tflite-micro package), the firmware the
library's CMSIS-NN kernels in their portable C form, and both must agree exactly on int8.

What this cannot show: the board's CMSIS-NN build uses Cortex-M4 DSP instructions (ARM_MATH_DSP), and
its GCC for arm-none-eabi with newlib computes the frontend's setup tables; those run on the board only.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from host_build import SKETCH_DIR, build_fil, staged_sketch

from core.board.firmware_files import model_from_model_data_cpp
from core.board.protocol import (
    BoardErrorLine,
    Detection,
    FeatureFrame,
    Hello,
    LogLine,
    Scores,
    feature_bytes,
    parse_line,
)
from core.config import FeatureSettings, RecognizerSettings
from core.live.detector import StreamingDetector
from core.model.tflm import TflmModel
from tests.live.keyword_stream import espeak_stream

DEFAULT_LABELS = ["_silence_", "_unknown_", "stop", "go"]


@pytest.fixture(scope="module")
def keyword_audio() -> np.ndarray:
    """stop/go three times each and three other words, over pink noise, as int16 (~25 s)."""
    from core.audio.samples import to_int16

    return to_int16(espeak_stream(["stop", "go"], repeats=3, seed=7).audio)


def run_host(
    binary: Path, audio: np.ndarray, tmp_path: Path, commands: str = "F1;P1"
) -> tuple[list, np.ndarray]:
    """(parsed protocol messages, raw frontend frames [N, 1 + bins] with the time first) of one run."""
    pcm = tmp_path / "audio.s16le"
    pcm.write_bytes(audio.astype("<i2").tobytes())
    raw = tmp_path / "raw_features.txt"
    run = subprocess.run(
        [str(binary), "--commands", commands, "--raw-features", str(raw), str(pcm)],
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    messages = [parse_line(line) for line in run.stdout.splitlines()]
    frames = np.loadtxt(raw, dtype=np.int64, ndmin=2) if raw.stat().st_size else np.zeros((0, 41), np.int64)
    return messages, frames


def sketch_recognizer(sketch: Path) -> RecognizerSettings:
    """The recognizer settings the firmware was generated with (export may calibrate them)."""
    text = (sketch / "model_settings.h").read_text()

    def value(name: str) -> int:
        return int(text.split(f"{name} = ", 1)[1].split(";", 1)[0])

    return RecognizerSettings(
        average_window_ms=value("kAverageWindowMs"),
        detection_threshold=value("kDetectionThreshold"),
        suppression_ms=value("kSuppressionMs"),
        minimum_count=value("kMinimumCount"),
        inference_every_frames=value("kInferenceEveryFrames"),
    )


def run_python(model: bytes, arena: int, labels: list[str], audio: np.ndarray, sketch: Path = SKETCH_DIR):
    """The PC pipeline on the same samples, pushed in the 10 ms chunks the host board feeds, with the
    sketch's recognizer settings."""
    tflm = TflmModel(model, arena_bytes=arena)
    detector = StreamingDetector(tflm, labels, FeatureSettings(), sketch_recognizer(sketch))
    frames = [f for i in range(0, len(audio), 160) for f in detector.push(audio[i : i + 160])]
    return tflm, frames


def of_type(messages, kind):
    return [m for m in messages if isinstance(m, kind)]


def assert_same_as_python(messages, raw, tflm, frames, labels) -> None:
    assert not [
        m for m in messages if not isinstance(m, Hello | LogLine | FeatureFrame | Scores | Detection)
    ], [m for m in messages if isinstance(m, BoardErrorLine) or not hasattr(m, "__slots__")]
    # Every frame's frontend output and time.
    py_features = np.stack([f.features for f in frames]).astype(np.int64)
    py_times = np.array([f.time_ms for f in frames])
    assert raw.shape == (len(frames), 1 + py_features.shape[1])
    assert np.array_equal(raw[:, 0], py_times)
    diff = np.argwhere(raw[:, 1:] != py_features)
    assert diff.size == 0, f"{len(diff)} frontend values differ, first at (frame, bin) {diff[:5].tolist()}"
    # F lines: what the model sees, quantized.
    f_lines = of_type(messages, FeatureFrame)
    assert [m.ms for m in f_lines] == py_times.tolist()
    expected = feature_bytes(np.stack([f.features for f in frames]), tflm.input_scale, tflm.input_zero_point)
    assert np.array_equal(np.stack([m.values for m in f_lines]), expected)
    # P lines: the raw scores of every inference, on the same windows.
    c_scores = [(m.ms, m.scores) for m in of_type(messages, Scores)]
    py_scores = [(f.time_ms, tuple(int(s) for s in f.scores)) for f in frames if f.scores is not None]
    assert len(c_scores) == len(py_scores)
    mismatched = [(c, p) for c, p in zip(c_scores, py_scores, strict=True) if c != p]
    assert not mismatched, f"{len(mismatched)} of {len(py_scores)} inferences differ, e.g. {mismatched[:3]}"
    # D lines: the recognizer's new keyword detections.
    c_words = [(m.ms, m.label, m.score) for m in of_type(messages, Detection)]
    py_words = [(f.time_ms, f.new_word.label, f.new_word.score) for f in frames if f.new_word is not None]
    assert c_words == py_words


def test_default_model_firmware_equals_the_python_path(fil_host, keyword_audio, tmp_path):
    settings = (SKETCH_DIR / "model_settings.h").read_text()
    arena = int(settings.split("kTensorArenaSize = ")[1].split(";")[0])
    model = model_from_model_data_cpp((SKETCH_DIR / "model_data.cpp").read_text())
    messages, raw = run_host(fil_host, keyword_audio, tmp_path)

    hello = of_type(messages, Hello)
    assert hello and hello[0].board == "host" and list(hello[0].labels) == DEFAULT_LABELS
    assert any(m.text.startswith(f"model {hello[0].model} ok, arena") for m in of_type(messages, LogLine))
    tflm, frames = run_python(model, arena, DEFAULT_LABELS, keyword_audio)
    assert_same_as_python(messages, raw, tflm, frames, DEFAULT_LABELS)
    # Not a vacuous match: the model ran often and heard words.
    assert len(of_type(messages, Scores)) > 100
    # The model responds to the words (a keyword's raw score high in some inference); whether the
    # calibrated recognizer then reports them, both sides decided the same above.
    assert any(max(m.scores[2:]) > 128 for m in of_type(messages, Scores))


@pytest.mark.slow
def test_exported_run_firmware_equals_the_python_path(tflm_source, exported_run, keyword_audio, tmp_path):
    """A freshly exported run, staged into a copy of the sketch as `wakebench export --firmware-dir` would."""
    from core.model.runs import RunDir

    sketch = staged_sketch(tmp_path / "wakebench", exported_run)
    binary = build_fil(sketch, tmp_path / "build", tflm_source)
    run = RunDir(exported_run)
    messages, raw = run_host(binary, keyword_audio, tmp_path)
    tflm, frames = run_python(
        run.model_path.read_bytes(), int(run.report.arena_bytes), list(run.labels), keyword_audio, sketch
    )
    assert_same_as_python(messages, raw, tflm, frames, list(run.labels))
    assert len(of_type(messages, Scores)) > 100


def test_threshold_command_changes_the_firmwares_decisions(fil_host, keyword_audio, tmp_path):
    """The host board's serial input really reaches the firmware's command parser: `T 255` (nothing can
    be above it) silences every detection, and an unknown command is answered with `E cmd`."""
    messages, _ = run_host(fil_host, keyword_audio, tmp_path, commands="T 255;X1")
    assert any(m.text == "threshold 255" for m in of_type(messages, LogLine))
    assert not of_type(messages, Detection)
    assert [m.code for m in of_type(messages, BoardErrorLine)] == ["cmd"]
    assert not of_type(messages, Scores) and not of_type(messages, FeatureFrame)  # streams stay off
