"""Scripted boards on real pseudo-terminals for the flash tests: one that runs whatever the stand-in
arduino-cli last uploaded (its flashed.json), or a fixed model (a board that kept its old firmware)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.board.protocol import encode_hello
from tests.board.pty_board import PtyBoard

LABELS = ["_silence_", "_unknown_", "stop", "go"]


@contextmanager
def scripted_board(model: Callable[[], str]) -> Iterator[PtyBoard]:
    """A board that answers every `?` with a hello naming `model()`."""
    board = PtyBoard()
    stop = threading.Event()

    def serve() -> None:
        answered = 0
        while not stop.is_set():
            asked = board.commands().count("?")
            if asked > answered:
                board.write(encode_hello("edgebadge", model(), LABELS))
                answered = asked
            time.sleep(0.02)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield board
    finally:
        stop.set()
        thread.join(timeout=2)
        board.close()


def flashed_board(state: Path, before: str = "00000000") -> Iterator[PtyBoard]:
    """A board that runs what the stand-in uploaded last (`before` until the first upload)."""

    def model() -> str:
        try:
            return json.loads((state / "flashed.json").read_text())["model"]
        except (OSError, ValueError, KeyError):
            return before

    return scripted_board(model)
