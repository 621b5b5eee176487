"""Which split a clip belongs to: TensorFlow speech_commands' rule, a hash of the speaker part of the
file name, so one speaker's clips always share a split and the test set is comparable with published
numbers. (Own recordings use the same hash per take: core.data.recordings.)
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

# TF speech_commands: the hash is taken modulo this + 1, which keeps splits stable as files are added.
MAX_NUM_WAVS_PER_CLASS = 2**27 - 1
SPLITS = ("training", "validation", "testing")
NOHASH = "_nohash_"


def which_set(filename: str | Path, validation_percentage: float, testing_percentage: float) -> str:
    """The split of a file: "training", "validation" or "testing" (TF speech_commands' rule).

    Everything from `_nohash_` on is ignored, so all clips of one speaker share a split.
    """
    base_name = Path(filename).name
    hash_name = re.sub(r"_nohash_.*$", "", base_name)
    hash_hex = hashlib.sha1(hash_name.encode("utf-8")).hexdigest()
    percentage_hash = (int(hash_hex, 16) % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS)
    if percentage_hash < validation_percentage:
        return "validation"
    if percentage_hash < validation_percentage + testing_percentage:
        return "testing"
    return "training"


def speaker_of(filename: str | Path) -> str:
    """The speaker part of a clip name: `abc123_nohash_4.wav` -> `abc123`."""
    stem = Path(filename).name
    return stem.split(NOHASH, 1)[0] if NOHASH in stem else Path(stem).stem
