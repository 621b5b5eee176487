"""`wakebench data check`: what in a dataset folder can be used, and why the rest cannot.

Every audio file (WAV, FLAC, OGG, MP3, ...) of every folder of a Speech Commands layout is read the way
training reads it (any format, resampled to 16 kHz mono). A file is unusable when it cannot be read (see core.audio.files for the reasons)
or holds no signal at all. The folder is *fine* when:
- it has at least one usable clip,
- every word asked for (`words`) has a folder with at least `min_clips` usable clips, and
- no folder that holds audio files has nothing usable in it.
Unusable files are listed with their reason but do not by themselves make the folder fail the check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.audio.files import AUDIO_SUFFIXES, read_audio
from core.audio.samples import SAMPLE_RATE
from core.config import BACKGROUND_NOISE_DIR
from core.data import word_folder
from core.errors import AudioError, DataError
from core.events import CancelToken, Done, EventCallback, Progress, ignore_events

SILENT_PEAK = 1e-4  # below this (about -80 dBFS) a clip holds no signal


@dataclass
class Unusable:
    path: str
    reason: str


@dataclass
class FolderReport:
    """One folder: how many clips can be used, their total length, and the files that cannot."""

    name: str
    usable: int = 0
    seconds: float = 0.0
    unusable: list[Unusable] = field(default_factory=list)
    ignored: int = 0  # files that are not audio (lists, READMEs, ...)


@dataclass
class CheckReport:
    """The result of `check_dataset`; `ok` is the exit status of `wakebench data check`."""

    root: str
    folders: dict[str, FolderReport]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def usable(self) -> int:
        return sum(f.usable for f in self.folders.values())

    @property
    def unusable(self) -> list[Unusable]:
        return [u for f in self.folders.values() for u in f.unusable]

    def counts(self) -> dict[str, int]:
        """Usable clips per folder."""
        return {name: f.usable for name, f in self.folders.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "ok": self.ok,
            "usable": self.usable,
            "counts": self.counts(),
            "unusable": [asdict(u) for u in self.unusable],
            "problems": self.problems,
            "folders": {name: asdict(f) for name, f in self.folders.items()},
        }


def check_dataset(
    root: str | Path,
    words: list[str] | None = None,
    min_clips: int = 1,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> CheckReport:
    """Read every clip under `root` and report per-folder counts and every unusable file."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder", "give the folder that holds the word folders")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = [(folder, p) for folder in folders for p in sorted(folder.iterdir()) if p.is_file()]
    reports = {folder.name: FolderReport(folder.name) for folder in folders}
    for i, (folder, path) in enumerate(files):
        if cancel is not None:
            cancel.raise_if_cancelled()
        folder_report = reports[folder.name]
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            folder_report.ignored += 1
            continue
        seconds, reason = _inspect(path)
        if reason:
            folder_report.unusable.append(Unusable(str(path), reason))
        else:
            folder_report.usable += 1
            folder_report.seconds += seconds
        on_event(Progress("check", i + 1, len(files), folder.name))

    problems = []
    with_wavs = {name: r for name, r in reports.items() if r.usable or r.unusable}
    if not any(r.usable for name, r in with_wavs.items() if name != BACKGROUND_NOISE_DIR):
        problems.append("no usable clips in any word folder")
    for name, r in with_wavs.items():
        if not r.usable:
            problems.append(f"{name}/: none of its {len(r.unusable)} audio files can be used")
    for word in words or []:
        have = reports.get(word_folder(word))
        count = have.usable if have else 0
        if count < min_clips:
            problems.append(
                f"{word!r}: {count} usable clips in {root / word_folder(word)}, need at least {min_clips}"
            )
    report = CheckReport(str(root), reports, problems)
    on_event(Done(report.to_dict()))
    return report


def _inspect(path: Path) -> tuple[float, str | None]:
    """(length in seconds, None) for a usable clip, (0, reason) for an unusable one."""
    try:
        audio = read_audio(path)
    except AudioError as exc:
        return 0.0, exc.reason
    if not len(audio) or float(np.max(np.abs(audio))) < SILENT_PEAK:
        return 0.0, "silent (no signal at all)"
    return len(audio) / SAMPLE_RATE, None
