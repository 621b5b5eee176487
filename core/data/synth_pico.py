"""SVOX Pico (the Android 2-era engine), from the `py-nanotts` wheel: American and British English.

Pico is a unit-selection/HMM engine with much smoother, more recording-like output than espeak's
formant synthesis; its British voice matters for users with a British accent. It has one voice per
language, so speakers differ by pitch, speed and a formant shift applied after synthesis.

Pico reads some of its working memory before writing it, and py-nanotts gets that memory from malloc,
so the same text could come out different depending on what the process did before (measured: after
espeak-ng had spoken, the same Pico clip changed). On glibc, large blocks are forced to fresh zeroed
mmap pages and small ones are filled with a fixed byte while Pico speaks, so a clip depends only on its
text and speaker (elsewhere Pico clips may differ slightly from run to run).
"""

from __future__ import annotations

import contextlib
import ctypes
import random
import sys
import threading
from collections.abc import Callable, Iterator

import numpy as np

from core.audio.samples import SAMPLE_RATE
from core.data.synth_backends import (
    Speaker,
    SpeechBackend,
    distinct_speakers,
    formant_shift,
    register_backend,
)
from core.errors import SynthesisError

PICO_VOICES = ("en-US", "en-GB")
PICO_RATE = 16000


@register_backend("pico")
class PicoBackend(SpeechBackend):
    def __init__(self) -> None:
        try:
            from py_nanotts import NanoTTS
        except ImportError:
            raise SynthesisError(
                "SVOX Pico is not installed (the py-nanotts package is missing)",
                "install it with `pip install py-nanotts`",
            ) from None
        self._tts = NanoTTS()
        self._fixed_malloc = False  # set on first use: only processes that speak change malloc's settings
        self._lock = threading.Lock()

    def speak(self, text: str, speaker: Speaker) -> np.ndarray:
        # Speaker.pitch is 0-99 with 50 = normal; Pico takes a factor 0.5-2.0. Speed is relative to 175 wpm.
        pitch = float(np.clip(2.0 ** ((speaker.pitch - 50) / 50), 0.5, 2.0))
        speed = float(np.clip(speaker.speed / 175, 0.2, 5.0))
        with self._lock, _predictable_malloc():
            if not self._fixed_malloc:
                _zeroed_large_allocations()
                self._fixed_malloc = True
            pcm = self._tts.speak(text, voice=speaker.voice, speed=speed, pitch=pitch, volume=0.5)
        audio = np.frombuffer(pcm, np.int16).astype(np.float32) / 32768.0
        if not len(audio) or np.max(np.abs(audio)) < 0.01:
            raise SynthesisError(
                f"pico produced no audible speech for {text!r}", "use a word with letters in it"
            )
        assert PICO_RATE == SAMPLE_RATE  # Pico speaks at 16 kHz: no resampling
        return audio

    def sample_speakers(self, count: int, rng: random.Random) -> list[Speaker]:
        return distinct_speakers(
            count,
            lambda: Speaker(
                voice=rng.choice(PICO_VOICES),
                pitch=rng.randrange(25, 76),
                speed=rng.randrange(130, 221),
                engine="pico",
                formant=formant_shift(rng, share=0.6),  # one voice per accent: vary it most
            ),
        )


_M_MMAP_THRESHOLD, _M_PERTURB = -3, -6  # glibc malloc.h
# glibc fills new blocks with this byte XOR 0xFF: 0xFF gives zeros, the same as Pico's first run on a
# fresh heap sees (other fill bytes made its uninitialised reads follow garbage pointers and crash).
_PERTURB_BYTE = 0xFF


def _mallopt() -> Callable[[int, int], int] | None:
    """glibc's mallopt, or None elsewhere (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        mallopt: Callable[[int, int], int] = ctypes.CDLL(None).mallopt
        return mallopt
    except (OSError, AttributeError):
        return None


def _zeroed_large_allocations() -> None:
    """Allocations of 1 MiB and more always come from mmap (zero-filled), never from reused heap."""
    mallopt = _mallopt()
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, 1 << 20)


@contextlib.contextmanager
def _predictable_malloc() -> Iterator[None]:
    """While Pico speaks, glibc fills new heap blocks with zeros instead of whatever was freed there
    before (M_PERTURB), so its uninitialised reads see the same bytes whatever ran earlier."""
    mallopt = _mallopt()
    if mallopt is not None:
        mallopt(_M_PERTURB, _PERTURB_BYTE)
    try:
        yield
    finally:
        if mallopt is not None:
            mallopt(_M_PERTURB, 0)
