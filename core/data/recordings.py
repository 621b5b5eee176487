"""Your own recordings (and board captures) as a data source.

They use the Speech Commands layout (`<recordings_dir>/<word>/<speaker>_nohash_<n>.wav`, written by
`core.audio.record`), but unlike Speech Commands they come from one or two people. TF's rule splits by
speaker, which would put every take of a person into one split, often not training. Own takes are
therefore split per take: the same hash rule applied to the whole file name, so about 80 % of your
takes train the model and the rest measure it on your voice. The split of a file never changes.
"""

from __future__ import annotations

from pathlib import Path

from core.data.split_rule import which_set

PER_TAKE_SOURCES = ("recordings", "captures")


def split_per_take(filename: str | Path, validation_percentage: float, testing_percentage: float) -> str:
    """The split of one own take: TF's hash of the full name (take number included)."""
    name = Path(filename).name.replace("_nohash_", "-take-")
    return which_set(name, validation_percentage, testing_percentage)
