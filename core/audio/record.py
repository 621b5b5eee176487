"""Recording your own voice: take a few seconds from any `AudioSource`, find the word by its energy
(voice activity), cut a 1 s clip centred on it, and save it in the Speech Commands layout as
`<recordings_dir>/<word>/<speaker>_nohash_<n>.wav` — never overwriting a take that is already there.

The CLI (`wakebench record`) and the TUI's record mode both drive `Recorder`; the prompt, playback and
the keep/discard choice are theirs.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.audio.samples import SAMPLE_RATE
from core.audio.sources import AudioSource
from core.data import word_folder
from core.errors import ConfigError
from core.events import CancelToken

# Voice activity: 20 ms frames every 10 ms; a frame is voiced when it is well above the take's noise floor.
_FRAME = SAMPLE_RATE // 50
_HOP = SAMPLE_RATE // 100
_MIN_PEAK_DB = -50.0  # quieter than this (dBFS, frame RMS) is no speech at all
_MIN_CONTRAST_DB = 12.0  # the loudest frame must stand this far above the noise floor
_MERGE_GAP_S = 0.25  # voiced runs closer than this are one word ("seven" has a quiet middle)
_PAD_S = 0.05  # keep a little of the onset and release around the voiced run

_NOHASH = re.compile(r"^(?P<speaker>.+)_nohash_(?P<n>\d+)\.wav$")


@dataclass(frozen=True)
class Take:
    """One recording: the raw audio and, when a word was heard, the 1 s clip centred on it."""

    audio: np.ndarray
    """Everything recorded, float32."""
    clip: np.ndarray | None
    """float32 clip of `clip_samples`, centred on the word; None when no word was heard."""
    word_start: int = 0
    """Sample where the word starts in `audio` (when heard)."""
    word_end: int = 0

    @property
    def heard(self) -> bool:
        return self.clip is not None

    @property
    def word_seconds(self) -> float:
        return (self.word_end - self.word_start) / SAMPLE_RATE

    @property
    def too_long(self) -> bool:
        """The word does not fit in the clip (it was cut at both ends)."""
        return self.clip is not None and self.word_end - self.word_start > len(self.clip)


def _frame_db(audio: np.ndarray) -> np.ndarray:
    if len(audio) < _FRAME:
        audio = np.pad(audio, (0, _FRAME - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(audio.astype(np.float64), _FRAME)[::_HOP]
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def find_word(audio: np.ndarray) -> tuple[int, int] | None:
    """(start, end) samples of the loudest voiced stretch of `audio`, or None when nothing stands out
    from the background."""
    audio = np.asarray(audio, dtype=np.float32)
    db = _frame_db(audio)
    floor, peak = float(np.percentile(db, 10)), float(db.max())
    if peak < _MIN_PEAK_DB or peak - floor < _MIN_CONTRAST_DB:
        return None
    # Halfway (in dB) between the floor and the peak, but at least 6 dB above the floor.
    threshold = floor + max(6.0, 0.5 * (peak - floor))
    voiced = np.flatnonzero(db > threshold)
    runs: list[list[int]] = []
    gap = int(_MERGE_GAP_S * SAMPLE_RATE / _HOP)
    for i in voiced:
        if runs and i - runs[-1][1] <= gap:
            runs[-1][1] = int(i)
        else:
            runs.append([int(i), int(i)])
    power = 10 ** (db / 10)
    first, last = max(runs, key=lambda r: power[r[0] : r[1] + 1].sum())
    pad = int(_PAD_S * SAMPLE_RATE)
    start = max(0, first * _HOP - pad)
    end = min(len(audio), last * _HOP + _FRAME + pad)
    return start, end


def centre_clip(audio: np.ndarray, start: int, end: int, clip_samples: int = SAMPLE_RATE) -> np.ndarray:
    """`clip_samples` of `audio` centred on [start, end); zeros where the recording runs out."""
    audio = np.asarray(audio, dtype=np.float32)
    first = (start + end) // 2 - clip_samples // 2
    clip = np.zeros(clip_samples, dtype=np.float32)
    lo, hi = max(first, 0), min(first + clip_samples, len(audio))
    if hi > lo:
        clip[lo - first : hi - first] = audio[lo:hi]
    return clip


def trim_take(audio: np.ndarray, clip_samples: int = SAMPLE_RATE) -> Take:
    """A `Take` of `audio`: the clip centred on the word it contains, if any."""
    audio = np.asarray(audio, dtype=np.float32)
    bounds = find_word(audio)
    if bounds is None:
        return Take(audio, None)
    return Take(audio, centre_clip(audio, *bounds, clip_samples), *bounds)


def default_speaker() -> str:
    """A speaker id from the login name (letters and digits only), e.g. "alice"."""
    try:
        name = getpass.getuser()
    except Exception:  # no login name (some containers)
        name = ""
    return check_speaker(re.sub(r"[^a-z0-9]", "", name.lower()) or "me")


def check_speaker(speaker: str) -> str:
    """A speaker id must be letters and digits: it is the part of the file name the split is hashed on."""
    if not re.fullmatch(r"[A-Za-z0-9]+", speaker or ""):
        raise ConfigError(
            f"speaker id {speaker!r} must be letters and digits only",
            "e.g. --speaker alice or --speaker 7f3a",
        )
    return speaker


def take_numbers(folder: Path, speaker: str) -> list[int]:
    """Numbers of the takes `speaker` already has in `folder`."""
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        m = _NOHASH.match(p.name)
        if m and m["speaker"] == speaker:
            found.append(int(m["n"]))
    return sorted(found)


def save_take(clip: np.ndarray, recordings_dir: str | Path, word: str, speaker: str) -> Path:
    """Write `clip` as the next free `<speaker>_nohash_<n>.wav` of `word`; an existing file is never
    replaced, even by another recorder saving at the same moment."""
    from core.audio.files import write_wav  # lazy: soundfile/soxr load when a take is saved, not at app start

    check_speaker(speaker)
    folder = Path(recordings_dir) / word_folder(word)
    folder.mkdir(parents=True, exist_ok=True)
    n = max(take_numbers(folder, speaker), default=-1) + 1
    pending = folder / f".{speaker}_pending_{os.getpid()}.wav.tmp"
    clip = np.asarray(clip)
    write_wav(pending, clip if clip.dtype == np.int16 else clip.astype(np.float32))  # int16 as is
    try:
        while True:
            target = folder / f"{speaker}_nohash_{n}.wav"
            try:
                os.link(pending, target)  # fails if the name exists: no overwrite, no race
                return target
            except FileExistsError:
                n += 1
    finally:
        pending.unlink(missing_ok=True)


def count_recordings(recordings_dir: str | Path) -> dict[str, int]:
    """Recorded clips per word folder (for the Words pane), e.g. {"seth": 20}."""
    root = Path(recordings_dir)
    if not root.is_dir():
        return {}
    return {
        d.name: sum(1 for p in d.iterdir() if _NOHASH.match(p.name))
        for d in sorted(root.iterdir())
        if d.is_dir() and not d.name.startswith("_")
    }


class Recorder:
    """Takes of one word by one speaker from `source`: `record()` a take, then `keep(take)` or drop it."""

    def __init__(
        self,
        source: AudioSource,
        word: str,
        recordings_dir: str | Path,
        speaker: str | None = None,
        take_seconds: float = 2.0,
        clip_samples: int = SAMPLE_RATE,
    ) -> None:
        self.source = source
        self.word = word
        self.recordings_dir = Path(recordings_dir)
        self.speaker = check_speaker(speaker) if speaker else default_speaker()
        self.take_samples = int(take_seconds * SAMPLE_RATE)
        self.clip_samples = clip_samples

    @property
    def folder(self) -> Path:
        return self.recordings_dir / word_folder(self.word)

    def saved(self) -> int:
        """Takes of this word by this speaker already on disk."""
        return len(take_numbers(self.folder, self.speaker))

    def record(self, cancel: CancelToken | None = None) -> Take:
        """Record `take_seconds` from the source (a file or generated source just plays its next part)."""
        parts: list[np.ndarray] = []
        have = 0
        self.source.start()
        try:
            while have < self.take_samples:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                chunk = self.source.read(timeout=0.25)
                if chunk is None:
                    break
                parts.append(chunk)
                have += len(chunk)
        finally:
            self.source.stop()
        pcm = np.concatenate(parts)[: self.take_samples] if parts else np.zeros(0, np.int16)
        return trim_take(pcm.astype(np.float32) / 32768.0, self.clip_samples)

    def keep(self, take: Take) -> Path:
        if take.clip is None:
            raise ValueError("this take has no word in it; record it again")
        return save_take(take.clip, self.recordings_dir, self.word, self.speaker)
