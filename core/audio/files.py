"""Audio files in and out: any file libsndfile reads (WAV of every kind, FLAC, OGG, MP3, AIFF, ...) becomes
16 kHz mono float32; clips are written as 16-bit mono PCM WAV.

Decoding is libsndfile's, through soundfile. A WAV file's header is checked here first, because
libsndfile reads a truncated or inconsistent WAV without complaint (or with a vague "malformed" error),
and a clip cut off mid-recording should be reported as such. Every way a file can be unusable is an
`AudioError` that names the file and the reason, never a crash or silently wrong samples.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile

from core.audio.samples import SAMPLE_RATE, resample, to_int16
from core.errors import AudioError
from core.fileio import write_bytes_atomic

# What dataset folders and file pickers treat as audio.
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"})

# Format tags of the WAV fmt chunk (mmreg.h).
WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_FORMAT_NAMES = {0x0002: "MS ADPCM", 0x0006: "A-law", 0x0007: "mu-law", 0x0011: "IMA ADPCM", 0x0055: "MP3"}

# Limits past which a header is treated as corrupt rather than exotic.
MAX_CHANNELS = 64
MIN_RATE = 1000
MAX_RATE = 768_000

_HINT = "use a WAV (PCM or float samples), FLAC, OGG or MP3 file"


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file's header says."""

    path: Path
    container: str  # "WAV", "FLAC", "OGG", "MP3", ...
    format: str  # "pcm", "float", or the codec ("vorbis", "alaw", "mpeg_layer_iii", ...)
    channels: int
    sample_rate: int
    bits: int | None  # bits per sample for pcm and float, None for compressed codecs
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


def probe_audio(path: str | Path) -> AudioInfo:
    """Read and validate the header of an audio file without decoding its samples."""
    path = Path(path)
    _check_wav_header(path)
    try:
        info = soundfile.info(str(path))
    except soundfile.LibsndfileError as exc:
        raise _undecodable(path, exc) from None
    kind, bits = _sample_format(info.subtype)
    return AudioInfo(path, info.format, kind, info.channels, info.samplerate, bits, info.frames)


def read_audio(path: str | Path, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The samples of an audio file as mono float32 in [-1, 1] at `target_rate` Hz.

    Channels are averaged; other sample rates are resampled (core.audio.samples.resample).
    Raises AudioError (naming the file and the reason) for anything that is not usable audio.
    """
    path = Path(path)
    _check_wav_header(path)
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except soundfile.LibsndfileError as exc:
        raise _undecodable(path, exc) from None
    if not len(samples):
        raise AudioError(path, "no audio: the file holds no samples")
    if not np.all(np.isfinite(samples)):
        raise AudioError(path, "float samples contain NaN or infinity")
    audio = samples[:, 0] if samples.shape[1] == 1 else samples.mean(axis=1, dtype=np.float32)
    # Float files may exceed full scale; clip so every caller can rely on [-1, 1].
    audio = np.clip(audio, -1.0, 1.0)
    if rate != target_rate:
        audio = resample(audio, rate, target_rate)
    return audio


def write_wav(path: str | Path, audio: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write mono float audio in [-1, 1] (or int16) as a 16-bit PCM WAV, atomically."""
    samples = np.asarray(audio)
    if samples.ndim != 1:
        raise ValueError(f"write_wav expects mono audio (1-D), got shape {samples.shape}")
    write_bytes_atomic(Path(path), wav_bytes_int16(to_int16(samples), rate))


def wav_bytes_int16(samples: np.ndarray, rate: int) -> bytes:
    """A complete 16-bit mono PCM WAV file holding `samples` (int16). Written by hand: a 44-byte header
    is all it takes, and synthesis workers make thousands of these in memory."""
    data = samples.astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", WAVE_FORMAT_PCM, 1, rate, rate * 2, 2, 16)
    return b"".join(
        [
            b"RIFF",
            struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)),
            b"WAVE",
            b"fmt ",
            struct.pack("<I", len(fmt)),
            fmt,
            b"data",
            struct.pack("<I", len(data)),
            data,
        ]
    )


# --- errors ---------------------------------------------------------------------------------


def _undecodable(path: Path, exc: soundfile.LibsndfileError) -> AudioError:
    """The AudioError for a file libsndfile refuses (a WAV's header was already found sound)."""
    message = exc.error_string.rstrip(".")
    if message == "Format not recognised":
        return AudioError(path, "not a WAV file (no RIFF/WAVE header), nor FLAC, OGG or MP3", _HINT)
    tag = _wav_format_tag(path)
    if tag is not None and tag not in (WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT):
        name = _FORMAT_NAMES.get(tag, f"format tag 0x{tag:04x}")
        return AudioError(path, f"{name} encoding is not supported", _HINT)
    return AudioError(path, f"cannot be decoded ({message}): the file is damaged or cut off", _HINT)


