"""Feature frames of long evaluation streams, cached by what decides them.

Calibration builds the same validation streams for every run of a dataset (same clips, same seed), and
the streaming frontend over ~50 minutes of them costs several CPU seconds per export. Its output depends
only on the stream's samples, the feature settings and the frontend's code, so a file under
`<project>/.wakebench/streams/` named by a digest of all three holds them: the same audio through the
same frontend is read back instead of computed again; any other audio, setting or frontend code is a
different name. Only the newest KEEP_FILES are kept.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.config import FeatureSettings
from core.fileio import write_bytes_atomic

STREAMS_DIR = Path(".wakebench") / "streams"  # under the project folder
KEEP_FILES = 40  # a few datasets' calibration and test streams
_CODE = [Path(__file__).with_name("streaming.py"), Path(__file__).parents[1] / "audio" / "samples.py"]


@functools.cache  # the code does not change while the process runs: read it once, not per stream
def _code_digest() -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in _CODE:  # the frontend and its int16 conversion
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stream_key(audio: np.ndarray, settings: FeatureSettings) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps(dataclasses.asdict(settings), sort_keys=True).encode())
    digest.update(_code_digest().encode())
    samples = np.ascontiguousarray(audio)
    digest.update(f"{samples.dtype.str}{samples.shape}".encode())
    digest.update(samples.tobytes())
    return digest.hexdigest()


def cached_frames(
    audio: np.ndarray,
    settings: FeatureSettings,
    cache_dir: Path | None,
    compute: Callable[[], np.ndarray],
) -> np.ndarray:
    """`compute()` (the frames of `audio`), or the frames it gave before for the same audio, settings
    and frontend code. Without `cache_dir`, just `compute()`."""
    if cache_dir is None:
        return compute()
    path = Path(cache_dir) / f"{stream_key(audio, settings)}.npy"
    try:
        frames = np.load(path, allow_pickle=False)
        if frames.dtype == np.uint16 and frames.ndim == 2 and frames.shape[1] == settings.channels:
            path.touch()  # recently used: kept by the pruning
            return frames
    except (OSError, ValueError, EOFError):
        pass  # missing or damaged: compute again
    frames = compute()
    buffer = io.BytesIO()
    np.save(buffer, frames, allow_pickle=False)
    try:
        write_bytes_atomic(path, buffer.getvalue())
        _prune(Path(cache_dir))
    except OSError:
        pass  # a read-only project still calibrates, only without the cache
    return frames


def _prune(cache_dir: Path) -> None:
    files = sorted(cache_dir.glob("*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP_FILES:]:
        old.unlink(missing_ok=True)
