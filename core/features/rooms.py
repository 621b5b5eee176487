"""A bank of room impulse responses, simulated once per process with pyroomacoustics.

A keyword said across a room reaches the microphone with the room's echoes; training only on dry
synthetic speech gives a model that misses reverberant speech. Each response is a random shoebox room
(2.5-10 m, reverberation time 0.15-0.9 s) with a random talker and microphone position, simulated with
the image source method. The bank depends only on its seed and size, so augmentation stays repeatable.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np

from core.errors import DataError
from core.fileio import write_bytes_atomic

RIR_SECONDS = 0.4  # responses are cut here: the tail beyond is far below the direct sound
MAX_ORDER = 12  # image-source reflection order: enough for the audible part of the tail, and quick


def load_or_make_bank(count: int, sample_rate: int, folder: Path | None) -> tuple[np.ndarray, ...]:
    """The bank, read from `folder` when it was simulated there before (importing pyroomacoustics and
    simulating takes seconds), else simulated and saved there."""
    path = folder / f"rooms-{count}-{sample_rate}.npz" if folder else None
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                return tuple(data[f"arr_{i}"] for i in range(count))
        except (OSError, ValueError, KeyError):
            pass  # damaged: simulate again
    bank = rir_bank(count, sample_rate)
    if path is not None:
        buffer = io.BytesIO()
        np.savez(buffer, *bank)
        write_bytes_atomic(path, buffer.getvalue())
    return bank


@functools.lru_cache(maxsize=4)
def rir_bank(count: int, sample_rate: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """`count` room impulse responses (float32, direct sound at index 0, peak 1)."""
    try:
        import pyroomacoustics as pra
    except ImportError:
        raise DataError(
            "room reverberation needs pyroomacoustics, which is not installed",
            "install it with `pip install pyroomacoustics`",
        ) from None
    rng = np.random.default_rng([seed, count, sample_rate])
    bank = []
    for _ in range(count):
        dims = rng.uniform([2.5, 2.5, 2.2], [10.0, 8.0, 3.5])
        rt60 = rng.uniform(0.15, 0.9)
        try:
            absorption, order = pra.inverse_sabine(rt60, dims)
        except ValueError:  # a reverberation time this room cannot have: a little drier
            absorption, order = pra.inverse_sabine(0.3, dims)
        room = pra.ShoeBox(
            dims, fs=sample_rate, materials=pra.Material(absorption), max_order=min(order, MAX_ORDER)
        )
        room.add_source(rng.uniform(0.4, dims - 0.4))
        room.add_microphone(rng.uniform(0.4, dims - 0.4))
        room.compute_rir()
        rir = np.asarray(room.rir[0][0], np.float64)
        start = int(np.argmax(np.abs(rir)))  # the direct sound: aligned so the word does not move
        rir = rir[start : start + int(RIR_SECONDS * sample_rate)]
        bank.append((rir / np.max(np.abs(rir))).astype(np.float32))
    return tuple(bank)
