"""Resampling to 16 kHz: speed and quality of soxr (what core.audio.samples.resample uses), SciPy's
resample_poly, and the hand-written Kaiser-windowed polyphase resampler wakebench had before (kept below
only for this comparison).

Speed: one CPU, milliseconds per second of audio, for a 1 s clip (the common case: a dataset clip) and a
60 s recording. Quality, on test tones at full scale 0.5 (error relative to that amplitude):
  pass 1k  - worst error on a 1 kHz tone against the exact tone, away from the ends
  pass 7k  - level change of a 7 kHz tone (band edge: 7 kHz must survive at 16 kHz), in dB
  alias    - what is left of a 10 kHz tone (above the new 8 kHz Nyquist; must vanish), in dB
Usage:
    python bench/resample_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DST = 16000
RATES = (8000, 22050, 44100, 48000)


# --- the previous hand-written resampler (core/audio/wav.py before soundfile/soxr), for comparison ---
_ZERO_CROSSINGS, _KAISER_BETA, _ROLLOFF, _BLOCK = 16, 8.6, 0.94, 1 << 15


@functools.lru_cache(maxsize=16)
def _polyphase_table(up: int, down: int) -> tuple[np.ndarray, int]:
    factor = max(up, down)
    half = _ZERO_CROSSINGS * factor
    taps = np.arange(-half, half + 1, dtype=np.float64)
    cutoff = _ROLLOFF / factor
    h = cutoff * np.sinc(cutoff * taps) * np.kaiser(2 * half + 1, _KAISER_BETA) * up
    k = 2 * half // up + 1
    index = 2 * half - np.arange(up)[:, None] - np.arange(k)[None, :] * up
    return np.where((index >= 0) & (index <= 2 * half), h[np.clip(index, 0, 2 * half)], 0.0), half


def own_polyphase(audio: np.ndarray, src: int, dst: int) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float64)
    g = math.gcd(src, dst)
    up, down = dst // g, src // g
    table, half = _polyphase_table(up, down)
    k = table.shape[1]
    n_out = -(-len(audio) * up // down)
    windows = np.lib.stride_tricks.sliding_window_view(np.concatenate([np.zeros(k), audio, np.zeros(k)]), k)
    out = np.empty(n_out, dtype=np.float64)
    for start in range(0, n_out, _BLOCK):
        m = np.arange(start, min(start + _BLOCK, n_out), dtype=np.int64)
        centre = m * down
        first = -((half - centre) // up)
        phase = first * up + half - centre
        out[start : start + len(m)] = np.einsum("ij,ij->i", windows[first + k], table[phase])
    return out.astype(np.float32)


def scipy_poly(audio: np.ndarray, src: int, dst: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = math.gcd(src, dst)
    return resample_poly(audio, dst // g, src // g).astype(np.float32)


def candidates() -> dict[str, Callable[[np.ndarray, int, int], np.ndarray]]:
    from core.audio.samples import resample

    found: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {"soxr (core)": resample}
    try:
        import scipy.signal  # noqa: F401

        found["scipy resample_poly"] = scipy_poly
    except ImportError:
        pass
    found["own polyphase (before)"] = own_polyphase
    return found


def tone(freq: float, seconds: float, rate: int) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def ms_per_second(
    fn: Callable[[np.ndarray, int, int], np.ndarray], src: int, seconds: float, repeat: int
) -> float:
    audio = tone(1000, seconds, src).astype(np.float32)
    fn(audio, src, DST)  # warm caches (filter tables, imports)
    calls = max(1, int(repeat * 20 / seconds))
    started = time.process_time()
    for _ in range(calls):
        fn(audio, src, DST)
    return (time.process_time() - started) / calls / seconds * 1000


def quality(
    fn: Callable[[np.ndarray, int, int], np.ndarray], src: int
) -> tuple[float, float | None, float | None]:
    edge = slice(800, -800)
    out = fn(tone(1000, 1.0, src), src, DST)
    n = min(len(out), DST)
    passband = float(np.max(np.abs(out[:n][edge] - tone(1000, 1.0, DST)[:n][edge]))) / 0.5
    level7 = None
    if src > 2 * 7000:
        out7 = fn(tone(7000, 1.0, src), src, DST)[edge]
        level7 = 20 * math.log10(float(np.sqrt(2 * np.mean(out7**2))) / 0.5)
    alias = None
    if src > 2 * 10000:
        residual = fn(tone(10000, 1.0, src), src, DST)[edge]
        alias = 20 * math.log10(max(float(np.max(np.abs(residual))), 1e-12) / 0.5)
    return passband, level7, alias


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per timing (more = steadier)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    print(
        f"{'resampler':<24} {'from Hz':>7} {'1 s clip':>10} {'60 s':>9} {'pass 1k':>9} {'pass 7k':>8} {'alias':>8}"
    )
    print(f"{'':<24} {'':>7} {'ms/s':>10} {'ms/s':>9} {'error':>9} {'dB':>8} {'dB':>8}")
    for name, fn in candidates().items():
        for src in RATES:
            clip = ms_per_second(fn, src, 1.0, args.repeat)
            long = ms_per_second(fn, src, 60.0, args.repeat)
            passband, level7, alias = quality(fn, src)
            edge = "-" if level7 is None else f"{level7:.2f}"
            shown = "-" if alias is None else f"{alias:.0f}"
            print(f"{name:<24} {src:>7} {clip:>10.3f} {long:>9.3f} {passband:>9.1e} {edge:>8} {shown:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
