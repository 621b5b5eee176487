"""Speech synthesisers behind one small interface, so more engines and voices can be added.

A backend turns (text, Speaker) into 16 kHz mono float32 audio and knows how to pick distinct
synthetic speakers. Register a new engine with `@register_backend("name")`; `get_backend(name)`
returns one instance per process (engines such as espeak-ng keep global state). Engines in other
modules are imported only when first asked for (`_ENGINE_MODULES`), so an engine that is not
installed costs nothing until it is used, and then fails with a SynthesisError saying what to install.

Engines here: espeak-ng (this module, from the `espeakng-loader` wheel via ctypes), SVOX Pico
(core.data.synth_pico), MBROLA diphone voices through Debian's espeak-ng (core.data.synth_mbrola),
Kokoro-82M's neural voices (core.data.synth_kokoro) and Piper's neural voice (core.data.synth_piper).
Festival, Flite and voices built on the CMU ARCTIC recordings are deliberately not here: they are kept
for independent checks and must never be trained on.
"""

from __future__ import annotations

import _ctypes
import ctypes
import importlib
import random
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.audio.samples import SAMPLE_RATE, resample
from core.errors import SynthesisError


@dataclass(frozen=True)
class Speaker:
    """One synthetic voice: an engine voice, a variant (timbre), and prosody.

    `pitch` is 0-99 (50 = the voice's normal pitch), `speed` is words per minute, `pitch_range` 0-99
    (how much the intonation moves). Backends map these onto their own controls.
    """

    voice: str
    variant: str = ""
    pitch: int = 50
    speed: int = 175
    pitch_range: int = 50
    engine: str = "espeak"
    # Formant shift applied after synthesis (core.data.voice_transform; 1.0 = none): a longer or
    # shorter vocal tract, i.e. another-sounding speaker made from the same engine voice.
    formant: float = 1.0

    @property
    def id(self) -> str:
        """A file-name-safe speaker id, used before `_nohash_` so the split is by speaker."""
        variant = f"-{self.variant}" if self.variant else ""
        formant = f"-f{self.formant:.2f}" if self.formant != 1.0 else ""
        engine = "" if self.engine == "espeak" else f"{self.engine}-"
        raw = f"{engine}{self.voice}{variant}-p{self.pitch}-s{self.speed}{formant}"
        return "".join(c if c.isalnum() or c in "-." else "-" for c in raw.lower())


class SpeechBackend(ABC):
    """What the dataset synthesiser needs from a speech engine."""

    name: str = ""
    # Whether the engine also says the long everyday sentences of the negatives (False for an engine
    # too slow for them within the first-time data budget; the other engines say them).
    says_sentences: bool = True

    @abstractmethod
    def speak(self, text: str, speaker: Speaker) -> np.ndarray:
        """`text` spoken by `speaker`: 16 kHz mono float32 in [-1, 1], silence around it not trimmed."""

    @abstractmethod
    def sample_speakers(self, count: int, rng: random.Random) -> list[Speaker]:
        """`count` distinct speakers, deterministic for the state of `rng`."""

    def reset(self) -> None:  # noqa: B027 - an optional hook: engines without hidden state need nothing
        """Forget any state left by earlier utterances (called before each batch of clips)."""


_FACTORIES: dict[str, Callable[[], SpeechBackend]] = {}
_INSTANCES: dict[str, SpeechBackend] = {}
_INSTANCE_LOCK = threading.Lock()
# Engines registered by modules of their own, imported on first use.
_ENGINE_MODULES = {
    "pico": "core.data.synth_pico",
    "mbrola": "core.data.synth_mbrola",
    "piper": "core.data.synth_piper",
    "kokoro": "core.data.synth_kokoro",
}

# The engines of the default training set, with the share of speakers each gets. Espeak has the most
# accents and timbres, Pico's en-GB/en-US and the MBROLA diphone voices (20 recorded speakers) sound
# more like recordings, so MBROLA gets the biggest share. Kokoro's neural voices render ~50x slower
# than the others, so they get the share the 5-minute first-time budget allows. At that 12 % the
# held-out engine's "go" was found far more often (top label 65 % -> 98 %), its "stop" not (0 -> 3 %);
# with ~20 % of the clips from Kokoro, "stop" at a 0.5 score went 22 % -> 67-71 % (two seeds).
DEFAULT_ENGINES = {"espeak": 0.31, "pico": 0.17, "mbrola": 0.4, "kokoro": 0.12}
# Never in the default training set: its clips are the "speech engine the training never heard" of
# the accuracy checks (issue 13, item 7). Piper's neural voice is also the most human-sounding one.
HELD_OUT_ENGINE = "piper"


