"""The int8 model's scores on many feature windows, in TFLM on every core.

Calibration and `eval --stream` run the model on tens of thousands of windows (about 1.7 ms each in the
TFLM reference kernels); the windows are independent of each other, so `TflmPool` hands chunks of them
to worker processes, each holding its own TFLM interpreter loaded with the same model bytes and arena,
and gives the scores back in order. A worker computes exactly what `TflmModel.scores_batch` computes in
this process (a test checks that). With one core, or few windows, everything stays in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

import numpy as np

from core.events import CancelToken
from core.model.tflm import TflmModel

CHUNK_WINDOWS = 1500  # per task: ~2.5 s of TFLM work, small next to its transfer and start-up costs
MIN_POOL_WINDOWS = 6000  # below this, starting worker processes (~1 s) costs more than it saves


def default_workers() -> int:
    """The cores this process may use, at most 2 (the workbench's machine has 2)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


class TflmPool:
    """`submit(frames, ends)` -> a handle whose `result()` is the model's scores (int [len(ends), labels])
    on the windows of `frames` (uint16 [frames, channels]) ending at each frame index in `ends`.

    With `workers` > 1 the windows are scored in that many spawned processes (started on first use);
    otherwise in `model` here. Use as a context manager: leaving it stops the workers (after the chunk at
    hand when interrupted or cancelled)."""

    def __init__(self, model: TflmModel, workers: int = 1, cancel: CancelToken | None = None) -> None:
        self.model = model
        self.workers = workers
        self.cancel = cancel
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> TflmPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def submit(self, frames: np.ndarray, ends: np.ndarray) -> ScoresHandle:
        window = int(self.model.input_shape[1])
        if self.workers <= 1 or len(ends) == 0:
            return ScoresHandle([], lambda: self.model.scores_batch(windows(frames, ends, window)))
        if self._executor is None:
            # "spawn": workers start clean even when this process has TensorFlow or Textual threads running.
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.model.model_bytes, self.model.arena_bytes),
            )
        futures = []
        # Workers spawn inside submit(); Ctrl-C is the parent's to handle (a terminal sends it to the
        # workers too), so they start with it blocked and then ignore it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for start in range(0, len(ends), CHUNK_WINDOWS):
                part = ends[start : start + CHUNK_WINDOWS]
                first = int(part[0]) - window + 1
                # Only the frames these windows cover travel to the worker.
                chunk = frames[first : int(part[-1]) + 1]
                futures.append(self._executor.submit(_score, chunk, part - first, window))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return ScoresHandle(futures, None, self.cancel)


class ScoresHandle:
    """Scores being computed: in-process (`compute`) or by the pool (`futures`, in order)."""

    def __init__(
        self,
        futures: list[Future[np.ndarray]],
        compute: Callable[[], np.ndarray] | None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.futures = futures
        self.compute = compute
        self.cancel = cancel

    def result(self) -> np.ndarray:
        if self.compute is not None:
            return np.asarray(self.compute())
        return np.concatenate(list(self._in_order()))

    def _in_order(self) -> Iterator[np.ndarray]:
        pending = deque(self.futures)
        while pending:
            wait([pending[0]], timeout=0.2, return_when=FIRST_COMPLETED)
            if self.cancel is not None and self.cancel.cancelled:
                for future in pending:
                    future.cancel()
                self.cancel.raise_if_cancelled()
            if pending[0].done():
                yield pending.popleft().result()


def windows(frames: np.ndarray, ends: np.ndarray, window: int) -> np.ndarray:
    """The `window`-frame windows of `frames` ending at each index of `ends` (a view, oldest frame first),
    as the streaming detector's ring buffer hands them to the model."""
    if len(ends) == 0:
        return np.zeros((0, window, frames.shape[1]), frames.dtype)
    view = np.lib.stride_tricks.sliding_window_view(frames, window, axis=0)  # [starts, channels, window]
    return view[np.asarray(ends) - window + 1].transpose(0, 2, 1)


# --- worker side -----------------------------------------------------------------------------

_model: TflmModel | None = None


def _init_worker(model_bytes: bytes, arena_bytes: int) -> None:
    global _model
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _model = TflmModel(model_bytes, arena_bytes)


def _score(frames: np.ndarray, ends: np.ndarray, window: int) -> np.ndarray:
    assert _model is not None, "worker not initialised"
    return _model.scores_batch(windows(frames, ends, window))
