"""Long recordings of spaced words over background noise, with the truth of where each keyword is —
for the live tests and for bench/detect_speed.py and bench/recognizer_tuning.py.

Clips come either from a dataset index (e.g. its held-out testing split) or are spoken by espeak-ng on
the spot; gaps of background noise separate them, so a detector's hits, misses and false alarms can be
counted against `KeywordStream.events`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

RATE = 16000


@dataclass(frozen=True)
class WordEvent:
    """One spoken word in the stream: its label ("_unknown_" for other words) and where it is."""

    label: str
    start_s: float
    end_s: float


@dataclass
class KeywordStream:
    audio: np.ndarray
    events: list[WordEvent] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.audio) / RATE

    def keyword_events(self) -> list[WordEvent]:
        return [e for e in self.events if not e.label.startswith("_")]


def _speech_bounds(clip: np.ndarray) -> tuple[int, int]:
    """Where the speech in a 1 s clip is (frames within 30 dB of its loudest 10 ms)."""
    frames = clip[: len(clip) // 160 * 160].reshape(-1, 160).astype(np.float64)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(db > db.max() - 30)
    return int(loud[0] * 160), int((loud[-1] + 1) * 160)


def build_stream(
    clips: Sequence[tuple[str, np.ndarray]],
    background: np.ndarray,
    gap_s: tuple[float, float] = (1.5, 3.0),
    word_level: float = 0.8,
    noise_level: float = 0.05,
    seed: int = 0,
) -> KeywordStream:
    """Lay `clips` ((label, 1 s float audio) pairs) one after the other with random gaps, over
    `background` noise (looped to the length) scaled to a peak of `noise_level`."""
    rng = random.Random(seed)
    pieces: list[np.ndarray] = []
    events: list[WordEvent] = []
    pos = int(rng.uniform(*gap_s) * RATE)
    pieces.append(np.zeros(pos, np.float32))
    for label, clip in clips:
        clip = np.asarray(clip, dtype=np.float32)
        peak = float(np.max(np.abs(clip))) or 1.0
        clip = clip * (word_level / peak)
        lo, hi = _speech_bounds(clip)
        events.append(WordEvent(label, (pos + lo) / RATE, (pos + hi) / RATE))
        gap = int(rng.uniform(*gap_s) * RATE)
        pieces += [clip, np.zeros(gap, np.float32)]
        pos += len(clip) + gap
    speech = np.concatenate(pieces)
    bg = np.resize(np.asarray(background, dtype=np.float32), len(speech))
    bg_peak = float(np.max(np.abs(bg))) or 1.0
    audio = np.clip(speech + bg * (noise_level / bg_peak), -1, 1).astype(np.float32)
    return KeywordStream(audio, events)


def espeak_stream(
    words: Sequence[str],
    others: Sequence[str] = ("hello", "table", "seven"),
    repeats: int = 3,
    seed: int = 0,
    **kwargs,
) -> KeywordStream:
    """Each keyword `repeats` times and each other word once, spoken by espeak-ng at varied pitch and
    speed, shuffled, over pink noise."""
    from tests import audio_factory as af

    rng = random.Random(seed)
    items = [(w, w) for w in words for _ in range(repeats)] + [("_unknown_", o) for o in others]
    rng.shuffle(items)
    clips = [
        (label, af.speak(text, pitch=rng.randrange(25, 80), speed=rng.randrange(130, 190)))
        for label, text in items
    ]
    return build_stream(clips, af.noise("pink", 7.0, seed=seed + 1), seed=seed, **kwargs)


@dataclass(frozen=True)
class Score:
    """How a detector did on a stream."""

    hits: int
    misses: int
    false_alarms: int
    keywords: int
    hours: float

    @property
    def recall(self) -> float:
        return self.hits / self.keywords if self.keywords else 0.0

    @property
    def precision(self) -> float:
        found = self.hits + self.false_alarms
        return self.hits / found if found else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_alarms_per_hour(self) -> float:
        return self.false_alarms / self.hours if self.hours else 0.0


def score_detections(
    stream: KeywordStream, detections: Sequence[tuple[float, str]], late_s: float = 1.0
) -> Score:
    """Match (time_s, word) detections to keyword events: a detection of the right word between the
    word's start and `late_s` after its end is a hit (one per event); everything else is a false alarm."""
    keywords = stream.keyword_events()
    claimed = [False] * len(keywords)
    false_alarms = 0
    for time_s, word in detections:
        for i, event in enumerate(keywords):
            if not claimed[i] and event.label == word and event.start_s <= time_s <= event.end_s + late_s:
                claimed[i] = True
                break
        else:
            false_alarms += 1
    hits = sum(claimed)
    return Score(hits, len(keywords) - hits, false_alarms, len(keywords), stream.duration_s / 3600)
