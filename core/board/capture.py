"""Captures: what the board heard, saved as training clips (`<captures_dir>/<label>/<board>_nohash_<n>.wav`).

While audio streams (`A1`), an `AudioHistory` listening on the link keeps the last seconds the board
sent. Only unbroken audio counts: a `seq` gap or restart (samples lost, audio switched on again, a
reconnect) starts the history over, so a capture never has a hole papered over.

- `last(seconds)`: the newest `seconds` of audio (the "capture now" key; default 1.5 s).
- `at_detection()`: the 1 s that ends where the last detection arrived, i.e. the window the model had
  just judged. The protocol does not tie `D` times to audio `seq`, so the link's arrival order is the
  anchor: the board sends the detection right after the frame that made it, its audio up to that frame
  before it (the virtual board exactly so; a real board to within a loop of ~10 ms).
- `save_capture` never overwrites (the same rule as own recordings). The label is the word the clip
  should have been, another word, or `_unknown_` ("not a word", for a false alarm); training picks the
  folder up as the `captures` source (`data.captures_dir`).
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.audio.samples import SAMPLE_RATE
from core.board.link import BoardReset, Disconnected, LinkItem
from core.board.protocol import AudioChunk, Detection
from core.data import word_folder
from core.errors import CaptureError, ConfigError

CAPTURE_SECONDS = 1.5
DETECTION_SECONDS = 1.0
HISTORY_SECONDS = 6.0
NOT_A_WORD = "_unknown_"
_LABEL = re.compile(r"[a-z0-9][a-z0-9_'-]*")


@dataclass(frozen=True)
class HeardDetection:
    detection: Detection
    end: int
    """Audio position (samples since the history's segment began) when the detection arrived."""
    segment: int


class AudioHistory:
    """The board's last `seconds` of unbroken audio; add it to a link with `link.add_listener(history)`."""

    def __init__(self, seconds: float = HISTORY_SECONDS, rate: int = SAMPLE_RATE) -> None:
        self.rate = rate
        self.capacity = int(seconds * rate)
        self._lock = threading.Lock()
        self._chunks: deque[np.ndarray] = deque()
        self._held = 0
        self._end = 0  # position after the newest sample, counted from the segment's start
        self._next_seq: int | None = None
        self._segment = 0
        self._last_detection: HeardDetection | None = None
        self.breaks = 0
        """Times the history started over (gap, restart, reconnect) after it held audio."""

    def __call__(self, item: LinkItem) -> None:
        if isinstance(item, AudioChunk):
            self.add(item)
        elif isinstance(item, Detection):
            with self._lock:
                self._last_detection = HeardDetection(item, self._end, self._segment)
        elif isinstance(item, Disconnected | BoardReset):
            with self._lock:
                self._restart()

    def add(self, chunk: AudioChunk) -> None:
        samples = chunk.samples
        with self._lock:
            if self._next_seq is not None and chunk.seq != self._next_seq:
                self._restart()
            self._next_seq = chunk.seq + len(samples)
            self._chunks.append(samples)
            self._held += len(samples)
            self._end += len(samples)
            while self._held - len(self._chunks[0]) >= self.capacity:
                self._held -= len(self._chunks.popleft())

    def _restart(self) -> None:
        if self._held:
            self.breaks += 1
        self._chunks.clear()
        self._held = 0
        self._end = 0
        self._next_seq = None
        self._segment += 1

    @property
    def seconds(self) -> float:
        """Unbroken audio held now."""
        with self._lock:
            return min(self._held, self.capacity) / self.rate

    @property
    def last_detection(self) -> Detection | None:
        with self._lock:
            return None if self._last_detection is None else self._last_detection.detection

    def last(self, seconds: float = CAPTURE_SECONDS) -> np.ndarray:
        """The newest `seconds` of audio (int16); CaptureError when less unbroken audio is held."""
        n = round(seconds * self.rate)
        with self._lock:
            if n > self.capacity:
                raise CaptureError(f"a capture holds at most {self.capacity / self.rate:g} s")
            if self._held < n:
                raise CaptureError(
                    f"only {self._held / self.rate:.2f} s of unbroken audio from the board so far, "
                    f"{seconds:g} s needed",
                    self._hint(),
                )
            return self._slice(self._end - n, self._end)

    def at_detection(self, seconds: float = DETECTION_SECONDS) -> tuple[Detection, np.ndarray]:
        """The last detection and the `seconds` of audio ending where it arrived."""
        n = round(seconds * self.rate)
        with self._lock:
            heard = self._last_detection
            if heard is None:
                raise CaptureError("no detection yet to capture", "say the word, or capture the last 1.5 s")
            start = self._end - self._held
            if heard.segment != self._segment or heard.end - n < start:
                raise CaptureError(
                    f"the audio around the last detection ({heard.detection.label} at "
                    f"{heard.detection.ms / 1000:.2f} s) is no longer held unbroken",
                    self._hint(),
                )
            return heard.detection, self._slice(heard.end - n, heard.end)

    def _slice(self, start: int, end: int) -> np.ndarray:
        audio = np.concatenate(list(self._chunks)) if self._chunks else np.zeros(0, np.int16)
        first = self._end - self._held
        return audio[start - first : end - first].copy()

    def _hint(self) -> str:
        if self.breaks:
            return (
                "the board's audio had gaps (the port or host fell behind, or it reconnected); "
                "wait a moment and try again"
            )
        return "the board's audio stream (A1) must run for a moment first"


def capture_label(label: str) -> str:
    """The folder name for a capture label: a word (any, as its folder name) or `_unknown_`."""
    if label.strip() == NOT_A_WORD:
        return NOT_A_WORD
    folder = word_folder(label)
    if not _LABEL.fullmatch(folder):
        raise ConfigError(
            f"capture label {label!r} is not a word",
            f"use letters, digits, ' and - (spaces become _), or {NOT_A_WORD} for 'not a word'",
        )
    return folder


def capture_speaker(board: str) -> str:
    """The file-name prefix of a board's captures: its id, letters and digits only."""
    return re.sub(r"[^A-Za-z0-9]", "", board) or "board"


def save_capture(audio: np.ndarray, label: str, captures_dir: str | Path, board: str = "board") -> Path:
    """Write a capture as the next free `<board>_nohash_<n>.wav` under `captures_dir/<label>/`."""
    from core.audio.record import save_take

    audio = np.asarray(audio)
    if audio.dtype != np.int16 or audio.ndim != 1 or not len(audio):
        raise CaptureError("a capture is a non-empty 1-D int16 clip")
    return save_take(audio, captures_dir, capture_label(label), capture_speaker(board))


def count_captures(captures_dir: str | Path) -> dict[str, int]:
    """Captured clips per label folder, `_unknown_` included (for the Words pane)."""
    root = Path(captures_dir)
    if not root.is_dir():
        return {}
    counts = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith(".") or (folder.name.startswith("_") and folder.name != NOT_A_WORD):
            continue
        n = sum(1 for p in folder.iterdir() if "_nohash_" in p.name and p.suffix == ".wav")
        if n:
            counts[folder.name] = n
    return counts
