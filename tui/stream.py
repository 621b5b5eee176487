"""Glue between `core.live.detector` and the Spectrogram pane: runs a source through core's streaming pipeline in
a worker thread and hands the pane small batches (a few frames, the latest scores, the level, detections).

Batching keeps the UI to ~25 messages a second however fast a file is read; what is computed is
entirely core's (`core.live.detector`): the streaming frontend, the int8 model in TFLM, the recognizer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.audio.sources import AudioSource
from core.config import FeatureSettings
from core.events import CancelToken
from tui.widgets.spectrogram import ShownDetection

BATCH_SECONDS = 0.04


@dataclass
class StreamBatch:
    """What a stream produced since the last batch."""

    frames: np.ndarray
    """uint16 [n, channels] feature frames, oldest first."""
    level_dbfs: float | None = None
    scores: np.ndarray | None = None
    """The latest scores (0-255 per label), when the model ran in this batch."""
    detections: list[ShownDetection] = field(default_factory=list)
    time_s: float = 0.0


class LevelTap(AudioSource):
    """Passes a source through, remembering the level of the last chunk (for the level meter)."""

    def __init__(self, source: AudioSource) -> None:
        self.source = source
        self.name = source.name
        self.level_dbfs: float | None = None

    def start(self) -> None:
        self.source.start()

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        chunk = self.source.read(timeout=timeout)
        if chunk is not None and chunk.size:
            rms = math.sqrt(float(np.mean(np.square(chunk.astype(np.float64)))))
            self.level_dbfs = 20 * math.log10(max(rms, 1.0) / 32768.0)
        return chunk

    def stop(self) -> None:
        self.source.stop()

    @property
    def samples_dropped(self) -> int:
        return self.source.samples_dropped


def stream_batches(
    source: AudioSource,
    run_dir: Path | None,
    features: FeatureSettings,
    cancel: CancelToken,
    labels_out: list[str],
) -> Iterator[StreamBatch]:
    """Batches of a source's frames; with an exported run, also its scores and detections.

    `labels_out` is filled with the model's labels before the first batch (empty without a model).
    """
    from core.live.detector import LiveDetector, feature_frames

    tap = LevelTap(source)
    pending: list[np.ndarray] = []
    scores: np.ndarray | None = None
    found: list[ShownDetection] = []
    last = time.monotonic()
    time_s = 0.0

    def flush() -> StreamBatch:
        nonlocal pending, scores, found, last
        batch = StreamBatch(np.array(pending, dtype=np.uint16), tap.level_dbfs, scores, found, time_s)
        pending, scores, found, last = [], None, [], time.monotonic()
        return batch

    if run_dir is None:
        stride_s = features.stride_ms / 1000
        for frame in feature_frames(tap, features, cancel):
            pending.append(frame)
            time_s += stride_s
            if time.monotonic() - last >= BATCH_SECONDS:
                yield flush()
    else:
        detector = LiveDetector(run_dir, tap)  # at the run's inference cadence, as on the board
        labels_out[:] = detector.labels
        for live in detector.frames(cancel):
            pending.append(live.features)
            time_s = live.time_ms / 1000
            if live.scores is not None:
                scores = live.scores
            word = live.new_word
            if word is not None:
                found.append(ShownDetection(live.time_ms / 1000, word.label, int(word.score)))
            if found or time.monotonic() - last >= BATCH_SECONDS:
                yield flush()
    if pending:
        yield flush()
