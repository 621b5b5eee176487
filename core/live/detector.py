"""Streaming detection on the PC, the way the board does it: audio source → streaming micro frontend →
sliding 49-frame window → int8 model in the TFLM interpreter → RecognizeCommands → detections.

- `StreamingDetector` is the pipeline itself: push int16 samples, get one `LiveFrame` per feature frame.
- `LiveDetector(run_dir, source).frames()` runs it over any `AudioSource` (microphone, file, generated).
- `detect_file(run_dir, wav)` runs a whole recording through the same path as fast as possible.

The model runs on a frame once the window is full (the first `frames` frames of a stream), then every
`inference_every_frames` frames (default 7 = 140 ms, for >= 100x real time on a file; the measurements
are in core/config.py's RecognizerSettings): the run's `[recognizer]` setting, which the board uses too
(`kInferenceEveryFrames` in model_settings.h, the same rule in firmware/wakebench/inference_schedule.cc),
so the PC and the board run the model on the same windows and take the same decisions. `infer_every`
overrides it for an experiment (`wakebench detect/listen --every N`; 1 = on every 20 ms frame). Times are
stream times in ms at the end of the newest frame's window, so a file gives the same times however fast
it is played.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from core.audio.sources import AudioSource, FileSource
from core.config import FeatureSettings, RecognizerSettings
from core.events import CancelToken, Done, Event, EventCallback, Progress, ignore_events
from core.features.streaming import StreamingFrontend
from core.live.recognize import Decision, RecognizeCommands, check_cadence
from core.model.runs import RunDir, resolve_run
from core.model.tflm import TflmModel


@dataclass(frozen=True)
class WordDetected(Event):
    """A new keyword detection in a recording (its `--json` line is exactly these three keys)."""

    time_s: float
    word: str
    score: int

    def to_json(self) -> dict[str, Any]:
        return {"time_s": self.time_s, "word": self.word, "score": self.score}


class ScoringModel(Protocol):
    """What the pipeline needs from a model (core.tflm.TflmModel provides it)."""

    def scores(self, features: np.ndarray) -> np.ndarray:
        """uint16 features [frames, channels] -> one score 0-255 per label."""
        ...


@dataclass(frozen=True)
class LiveFrame:
    """One feature frame of the stream, with what the model and the recognizer made of it."""

    index: int
    """Feature frame number since the stream started (0-based)."""
    time_ms: int
    """Stream time at the end of this frame's window."""
    features: np.ndarray
    """uint16 [channels]: this frame's frontend output (a spectrogram column)."""
    scores: np.ndarray | None
    """Scores 0-255 per label when the model ran on the window ending here, else None."""
    decision: Decision | None
    """The recognizer's decision when it made one (see `new_word` for what the board reports)."""

    @property
    def new_word(self) -> Decision | None:
        """A new keyword detection (what the board sends as a `D` line), or None."""
        return self.decision if self.decision is not None and self.decision.reportable else None


class StreamingDetector:
    """The detection pipeline without I/O: `push(samples)` -> the `LiveFrame`s those samples completed.

    The model runs every `recognizer.inference_every_frames` frames unless `infer_every` overrides it.
    """

    def __init__(
        self,
        model: ScoringModel,
        labels: Sequence[str],
        features: FeatureSettings,
        recognizer: RecognizerSettings,
        infer_every: int | None = None,
    ) -> None:
        if infer_every is not None and infer_every < 1:
            raise ValueError(f"infer_every must be at least 1 frame, got {infer_every}")
        self.labels = list(labels)
        self.recognizer = RecognizeCommands(self.labels, recognizer)  # refuses bad settings first
        every = recognizer.inference_every_frames if infer_every is None else infer_every
        check_cadence(recognizer, features.stride_ms, every)
        self.model = model
        self.settings = features
        self.infer_every = every
        self.frontend = StreamingFrontend(features)
        self.reset()

    def reset(self) -> None:
        """Start over as a freshly booted board: empty window, fresh frontend and recognizer."""
        n, c = self.settings.frames, self.settings.channels
        # Each frame is written twice, `n` rows apart, so the latest window is always one contiguous slice.
        self._ring = np.zeros((2 * n, c), dtype=np.uint16)
        self._count = 0
        self.frontend.reset()
        self.recognizer.reset()

    @property
    def frames_seen(self) -> int:
        return self._count

    def window(self) -> np.ndarray:
        """The latest `frames` feature frames, oldest first (zeros before the stream filled them)."""
        n = self.settings.frames
        end = self._count % n + n
        return self._ring[end - n : end]

    def push(self, samples: np.ndarray) -> list[LiveFrame]:
        s = self.settings
        n = s.frames
        out = []
        for frame in self.frontend.process(samples):
            index = self._count
            slot = index % n
            self._ring[slot] = frame
            self._ring[slot + n] = frame
            self._count += 1
            time_ms = index * s.stride_ms + s.window_ms
            scores = decision = None
            if index >= n - 1 and (index - (n - 1)) % self.infer_every == 0:
                scores = np.asarray(self.model.scores(self.window()))
                decision = self.recognizer.process(scores, time_ms)
            out.append(LiveFrame(index, time_ms, frame, scores, decision))
        return out