def register_backend(name: str) -> Callable[[type[SpeechBackend]], type[SpeechBackend]]:
    """Class decorator: make a backend available under `name`."""

    def add(cls: type[SpeechBackend]) -> type[SpeechBackend]:
        cls.name = name
        _FACTORIES[name] = cls
        return cls

    return add


def backend_names() -> list[str]:
    return sorted(set(_FACTORIES) | set(_ENGINE_MODULES))


def get_backend(name: str = "espeak") -> SpeechBackend:
    """The backend registered as `name` (one instance per process)."""
    with _INSTANCE_LOCK:
        if name not in _INSTANCES:
            if name not in _FACTORIES and name in _ENGINE_MODULES:
                importlib.import_module(_ENGINE_MODULES[name])
            if name not in _FACTORIES:
                raise SynthesisError(
                    f"unknown speech backend {name!r}", f"available backends: {', '.join(backend_names())}"
                )
            _INSTANCES[name] = _FACTORIES[name]()
        return _INSTANCES[name]


# --- espeak-ng ------------------------------------------------------------------------------

# Constants of speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE, _PARAM_PITCH, _PARAM_RANGE = 1, 3, 4

# English voices of espeak-ng (accents): US, British RP, Scottish, Caribbean, Lancastrian, West Midlands, NYC.
ESPEAK_VOICES = (
    "en-us",
    "en",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-029",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-us-nyc",
)
# Voice variants (timbres) that sound like people; the robotic and effect variants are left out.
ESPEAK_VARIANTS = (
    "", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
    "Alex", "Alicia", "Andrea", "Andy", "Annie", "Denis", "Diogo", "Gene", "Henrique", "Hugo", "Jacky", "Lee",
    "Marco", "Mario", "Michael", "Mike", "Nguyen", "Reed", "Storm", "adam", "anika", "announcer", "antonio",
    "aunty", "belinda", "benjamin", "boris", "caleb", "david", "ed", "edward", "grandma", "grandpa", "gustave",
    "ian", "iven", "iven2", "john", "kaukovalta", "linda", "marcelo", "max", "michel", "miguel", "norbert",
    "pablo", "paul", "pedro", "quincy", "rob", "robert", "sandro", "shelby", "steph", "travis", "victor", "zac",
    "klatt", "klatt2", "klatt3", "whisper", "whisperf",
)  # fmt: skip

# Unloading a shared library (POSIX dlclose, Windows FreeLibrary) resets its static state.
_dlclose = getattr(_ctypes, "dlclose", None) or getattr(_ctypes, "FreeLibrary", None)


def _find_srand() -> Any:
    """libc's srand: espeak-ng's Klatt voices draw breath noise from libc rand()."""
    try:
        return ctypes.CDLL(None).srand
    except (OSError, AttributeError, TypeError):
        try:
            return ctypes.cdll.msvcrt.srand
        except (OSError, AttributeError):
            return None


_srand = _find_srand()
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


