"""Shared fixtures of the live tests: one small real stop/go run (trained and exported once per session)
and one held-out keyword recording."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.audio.files import write_wav
from tests.live.keyword_stream import KeywordStream, espeak_stream
from tests.live.tiny_model import session_tiny_run


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """An exported run (model.tflite, report.json, C files) of a tiny stop/go model; ~10 s to make."""
    return session_tiny_run(tmp_path_factory)


@pytest.fixture(scope="session")
def keyword_recording(tmp_path_factory) -> tuple[Path, KeywordStream]:
    """A WAV of "stop" and "go" three times each and three other words, at pitches and speeds the tiny
    model did not train on, 1.5-3 s apart over pink noise."""
    stream = espeak_stream(["stop", "go"], repeats=3, seed=5)
    path = tmp_path_factory.mktemp("recordings") / "keywords.wav"
    write_wav(path, stream.audio)
    return path, stream
