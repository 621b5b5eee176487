"""Fixtures of the board tests: the session's tiny stop/go run and a short WAV of spoken keywords."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.audio.files import write_wav
from tests.live.keyword_stream import KeywordStream, espeak_stream
from tests.live.tiny_model import session_tiny_run


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    return session_tiny_run(tmp_path_factory)


@pytest.fixture(scope="session")
def board_recording(tmp_path_factory) -> tuple[Path, KeywordStream]:
    """About 15 s: "stop" and "go" twice each and other words between, over pink noise."""
    stream = espeak_stream(["stop", "go"], repeats=2, seed=11)
    path = tmp_path_factory.mktemp("board_audio") / "keywords.wav"
    write_wav(path, stream.audio)
    return path, stream
