"""Speaker variation after synthesis: Praat's "Change gender" (PSOLA), through praat-parselmouth.

It scales the formants (the resonances of the vocal tract) by a ratio while keeping pitch and timing,
which is what makes one engine voice sound like a larger or smaller person; it is the time-domain
counterpart of vocal-tract-length perturbation. PSOLA draws random numbers (for unvoiced stretches)
from Praat's global generator; it is seeded from the audio and ratio before each call, so the same
audio and ratio always give the same samples.
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np

from core.audio.samples import SAMPLE_RATE
from core.errors import SynthesisError

# Pitch search range of the PSOLA analysis (Hz): covers low male to high child voices.
PITCH_FLOOR, PITCH_CEILING = 75.0, 600.0


def shift_formants(audio: np.ndarray, ratio: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    """`audio` with its formants scaled by `ratio` (e.g. 0.85 = longer vocal tract), pitch and length kept."""
    if ratio == 1.0 or not len(audio):
        return audio
    try:
        import parselmouth
        from parselmouth.praat import call, run
    except ImportError:
        raise SynthesisError(
            "speaker variation needs Praat (the praat-parselmouth package is missing)",
            "install it with `pip install praat-parselmouth`",
        ) from None
    samples = np.asarray(audio, np.float64)
    sound = parselmouth.Sound(samples, sampling_frequency=rate)
    seed = zlib.crc32(samples.tobytes() + repr(float(ratio)).encode())
    run(f"random_initializeWithSeedUnsafelyButPredictably ({seed})")
    # Arguments: pitch floor, ceiling, formant shift ratio, new pitch median (0 = keep), pitch range factor, duration factor.
    with warnings.catch_warnings():  # "no voiced segments" for a whispered or unvoiced clip: kept as it is
        warnings.simplefilter("ignore")
        changed = call(sound, "Change gender", PITCH_FLOOR, PITCH_CEILING, float(ratio), 0.0, 1.0, 1.0)
    out = changed.values[0].astype(np.float32)
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    return out / peak * float(np.max(np.abs(audio))) if peak > 0 else out
