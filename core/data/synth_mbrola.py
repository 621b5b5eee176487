"""MBROLA diphone voices, spoken through the system's espeak-ng (Debian: `espeak-ng`, `mbrola`, `mbrola-us1`...).

MBROLA glues recorded diphones of a real speaker, so its voices sound closer to a recording than espeak's
formant synthesis. espeak-ng turns text into phonemes and prosody and hands them to the `mbrola` program.
The pip wheel's espeak-ng has no MBROLA voice files, so this engine loads the system library with its own
data; everything else (ctypes calls, state reset, prosody controls) is the espeak backend's.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import numpy as np

from core.data.synth_backends import (
    EspeakBackend,
    Speaker,
    distinct_speakers,
    formant_shift,
    register_backend,
)
from core.errors import SynthesisError

# espeak-ng voice name -> MBROLA database: American English female/male/male, British English male, and
# sixteen more real speakers whose diphones espeak-ng maps English onto (English with an Afrikaans,
# German, French, Greek, Hungarian, Dutch, Polish, Romanian or Swedish accent): every word said by 20
# recorded people instead of 4.
ACCENTED_DATABASES = [
    "af1",
    "de1",
    "de2",
    "de3",
    "de4",
    "de5",
    "de6",
    "fr1",
    "fr4",
    "gr2",
    "hu1",
    "nl2",
    "pl1",
    "ro1",
    "sw1",
    "sw2",
]
MBROLA_VOICES = {
    "mb-us1": "us1",
    "mb-us2": "us2",
    "mb-us3": "us3",
    "mb-en1": "en1",
    **{f"mb-{db}-en": db for db in ACCENTED_DATABASES},
}
MBROLA_DIR = Path("/usr/share/mbrola")
# Where Debian and Ubuntu keep the library and espeak-ng-data; the first that exists is used.
LIBRARY_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")
ESPEAK_DATA_DIRS = tuple(f"{d}/espeak-ng-data" for d in LIBRARY_DIRS) + ("/usr/share/espeak-ng-data",)
INSTALL = (
    "install espeak-ng and the MBROLA voices: `sudo apt-get install espeak-ng mbrola "
    + " ".join(f"mbrola-{db}" for db in MBROLA_VOICES.values())
    + "` (Debian: enable the contrib and non-free components; Ubuntu: multiverse)"
)


@register_backend("mbrola")
class MbrolaBackend(EspeakBackend):
    install_hint = INSTALL

    def find_library(self) -> tuple[str, str]:
        # By full path: the pip wheel's library has the same soname, and loading by bare name would
        # hand back that already-loaded copy (which has no MBROLA support) instead.
        library = next(
            (f"{d}/libespeak-ng.so.1" for d in LIBRARY_DIRS if Path(d, "libespeak-ng.so.1").is_file()), None
        )
        data = next((d for d in ESPEAK_DATA_DIRS if Path(d, "voices", "mb").is_dir()), None)
        if library is None or data is None:
            raise SynthesisError("MBROLA needs the system's espeak-ng, which is not installed", INSTALL)
        if shutil.which("mbrola") is None:
            raise SynthesisError("the mbrola program is not installed", INSTALL)
        missing = [db for db in MBROLA_VOICES.values() if not (MBROLA_DIR / db).exists()]
        if missing:
            raise SynthesisError(f"MBROLA voices {', '.join(missing)} are not installed", INSTALL)
        return library, data

    def speak(self, text: str, speaker: Speaker) -> np.ndarray:
        # espeak-ng starts the `mbrola` program on first use; it inherits stderr and prints a warning
        # for every diphone its database lacks. Keep stderr on /dev/null while it may start or speak.
        saved = os.dup(2)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 2)
                return super().speak(text, speaker)
        finally:
            os.dup2(saved, 2)
            os.close(saved)

    def sample_speakers(self, count: int, rng: random.Random) -> list[Speaker]:
        return distinct_speakers(
            count,
            lambda: Speaker(
                voice=rng.choice(list(MBROLA_VOICES)),
                pitch=rng.randrange(25, 76),
                speed=rng.randrange(130, 221),
                pitch_range=rng.randrange(20, 90),
                engine="mbrola",
                formant=formant_shift(rng, share=0.5),  # few real voices per accent: vary them more
            ),
        )
