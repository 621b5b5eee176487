"""A virtual board serving a run's model on a real pty, in a thread, for the tests that talk to one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from core.audio.sources import ArraySource
from core.board.sim import VirtualBoard
from core.events import CancelToken


@contextmanager
def virtual_board(run: Path, audio: np.ndarray, realtime: bool = False, **kwargs) -> Iterator[VirtualBoard]:
    """`run`'s model hearing `audio` (as fast as a host reads unless `realtime`); stopped and closed on exit."""
    board = VirtualBoard(
        run,
        ArraySource(audio, realtime=realtime, chunk_ms=10 if realtime else 100),
        realtime=realtime,
        **kwargs,
    )
    cancel = CancelToken()
    thread = threading.Thread(target=board.run, args=(cancel,), daemon=True)
    thread.start()
    try:
        yield board
    finally:
        cancel.cancel()
        thread.join(timeout=10)
        board.close()
    assert not thread.is_alive()
