"""Audio for tests, made by the tests: spoken words (espeak-ng), noise, tones and WAV files in odd formats.

Every test area imports these helpers; nothing here touches the network. The WAV writer is written
independently of `core.audio.files` (plain struct packing) so that reader tests do not check core against itself.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

RATE = 16000
_KSDATAFORMAT_SUFFIX = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


# --- signals ---------------------------------------------------------------------------------


def tone(freq_hz: float, seconds: float = 1.0, rate: int = RATE, amplitude: float = 0.5) -> np.ndarray:
    """A sine tone as float32."""
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def noise(color: str = "white", seconds: float = 1.0, rate: int = RATE, seed: int = 0, level: float = 0.3):
    """Coloured noise (white, pink, brown, blue, violet) as float32 with peak `level`."""
    from core.data.noise import make_noise

    return make_noise(color, int(round(seconds * rate)), np.random.default_rng(seed), peak=level)


def silence(seconds: float = 1.0, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(round(seconds * rate)), dtype=np.float32)


@lru_cache(maxsize=64)
def _spoken(word: str, voice: str, pitch: int, speed: int) -> np.ndarray:
    from core.data.synth_backends import Speaker, get_backend

    backend = get_backend("espeak")
    backend.reset()  # the same arguments give the same audio, whatever was spoken before
    return backend.speak(word, Speaker(voice=voice, pitch=pitch, speed=speed))


def speak(
    word: str, voice: str = "en-us", pitch: int = 50, speed: int = 160, clip: bool = True, rate: int = RATE
) -> np.ndarray:
    """`word` spoken by espeak-ng as float32 at `rate`; `clip=True` centres it in a 1 s clip (at 16 kHz)."""
    from core.audio.samples import fit_clip, resample

    audio = _spoken(word, voice, pitch, speed).copy()
    if clip:
        audio = fit_clip(audio, RATE)
    if rate != RATE:
        audio = resample(audio, RATE, rate)
    return audio


# --- WAV files -------------------------------------------------------------------------------


def wav_bytes(
    audio: np.ndarray,
    rate: int = RATE,
    bits: int = 16,
    float_samples: bool = False,
    extensible: bool = False,
    channels: int | None = None,
) -> bytes:
    """A WAV file of `audio` (float in [-1, 1]; shape [frames] or [frames, channels]) in the given format."""
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim == 1:
        audio = audio[:, None]
    if channels is not None and audio.shape[1] != channels:
        audio = np.repeat(audio[:, :1], channels, axis=1)
    nch = audio.shape[1]
    data = _encode(audio.reshape(-1), bits, float_samples)
    tag = 3 if float_samples else 1
    block = nch * bits // 8
    if extensible:
        mask = (1 << nch) - 1
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, nch, rate, rate * block, block, bits, 22, bits, mask)
        fmt += struct.pack("<H", tag) + _KSDATAFORMAT_SUFFIX
    else:
        fmt = struct.pack("<HHIIHH", tag, nch, rate, rate * block, block, bits)
    return riff([(b"fmt ", fmt), (b"data", data)])


def _encode(flat: np.ndarray, bits: int, float_samples: bool) -> bytes:
    if float_samples:
        return flat.astype("<f4" if bits == 32 else "<f8").tobytes()
    full = float(1 << (bits - 1))
    ints = np.clip(np.round(flat * full), -full, full - 1).astype(np.int64)
    if bits == 8:
        return (ints + 128).astype(np.uint8).tobytes()
    if bits == 16:
        return ints.astype("<i2").tobytes()
    if bits == 24:
        u = ints & 0xFFFFFF
        return np.stack([u & 0xFF, (u >> 8) & 0xFF, (u >> 16) & 0xFF], axis=1).astype(np.uint8).tobytes()
    return ints.astype("<i4").tobytes()


def riff(chunks: Iterable[tuple[bytes, bytes]], riff_size: int | None = None) -> bytes:
    """A RIFF/WAVE file from raw chunks (id, body); bodies are padded to even length as the format wants."""
    body = b"WAVE"
    for cid, data in chunks:
        body += cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    size = len(body) if riff_size is None else riff_size
    return b"RIFF" + struct.pack("<I", size) + body


def write_wav(path: str | Path, audio: np.ndarray, rate: int = RATE, **fmt) -> Path:
    """Write `audio` as a WAV file in any format `wav_bytes` knows; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(audio, rate, **fmt))
    return path


def write_word(path: str | Path, word: str, **speak_args) -> Path:
    """A 1 s 16 kHz 16-bit WAV of `word` spoken by espeak-ng."""
    return write_wav(path, speak(word, **speak_args))


def make_dataset(
    root: str | Path,
    words: dict[str, int],
    speakers: int = 4,
    background_seconds: float = 2.0,
    source: str = "speech",
) -> Path:
    """A small dataset in Speech Commands layout: `root/<word>/<speaker>_nohash_<i>.wav`.

    `words` maps folder name to clip count; clips cycle over `speakers` speaker ids. `source="speech"`
    speaks each word with espeak-ng (pitch varies by speaker); `source="tone"` writes quick tones instead.
    A `_background_noise_/` folder with white and pink noise is added when background_seconds > 0.
    """
    root = Path(root)
    for w_index, (word, count) in enumerate(sorted(words.items())):
        for i in range(count):
            spk = i % speakers
            name = f"spk{spk:03d}_nohash_{i // speakers}.wav"
            if source == "speech":
                audio = speak(word.replace("_", " "), pitch=30 + 10 * spk)
            else:
                audio = tone(300 + 150 * w_index + 5 * spk, 0.6)
            write_wav(root / word / name, audio)
    if background_seconds > 0:
        for color in ("white", "pink"):
            write_wav(root / "_background_noise_" / f"{color}_noise.wav", noise(color, background_seconds))
    return root