def load_run_model(run: RunDir | str | Path) -> tuple[RunDir, TflmModel]:
    """(RunDir, TflmModel) of an exported run (a folder, or an id under ./runs); a folder that is not a
    run is a TrainingError, a run without model.tflite an ExportError saying to export it."""
    run_dir = run if isinstance(run, RunDir) else resolve_run(run)
    return run_dir, TflmModel.from_run(run_dir)


class LiveDetector:
    """Detection on a live `AudioSource` with an exported run's int8 model, as on the board.

    `frames()` yields a `LiveFrame` per 20 ms feature frame (for a spectrogram and score bars);
    `detections()` yields only the new keyword detections. The model runs at the run's cadence
    (`recognizer.inference_every_frames`, of `recognizer` when given) unless `infer_every` overrides it.
    `model` is the run's model when already loaded (`detect_file` loads the run before it reads the
    recording, so an unexported run is reported first).
    """

    def __init__(
        self,
        run: RunDir | str | Path,
        source: AudioSource,
        infer_every: int | None = None,
        recognizer: RecognizerSettings | None = None,
        model: ScoringModel | None = None,
    ) -> None:
        self.run: RunDir
        if model is None:
            self.run, model = load_run_model(run)
        else:
            self.run = run if isinstance(run, RunDir) else resolve_run(run)
        config = self.run.config
        self.labels = list(self.run.labels)
        self.source = source
        self.pipeline = StreamingDetector(
            model, self.labels, config.features, recognizer or config.recognizer, infer_every
        )

    def frames(self, cancel: CancelToken | None = None) -> Iterator[LiveFrame]:
        """Start the source, yield frames until it ends or `cancel` is set, then stop it."""
        with closing(source_chunks(self.source, cancel)) as chunks:
            for chunk in chunks:
                yield from self.pipeline.push(chunk)

    def detections(self, cancel: CancelToken | None = None) -> Iterator[Decision]:
        for frame in self.frames(cancel):
            if frame.new_word is not None:
                yield frame.new_word


def feature_frames(
    source: AudioSource, settings: FeatureSettings | None = None, cancel: CancelToken | None = None
) -> Iterator[np.ndarray]:
    """Just the spectrogram: uint16 feature frames of a source, without a model."""
    frontend = StreamingFrontend(settings or FeatureSettings())
    with closing(source_chunks(source, cancel)) as chunks:
        for chunk in chunks:
            yield from frontend.process(chunk)


def source_chunks(
    source: AudioSource, cancel: CancelToken | None = None
) -> Generator[np.ndarray, None, None]:
    """Start the source, yield its int16 chunks until it ends or `cancel` is set, then stop it
    (also when the reader stops early: close the generator)."""
    source.start()
    try:
        while cancel is None or not cancel.cancelled:
            chunk = source.read(timeout=0.25)
            if chunk is None:
                return
            yield chunk
    finally:
        source.stop()


def detect_file(
    run: RunDir | str | Path,
    audio_path: str | Path,
    infer_every: int | None = None,
    recognizer: RecognizerSettings | None = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> list[Decision]:
    """New keyword detections in a recording, through the same streaming path as the microphone
    (`LiveDetector` on a file source read as fast as possible), at the run's inference cadence unless
    `infer_every` overrides it.

    Reports WordDetected for each detection as it is found, Progress (seconds of audio done), and ends
    with Done({"detections": n, "audio_s": ..., "seconds": ...}) (seconds: how long it took).
    """
    started = time.perf_counter()
    # The run is loaded before the audio is read, so a run that is not exported says so first.
    run_dir, model = load_run_model(run)
    source = FileSource(audio_path, chunk_ms=2000)  # the frontend is fastest on ~2 s chunks
    detector = LiveDetector(run_dir, source, infer_every=infer_every, recognizer=recognizer, model=model)
    total_s = source.duration_s
    found: list[Decision] = []
    for frame in detector.frames(cancel):
        if frame.new_word is not None:
            found.append(frame.new_word)
            on_event(WordDetected(frame.time_ms / 1000, frame.new_word.label, frame.new_word.score))
        if frame.index % 100 == 0:
            on_event(Progress("detect", round(frame.time_ms / 1000, 2), round(total_s, 2)))
    if cancel is not None:
        cancel.raise_if_cancelled()
    elapsed = time.perf_counter() - started
    on_event(Done({"detections": len(found), "audio_s": round(total_s, 3), "seconds": round(elapsed, 3)}))
    return found
