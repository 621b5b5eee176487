"""The dataset index: every clip of every source, labelled and split into training/validation/testing.

Sources are folders in the Speech Commands layout (`<root>/<word>/<speaker>_nohash_<n>.wav`):
the synthetic set, Google Speech Commands, your own recordings and board captures. The split follows
TensorFlow's speech_commands `which_set` exactly (a hash of the speaker part of the file name), so the
same speaker always lands in the same split and a model's test set is comparable with published numbers.
Own recordings and captures are split per take instead (see core.data.recordings for why).

Folders map to labels like this (`folder_label`, the one rule for training, evaluation and checks):
- a folder named after a keyword (see `word_folder`) -> that keyword;
- `_background_noise_/` -> background noise files for augmentation (not clips);
- `_unknown_/` or `_silence_/` (e.g. captured false alarms, recorded room noise) -> always included in that class;
- hidden folders (`.ipynb_checkpoints`) and other `_`-folders (some other tool's) -> skipped;
- any other folder (other words) -> the pool `_unknown_` clips are sampled from, as in TF speech_commands.
Generated silence entries have `path=None` (the trainer makes them from zeros plus background noise).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.audio.files import AUDIO_SUFFIXES
from core.config import BACKGROUND_NOISE_DIR, SILENCE_LABEL, UNKNOWN_LABEL, ProjectConfig, keywords
from core.data import word_folder
from core.data.recordings import split_per_take
from core.data.split_rule import SPLITS, speaker_of, which_set
from core.errors import DataError


def folder_label(name: str, word_folders: Mapping[str, str]) -> str | None:
    """The label of the clips in data folder `name`, or None for a folder that holds no labelled clips
    (hidden, `_background_noise_`, or another `_`-folder). `word_folders` maps folder name -> keyword."""
    if name in word_folders:
        return word_folders[name]
    if name in (UNKNOWN_LABEL, SILENCE_LABEL):
        return name
    if name.startswith((".", "_")):
        return None
    return UNKNOWN_LABEL  # another word


@dataclass(frozen=True)
class Entry:
    """One clip of the dataset (or a generated silence, then `path` is None)."""

    path: Path | None
    label: str
    split: str
    speaker: str
    source: str  # "synthetic", "speech_commands", "recordings", "captures", "extra", or "silence"
    weight: float = 1.0  # how much the trainer should count this clip against a synthetic one


@dataclass(frozen=True)
class Source:
    """A folder in Speech Commands layout and how much its clips count."""

    name: str
    root: Path
    weight: float = 1.0
    per_take: bool = False  # split each take on its own (own recordings, see core.data.recordings)


@dataclass
class DatasetIndex:
    """All entries of a project's dataset, split and labelled, plus the background noise files."""

    labels: list[str]
    entries: list[Entry]
    background_files: list[Path] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    def split(self, name: str) -> list[Entry]:
        """The entries of one split, in index order."""
        return [e for e in self.entries if e.split == name]

    def counts(self) -> dict[str, dict[str, int]]:
        """Clips per split and label: `counts()["training"]["stop"]`; every label appears, 0 if absent."""
        result = {s: dict.fromkeys(self.labels, 0) for s in SPLITS}
        for e in self.entries:
            result[e.split][e.label] += 1
        return result

    def source_counts(self) -> dict[str, dict[str, int]]:
        """Clips per source and label (generated silence counted under "silence")."""
        result: dict[str, Counter[str]] = {}
        for e in self.entries:
            result.setdefault(e.source, Counter())[e.label] += 1
        return {src: dict(c) for src, c in result.items()}

    def missing_words(self) -> list[str]:
        """Keywords with no clip in any split."""
        present = {e.label for e in self.entries}
        return [w for w in keywords(self.labels) if w not in present]


def project_sources(config: ProjectConfig, root: Path, extra_dirs: Iterable[str | Path] = ()) -> list[Source]:
    """The data folders a project uses, resolved against the project directory."""
    data = config.data

    def resolve(p: str | Path) -> Path:
        p = Path(p).expanduser()
        return p if p.is_absolute() else root / p

    sources = [Source("synthetic", resolve(data.synthetic_dir))]
    if data.speech_commands_dir:
        sources.append(Source("speech_commands", resolve(data.speech_commands_dir)))
    sources.append(Source("recordings", resolve(data.recordings_dir), data.recording_weight, per_take=True))
    sources.append(Source("captures", resolve(data.captures_dir), data.recording_weight, per_take=True))
    sources += [Source("extra", resolve(d)) for d in extra_dirs]
    return sources


def build_index(
    config: ProjectConfig,
    root: str | Path = ".",
    extra_dirs: Sequence[str | Path] = (),
    seed: int | None = None,
    strict: bool = True,
) -> DatasetIndex:
    """Index every clip of the project's sources; deterministic for a given seed (default: training seed).

    `_unknown_` and `_silence_` are sized per split like TF speech_commands: each is its percentage of the
    split's keyword clips (rounded up). With `strict`, a keyword without any clip is a DataError.
    """
    root = Path(root)
    rng = random.Random(config.training.seed if seed is None else seed)
    data = config.data
    val, test = data.validation_percentage, data.testing_percentage
    folders = {word_folder(w): w for w in config.words}
    sources = [s for s in project_sources(config, root, extra_dirs) if s.root.is_dir()]

    keywords: dict[str, list[Entry]] = {s: [] for s in SPLITS}
    explicit: dict[str, list[Entry]] = {s: [] for s in SPLITS}  # _unknown_/ and _silence_/ folders
    unknown_pool: dict[str, list[Entry]] = {s: [] for s in SPLITS}
    background: list[Path] = []
    for source in sources:
        for folder in sorted(p for p in source.root.iterdir() if p.is_dir()):
            wavs = _wavs(folder)
            if folder.name == BACKGROUND_NOISE_DIR:
                background += wavs
                continue
            label = folder_label(folder.name, folders)
            if label is None:
                continue
            if folder.name in folders:
                target = keywords
            elif folder.name == label:  # an explicit _unknown_/ or _silence_/ folder
                target = explicit
            else:
                target = unknown_pool
            for wav in wavs:
                split = (
                    split_per_take(wav.name, val, test) if source.per_take else which_set(wav.name, val, test)
                )
                target[split].append(Entry(wav, label, split, speaker_of(wav), source.name, source.weight))

    if strict:
        present = {e.label for split in keywords.values() for e in split}
        missing = [w for w in config.words if w not in present]
        if missing:
            raise DataError(
                f"no clips for {', '.join(repr(w) for w in missing)} in {', '.join(str(s.root) for s in sources) or 'any data folder'}",
                "make synthetic clips with `wakebench data synth` or record some",
            )

    entries: list[Entry] = []
    for split in SPLITS:
        set_size = len(keywords[split])
        entries += keywords[split]
        entries += explicit[split]
        silence_size = math.ceil(set_size * data.silence_percentage / 100)
        entries += [Entry(None, SILENCE_LABEL, split, "", "silence") for _ in range(silence_size)]
        pool = list(unknown_pool[split])
        rng.shuffle(pool)
        entries += pool[: math.ceil(set_size * data.unknown_percentage / 100)]
    return DatasetIndex(config.labels, entries, sorted(background), sources)


def _wavs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
