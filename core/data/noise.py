"""Generated background noise: coloured noise, hum and babble-like textures for `_background_noise_/`.

Colours are shaped in the frequency domain (power ~ f^alpha), so each colour has the textbook slope.
"""

from __future__ import annotations

import numpy as np

from core.audio.samples import SAMPLE_RATE

# Power spectral density exponent of each colour: P(f) ~ f^alpha.
COLOR_EXPONENTS = {"white": 0.0, "pink": -1.0, "brown": -2.0, "blue": 1.0, "violet": 2.0}


def make_noise(color: str, samples: int, rng: np.random.Generator, peak: float = 0.5) -> np.ndarray:
    """`samples` of noise of the given colour as float32, scaled so its largest sample is `peak`."""
    if color not in COLOR_EXPONENTS:
        raise ValueError(f"unknown noise colour {color!r}; known: {', '.join(COLOR_EXPONENTS)}")
    white = rng.standard_normal(samples)
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(samples)
    freqs[0] = freqs[1] if samples > 1 else 1.0  # keep DC finite; it is removed below anyway
    spectrum *= freqs ** (COLOR_EXPONENTS[color] / 2.0)  # amplitude ~ sqrt(power)
    spectrum[0] = 0.0
    return _normalise(np.fft.irfft(spectrum, n=samples), peak)


def make_hum(
    samples: int, rng: np.random.Generator, peak: float = 0.3, rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Mains hum (50 or 60 Hz with harmonics) over a little white noise, like a fan or an appliance."""
    base = rng.choice([50.0, 60.0])
    t = np.arange(samples) / rate
    hum = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 6))
    return _normalise(hum + 0.2 * rng.standard_normal(samples), peak)


def make_rumble(
    samples: int, rng: np.random.Generator, peak: float = 0.4, rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Brown noise with a slow loudness swell, like traffic or wind."""
    base = make_noise("brown", samples, rng, peak=1.0).astype(np.float64)
    t = np.arange(samples) / rate
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t + rng.uniform(0, 2 * np.pi))
    return _normalise(base * swell, peak)


def _normalise(audio: np.ndarray, peak: float) -> np.ndarray:
    top = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if top > 0:
        audio = audio * (peak / top)
    return audio.astype(np.float32)
