"""Streaming command recognition: the Python twin of the firmware's `RecognizeCommands`.

The rules are those of TensorFlow Lite Micro's micro_speech `RecognizeCommands`, so the PC and the board
take the same decisions on the same scores (tests/vectors/recognizer/*.json hold the shared cases):

- each inference's scores (0-255, i.e. int8 output + 128) are queued with their time;
- results older than `time_ms - average_window_ms` are dropped (a result exactly that old stays);
- with fewer than `minimum_count` results, or less than `average_window_ms // 4` between the oldest and
  the newest, there is no decision (`process` returns None);
- otherwise each label's score is the integer mean (floor) over the queue; the top label is the first
  one with the highest mean, and a mean of 0 everywhere gives label 0 with score 0;
- the decision is *new* when the mean is strictly above `detection_threshold` and either the label differs
  from the last new one or more than `suppression_ms` passed since it (strictly). While the last new
  label is label 0 (`_silence_`), suppression does not apply.

Two deliberate differences from micro_speech, mirrored in firmware/wakebench/recognize_commands.cc:
- a time earlier than the *newest* queued result is an error (micro_speech compares with the oldest one,
  which lets an out-of-order result into the window unnoticed);
- when the fixed-size queue is full the *oldest* result is dropped (micro_speech drops the newest, which
  freezes the average). The firmware sizes its queue so that this never happens at one inference per frame.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.config import RecognizerSettings, is_keyword
from core.config_checks import RECOGNIZER_HINT, cadence_problem, recognizer_problems
from core.errors import ConfigError

if TYPE_CHECKING:  # only for annotations: the recognizer itself is plain Python, like its C++ twin
    import numpy as np


class TimeOrderError(ValueError):
    """Scores were given with a time earlier than the previous result (micro_speech returns an error)."""


@dataclass(frozen=True)
class Decision:
    """One decision of the recognizer (a new keyword among them is a detection: `reportable`)."""

    time_ms: int
    label: str
    index: int
    score: int
    """Averaged score of `label`, 0-255."""
    is_new: bool
    """True when this is a new command (above threshold and not suppressed)."""

    @property
    def is_word(self) -> bool:
        """A keyword, not `_silence_` or `_unknown_` (core.config.is_keyword)."""
        return is_keyword(self.label)

    @property
    def reportable(self) -> bool:
        """What the board sends as a `D` line and the PC prints: a new detection of a keyword."""
        return self.is_new and self.is_word


def queue_capacity(settings: RecognizerSettings, stride_ms: int) -> int:
    """Results the window can hold at one inference per feature frame (plus one spare)."""
    return settings.average_window_ms // max(1, stride_ms) + 2


def check_settings(settings: RecognizerSettings) -> None:
    """Refuse settings the firmware could not hold (uint8 threshold, int32 times): the ranges of
    core.config_checks, which a loaded config has passed already."""
    problems = recognizer_problems(settings)
    if problems:
        raise ConfigError(
            "[recognizer] " + "; ".join(f"{p.key.split('.', 1)[1]} {p.message}" for p in problems),
            RECOGNIZER_HINT,
        )


def check_cadence(settings: RecognizerSettings, stride_ms: int, every_frames: int | None = None) -> None:
    """Refuse an inference cadence (default: the settings' own) at which the recognizer could never
    decide: too few results fit the averaging window, or a single one when it needs a time span."""
    every = settings.inference_every_frames if every_frames is None else every_frames
    problem = cadence_problem(settings, stride_ms, every)
    if problem is not None:
        raise ConfigError(
            f"[recognizer] {problem}",
            "lower inference_every_frames (or --every) or raise average_window_ms in the [recognizer] "
            "table of wakebench.toml",
        )


class RecognizeCommands:
    """Averages scores over time and decides when a command was heard (see the module docstring)."""

    def __init__(
        self, labels: Sequence[str], settings: RecognizerSettings, capacity: int | None = None
    ) -> None:
        check_settings(settings)
        if not labels:
            raise ValueError("the recognizer needs at least one label")
        if capacity is not None and capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.labels = list(labels)
        self.settings = settings
        self.capacity = capacity
        self.reset()

    def reset(self) -> None:
        """Forget every result and the last command (as a freshly constructed recognizer)."""
        self._results: deque[tuple[int, tuple[int, ...]]] = deque()
        self._previous_index = 0
        self._previous_time: int | None = None

    def process(self, scores: Sequence[int] | np.ndarray, time_ms: int) -> Decision | None:
        """Feed one inference's scores (0-255, one per label) taken at `time_ms`.

        Returns None while there are too few results to decide, else the decision.
        Raises TimeOrderError (and keeps its state) when `time_ms` is earlier than the previous result.
        """
        values = tuple(int(s) for s in scores)
        if len(values) != len(self.labels):
            raise ValueError(f"expected {len(self.labels)} scores, got {len(values)}")
        if any(not 0 <= s <= 255 for s in values):
            raise ValueError(f"scores must be 0..255, got {list(values)}")
        time_ms = int(time_ms)
        if self._results and time_ms < self._results[-1][0]:
            raise TimeOrderError(
                f"results must come in time order: {time_ms} ms is earlier than {self._results[-1][0]} ms"
            )

        window = self.settings.average_window_ms
        while self._results and self._results[0][0] < time_ms - window:
            self._results.popleft()
        if self.capacity is not None and len(self._results) >= self.capacity:
            self._results.popleft()
        self._results.append((time_ms, values))

        count = len(self._results)
        if count < self.settings.minimum_count or time_ms - self._results[0][0] < window // 4:
            return None

        sums = [0] * len(self.labels)
        for _, result in self._results:
            for i, s in enumerate(result):
                sums[i] += s
        top_index, top_score = 0, 0
        for i, total in enumerate(sums):
            mean = total // count
            if mean > top_score:
                top_index, top_score = i, mean

        if self._previous_index == 0 or self._previous_time is None:
            suppressed = False
        else:
            suppressed = time_ms - self._previous_time <= self.settings.suppression_ms
        is_new = top_score > self.settings.detection_threshold and (
            top_index != self._previous_index or not suppressed
        )
        if is_new:
            self._previous_index = top_index
            self._previous_time = time_ms
        return Decision(time_ms, self.labels[top_index], top_index, top_score, is_new)