@register_backend("espeak")
class EspeakBackend(SpeechBackend):
    """espeak-ng through ctypes, from the `espeakng-loader` wheel (library + voice data).

    espeak-ng keeps hidden state between utterances (e.g. a pitch-flutter phase), so the same text
    comes out slightly different depending on what was spoken before. `reset()` unloads and loads the
    library again, which clears that state; the dataset builder calls it at the start of every task,
    so a clip depends only on its task, never on which process ran what before. libc's rand() (the
    Klatt voices' breath noise) is seeded from the text and speaker on every utterance.
    """

    install_hint = "reinstall espeakng-loader"

    def __init__(self) -> None:
        self._library_path, self._data_path = self.find_library()
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept on self so ctypes does not free it
        self._lock = threading.Lock()  # espeak-ng has one global synthesiser per process
        self._lib: ctypes.CDLL | None = None
        self._voice = ""
        self._load()

    def find_library(self) -> tuple[str, str]:
        """(shared library, espeak-ng-data folder) of the espeak-ng to load."""
        try:
            import espeakng_loader
        except ImportError:
            raise SynthesisError(
                "espeak-ng is not installed (the espeakng-loader package is missing)",
                "install it with `pip install espeakng-loader`",
            ) from None
        try:
            return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as exc:
            raise SynthesisError(f"cannot find espeak-ng: {exc}", self.install_hint) from None

    def _load(self) -> None:
        try:
            lib = ctypes.CDLL(self._library_path)
        except OSError as exc:
            raise SynthesisError(f"cannot load espeak-ng: {exc}", self.install_hint) from None
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        self.native_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self._data_path.encode(), 0)
        if self.native_rate <= 0:
            raise SynthesisError(f"espeak-ng failed to start (data {self._data_path})", self.install_hint)
        lib.espeak_SetSynthCallback(self._callback)
        self._has_rate = hasattr(lib, "espeak_ng_GetSampleRate")
        self._rate = self.native_rate
        self._lib = lib

    def reset(self) -> None:
        """Unload and load the library again: a fresh synthesiser state."""
        with self._lock:
            assert self._lib is not None
            self._lib.espeak_Terminate()
            if _dlclose is not None:
                _dlclose(self._lib._handle)
            self._lib = None
            self._voice = ""
            self._load()

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if count > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # 0 = carry on

    def _set_voice(self, lib: ctypes.CDLL, voice: str) -> int:
        return lib.espeak_SetVoiceByName(voice.encode())

    def speak(self, text: str, speaker: Speaker) -> np.ndarray:
        voice = speaker.voice + (f"+{speaker.variant}" if speaker.variant else "")
        encoded = text.encode("utf-8") + b"\0"
        with self._lock:
            if _srand is not None:
                _srand(zlib.crc32(f"{text}|{speaker}".encode()))
            lib = self._lib
            assert lib is not None
            if voice != self._voice:
                if self._set_voice(lib, voice) != 0:
                    raise SynthesisError(f"{self.name} has no voice {voice!r}", self.install_hint)
                self._voice = voice
                # MBROLA voices bring their own rate (16 kHz) instead of espeak's 22.05 kHz.
                self._rate = lib.espeak_ng_GetSampleRate() if self._has_rate else self.native_rate
            lib.espeak_SetParameter(_PARAM_RATE, int(np.clip(speaker.speed, 80, 450)), 0)
            lib.espeak_SetParameter(_PARAM_PITCH, int(np.clip(speaker.pitch, 0, 99)), 0)
            lib.espeak_SetParameter(_PARAM_RANGE, int(np.clip(speaker.pitch_range, 0, 99)), 0)
            self._chunks = []
            status = lib.espeak_Synth(encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if status != 0:
            raise SynthesisError(f"{self.name} failed to speak {text!r} (status {status})")
        audio = np.concatenate(chunks).astype(np.float32) / 32768.0 if chunks else np.zeros(0, np.float32)
        if not len(audio) or np.max(np.abs(audio)) < 0.01:
            raise SynthesisError(
                f"{self.name} produced no audible speech for {text!r}", "use a word with letters in it"
            )
        return resample(audio, self._rate, SAMPLE_RATE)

    def sample_speakers(self, count: int, rng: random.Random) -> list[Speaker]:
        return distinct_speakers(
            count,
            lambda: Speaker(
                voice=rng.choice(ESPEAK_VOICES),
                variant=rng.choice(ESPEAK_VARIANTS),
                pitch=rng.randrange(20, 81),
                speed=rng.randrange(120, 231),
                pitch_range=rng.randrange(20, 90),
                formant=formant_shift(rng, share=0.3),
            ),
        )


def formant_shift(rng: random.Random, share: float) -> float:
    """A formant shift for a `share` of speakers (0.82-1.22, two decimals), 1.0 (none) for the rest.
    Below 1 sounds like a longer vocal tract (larger, lower voice), above 1 like a shorter one."""
    if rng.random() >= share:
        return 1.0
    return round(rng.choice([rng.uniform(0.82, 0.95), rng.uniform(1.05, 1.22)]), 2)


def distinct_speakers(count: int, make: Callable[[], Speaker]) -> list[Speaker]:
    """Up to `count` speakers with distinct ids, drawn from `make` (fewer if it keeps repeating)."""
    speakers: dict[str, Speaker] = {}
    for _ in range(count * 50):
        if len(speakers) == count:
            break
        speaker = make()
        speakers.setdefault(speaker.id, speaker)
    return list(speakers.values())
