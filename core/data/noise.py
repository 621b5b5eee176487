"""Generated background noise: coloured noise, hum, rumble and music-like signals for `_background_noise_/`.

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


def make_music(
    samples: int, rng: np.random.Generator, peak: float = 0.4, rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Music-like sound: plucked melody notes of a random major scale over a bass line and a
    chord pad, with a noise-burst drum on the beat. Tonal, rhythmic and speech-band, like a radio
    in the room: the kind of sound a keyword model must not fire on."""
    out = np.zeros(samples, np.float64)
    root = 110.0 * 2 ** (rng.integers(0, 12) / 12)  # A2 .. G#3
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])
    beat = int(rate * 60 / rng.uniform(80, 140))

    def note(start: int, length: int, freq: float, level: float, harmonics: int, decay: float) -> None:
        length = min(length, samples - start)
        if length <= 0:
            return
        t = np.arange(length) / rate
        wave = sum(np.sin(2 * np.pi * freq * k * t) / k**1.5 for k in range(1, harmonics + 1))
        out[start : start + length] += level * wave * np.exp(-t * decay)

    pos = 0
    while pos < samples:  # melody: one to two beats per note
        length = beat * int(rng.integers(1, 3)) // int(rng.integers(1, 3))
        semitone = int(scale[rng.integers(len(scale))]) + 12
        note(pos, length, root * 2 ** (semitone / 12), 0.5, 6, rng.uniform(2, 6))
        pos += max(length, beat // 2)
    for start in range(0, samples, 4 * beat):  # bass and a chord pad every bar
        degree = int(rng.choice([0, 5, 7, 9]))
        note(start, 4 * beat, root * 2 ** (degree / 12) / 2, 0.6, 3, 1.0)
        for third in (0, 4, 7):
            note(start, 4 * beat, root * 2 ** ((degree + third) / 12), 0.15, 2, 0.5)
    drum = rng.standard_normal(rate // 20) * np.exp(-np.arange(rate // 20) / (rate / 200))
    for start in range(0, samples - len(drum), beat):
        out[start : start + len(drum)] += 0.4 * drum
    return _normalise(out, peak)


def _normalise(audio: np.ndarray, peak: float) -> np.ndarray:
    top = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if top > 0:
        audio = audio * (peak / top)
    return audio.astype(np.float32)
