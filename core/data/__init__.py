"""Data sources of a wakebench project: synthetic keywords, Google Speech Commands, your own recordings
and board captures, all in the Speech Commands layout (`<root>/<word>/<speaker>_nohash_<n>.wav`)."""

from __future__ import annotations


def word_folder(word: str) -> str:
    """The folder name of a word in the Speech Commands layout: "hey bench" -> "hey_bench"."""
    return "_".join(word.strip().lower().split())