def _sample_format(subtype: str) -> tuple[str, int | None]:
    if subtype.startswith("PCM_"):
        return "pcm", 8 if subtype in ("PCM_S8", "PCM_U8") else int(subtype[4:])
    if subtype in ("FLOAT", "DOUBLE"):
        return "float", 32 if subtype == "FLOAT" else 64
    return subtype.lower(), None


# --- WAV header check -----------------------------------------------------------------------


@dataclass(frozen=True)
class _WavHeader:
    tag: int  # format tag (the sub-format's for WAVE_FORMAT_EXTENSIBLE)
    channels: int
    rate: int
    bits: int
    block_align: int
    data_size: int


def _check_wav_header(path: Path) -> _WavHeader | None:
    """Validate a RIFF/WAVE file's chunks and fmt header; None for other files (libsndfile judges those)."""
    with _open(path) as file:
        size = os.fstat(file.fileno()).st_size
        if size == 0:
            raise AudioError(path, "empty file (0 bytes)", _HINT)
        head = file.read(12)
        if head[:4] != b"RIFF" and size >= 12:
            return None
        if len(head) < 12 or head[8:12] != b"WAVE":
            raise AudioError(path, "not a WAV file (no RIFF/WAVE header)", _HINT)
        fmt, data_size = _find_chunks(path, file, size)
    return _check_fmt(path, fmt, data_size)


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise AudioError(path, "no such file") from None
    except IsADirectoryError:
        raise AudioError(path, "is a directory, not an audio file") from None
    except OSError as exc:
        raise AudioError(path, f"cannot be read ({exc.strerror or exc})") from None


def _find_chunks(path: Path, file: BinaryIO, size: int) -> tuple[bytes, int]:
    """The fmt chunk's body and the data chunk's size, seeking over everything else."""
    fmt: bytes | None = None
    data_size: int | None = None
    pos = 12
    while pos + 8 <= size:
        file.seek(pos)
        chunk_id, chunk_size = struct.unpack("<4sI", file.read(8))
        body_end = pos + 8 + chunk_size
        if chunk_id == b"data":
            if body_end > size:
                raise AudioError(
                    path,
                    f"truncated: the data chunk says {chunk_size} bytes but only {size - pos - 8} follow",
                    "the file was cut off (interrupted copy or recording); record or copy it again",
                )
            data_size = chunk_size
        elif chunk_id == b"fmt ":
            if body_end > size:
                raise AudioError(path, "truncated inside the fmt chunk")
            fmt = file.read(chunk_size)
        if fmt is not None and data_size is not None:
            return fmt, data_size
        pos = body_end + (chunk_size & 1)  # chunks are padded to an even length
    if fmt is None:
        reason = "truncated: no fmt chunk" if data_size is None else "no fmt chunk before the end of the file"
        raise AudioError(path, reason, _HINT)
    raise AudioError(path, "truncated: no data chunk (the file holds no audio)")


def _check_fmt(path: Path, fmt: bytes, data_size: int) -> _WavHeader:
    if len(fmt) < 16:
        raise AudioError(path, f"fmt chunk is {len(fmt)} bytes, shorter than the 16 a WAV needs")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(fmt) < 40:
            raise AudioError(path, "WAVE_FORMAT_EXTENSIBLE header is shorter than 40 bytes")
        (tag,) = struct.unpack_from("<H", fmt, 24)  # the sub-format GUID starts with the ordinary tag
    if channels == 0 or channels > MAX_CHANNELS:
        raise AudioError(path, f"absurd header: {channels} channels")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(path, f"absurd header: sample rate {rate} Hz (expected {MIN_RATE}-{MAX_RATE} Hz)")
    if tag == WAVE_FORMAT_PCM and not 1 <= bits <= 32:
        raise AudioError(path, f"{bits}-bit PCM is not supported", _HINT)
    if tag == WAVE_FORMAT_IEEE_FLOAT and bits not in (32, 64):
        raise AudioError(path, f"{bits}-bit float samples are not supported", _HINT)
    # PCM samples sit in whole bytes (a 12-bit sample in 2); compressed codecs have their own blocks.
    if tag in (WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT) and block_align != channels * -(-bits // 8):
        raise AudioError(
            path,
            f"absurd header: block align {block_align} does not match {channels} x {bits}-bit samples",
        )
    if data_size == 0:
        raise AudioError(path, "no audio: the data chunk is empty")
    if block_align and data_size % block_align:
        # A data chunk that ends inside a frame was cut off mid-write.
        raise AudioError(
            path, f"truncated: data size {data_size} is not a whole number of {block_align}-byte frames"
        )
    return _WavHeader(tag, channels, rate, bits, block_align, data_size)


def _wav_format_tag(path: Path) -> int | None:
    """The format tag of a WAV file whose header passed the check, else None."""
    try:
        header = _check_wav_header(path)
    except AudioError:
        return None
    return None if header is None else header.tag
