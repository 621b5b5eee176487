"""WAV files in and out: any PCM or float WAV becomes 16 kHz mono float32, and clips are written as
16-bit mono PCM.

The RIFF chunks are parsed here rather than with the `wave` module because `wave` cannot read
32-bit float or WAVE_FORMAT_EXTENSIBLE files. Every way a file can be unusable is an `AudioError`
that names the file and the reason, never a crash or silently wrong samples.
"""

from __future__ import annotations

import functools
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import AudioError

SAMPLE_RATE = 16000

# Format tags of the fmt chunk (mmreg.h).
WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_FORMAT_NAMES = {0x0002: "MS ADPCM", 0x0006: "A-law", 0x0007: "mu-law", 0x0011: "IMA ADPCM", 0x0055: "MP3"}

# Limits past which a header is treated as corrupt rather than exotic.
MAX_CHANNELS = 64
MIN_RATE = 1000
MAX_RATE = 768_000

_HINT = "use a WAV file with PCM (8/16/24/32-bit) or 32-bit float samples"


@dataclass(frozen=True)
class WavInfo:
    """What the fmt and data chunks of a WAV file say."""

    path: Path
    format: str  # "pcm" or "float"
    channels: int
    sample_rate: int
    bits: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


def probe_wav(path: str | Path) -> WavInfo:
    """Read and validate the header of a WAV file without decoding its samples."""
    info, _ = _parse(Path(path))
    return info


def read_wav(path: str | Path, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The samples of a WAV file as mono float32 in [-1, 1] at `target_rate` Hz.

    Channels are averaged; other sample rates are resampled with a windowed-sinc polyphase filter.
    Raises AudioError (naming the file and the reason) for anything that is not a usable WAV.
    """
    path = Path(path)
    info, payload = _parse(path)
    audio = _decode(path, info, payload)
    if info.sample_rate != target_rate:
        audio = resample(audio, info.sample_rate, target_rate)
    return audio


def write_wav(path: str | Path, audio: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write mono float audio in [-1, 1] (or int16) as a 16-bit PCM WAV, atomically."""
    from core.fileio import write_bytes_atomic

    samples = np.asarray(audio)
    if samples.ndim != 1:
        raise ValueError(f"write_wav expects mono audio (1-D), got shape {samples.shape}")
    write_bytes_atomic(Path(path), wav_bytes_int16(to_int16(samples), rate))


def to_int16(audio: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] (or int16) to int16 PCM, clipped, as the board's microphone delivers it."""
    audio = np.asarray(audio)
    if audio.dtype == np.int16:
        return audio
    return np.clip(np.round(audio.astype(np.float32) * 32767.0), -32768, 32767).astype(np.int16)


def wav_bytes_int16(samples: np.ndarray, rate: int) -> bytes:
    """A complete 16-bit mono PCM WAV file holding `samples` (int16)."""
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


def fit_clip(audio: np.ndarray, samples: int) -> np.ndarray:
    """Centre `audio` in exactly `samples` samples: zero-pad both sides or crop the middle."""
    audio = np.asarray(audio, dtype=np.float32)
    n = len(audio)
    if n == samples:
        return audio
    if n > samples:
        start = (n - samples) // 2
        return audio[start : start + samples].copy()
    out = np.zeros(samples, dtype=np.float32)
    start = (samples - n) // 2
    out[start : start + n] = audio
    return out


# --- parsing ---------------------------------------------------------------------------------


def _parse(path: Path) -> tuple[WavInfo, memoryview]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AudioError(path, "no such file") from None
    except IsADirectoryError:
        raise AudioError(path, "is a directory, not a WAV file") from None
    except OSError as exc:
        raise AudioError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not raw:
        raise AudioError(path, "empty file (0 bytes)", _HINT)
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        if raw[:4] == b"RF64":
            raise AudioError(path, "RF64 (WAV over 4 GB) is not supported", _HINT)
        raise AudioError(path, "not a WAV file (no RIFF/WAVE header)", _HINT)
    view = memoryview(raw)
    fmt: bytes | None = None
    data: memoryview | None = None
    pos = 12
    while pos + 8 <= len(raw):
        chunk_id = bytes(view[pos : pos + 4])
        (size,) = struct.unpack_from("<I", raw, pos + 4)
        body_start = pos + 8
        body_end = body_start + size
        if chunk_id == b"data":
            if body_end > len(raw):
                raise AudioError(
                    path,
                    f"truncated: the data chunk says {size} bytes but only {len(raw) - body_start} follow",
                    "the file was cut off (interrupted copy or recording); record or copy it again",
                )
            data = view[body_start:body_end]
        elif chunk_id == b"fmt ":
            if body_end > len(raw):
                raise AudioError(path, "truncated inside the fmt chunk")
            fmt = bytes(view[body_start:body_end])
        if fmt is not None and data is not None:
            break
        pos = body_end + (size & 1)  # chunks are padded to an even length
    if fmt is None:
        reason = "truncated: no fmt chunk" if data is None else "no fmt chunk before the end of the file"
        raise AudioError(path, reason, _HINT)
    if data is None:
        raise AudioError(path, "truncated: no data chunk (the file holds no audio)")
    info = _parse_fmt(path, fmt, len(data))
    return info, data


def _parse_fmt(path: Path, fmt: bytes, data_size: int) -> WavInfo:
    if len(fmt) < 16:
        raise AudioError(path, f"fmt chunk is {len(fmt)} bytes, shorter than the 16 a WAV needs")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(fmt) < 40:
            raise AudioError(path, "WAVE_FORMAT_EXTENSIBLE header is shorter than 40 bytes")
        # The sub-format GUID starts with the ordinary format tag.
        (tag,) = struct.unpack_from("<H", fmt, 24)
    if tag == WAVE_FORMAT_PCM:
        kind = "pcm"
        if bits not in (8, 16, 24, 32):
            raise AudioError(path, f"{bits}-bit PCM is not supported", _HINT)
    elif tag == WAVE_FORMAT_IEEE_FLOAT:
        kind = "float"
        if bits not in (32, 64):
            raise AudioError(path, f"{bits}-bit float samples are not supported", _HINT)
    else:
        name = _FORMAT_NAMES.get(tag, f"format tag 0x{tag:04x}")
        raise AudioError(path, f"{name} encoding is not supported", _HINT)
    if channels == 0 or channels > MAX_CHANNELS:
        raise AudioError(path, f"absurd header: {channels} channels")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(path, f"absurd header: sample rate {rate} Hz (expected {MIN_RATE}-{MAX_RATE} Hz)")
    if block_align != channels * bits // 8:
        raise AudioError(
            path, f"absurd header: block align {block_align} does not match {channels} x {bits}-bit samples"
        )
    if data_size == 0:
        raise AudioError(path, "no audio: the data chunk is empty")
    if data_size % block_align:
        # A data chunk that ends inside a frame was cut off mid-write.
        raise AudioError(
            path, f"truncated: data size {data_size} is not a whole number of {block_align}-byte frames"
        )
    return WavInfo(path, kind, channels, rate, bits, data_size // block_align)


def _decode(path: Path, info: WavInfo, payload: memoryview) -> np.ndarray:
    if info.format == "float":
        samples = np.frombuffer(payload, dtype="<f4" if info.bits == 32 else "<f8").astype(np.float32)
        if not np.all(np.isfinite(samples)):
            raise AudioError(path, "float samples contain NaN or infinity")
    elif info.bits == 8:
        samples = (np.frombuffer(payload, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif info.bits == 16:
        samples = np.frombuffer(payload, dtype="<i2").astype(np.float32) / 32768.0
    elif info.bits == 24:
        b = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        samples = value.astype(np.float32) / float(1 << 23)
    else:
        samples = (np.frombuffer(payload, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(np.float32)
    if info.channels > 1:
        samples = samples.reshape(-1, info.channels).mean(axis=1, dtype=np.float32)
    # Float WAVs may exceed full scale; clip so every caller can rely on [-1, 1].
    return np.clip(samples, -1.0, 1.0).astype(np.float32, copy=False)


# --- resampling ------------------------------------------------------------------------------

_ZERO_CROSSINGS = 16  # filter half-length in zero crossings of the lower Nyquist
_KAISER_BETA = 8.6  # about 80 dB stop-band attenuation
_ROLLOFF = 0.94  # cutoff as a fraction of the lower Nyquist frequency, leaves room for the transition band
_BLOCK = 1 << 15  # output samples computed per vectorised block (bounds memory on long files)


def resample(audio: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited rational resampling (Kaiser-windowed sinc, polyphase form) of mono float audio."""
    audio = np.asarray(audio, dtype=np.float64)
    g = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // g, src_rate // g
    if up == down:
        return audio.astype(np.float32)
    table, half = _polyphase_table(up, down)
    k = table.shape[1]
    n_in = len(audio)
    n_out = -(-n_in * up // down)
    # Zero padding on both sides lets every window be a plain slice of the input.
    padded = np.concatenate([np.zeros(k), audio, np.zeros(k)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, k)
    out = np.empty(n_out, dtype=np.float64)
    for start in range(0, n_out, _BLOCK):
        m = np.arange(start, min(start + _BLOCK, n_out), dtype=np.int64)
        centre = m * down  # output m sits at input position centre/up
        first = -((half - centre) // up)  # first input sample under the filter: ceil((centre - half) / up)
        phase = first * up + half - centre  # in [0, up): which filter phase applies
        out[start : start + len(m)] = np.einsum("ij,ij->i", windows[first + k], table[phase])
    return out.astype(np.float32)


@functools.lru_cache(maxsize=16)
def _polyphase_table(up: int, down: int) -> tuple[np.ndarray, int]:
    """Filter taps per phase: row p holds the taps that meet input samples first, first+1, ... for phase p."""
    # The filter runs on the virtual up-sampled grid (rate src*up); it must cut at the lower Nyquist.
    factor = max(up, down)
    half = _ZERO_CROSSINGS * factor
    taps = np.arange(-half, half + 1, dtype=np.float64)
    cutoff = _ROLLOFF / factor
    h = cutoff * np.sinc(cutoff * taps) * np.kaiser(2 * half + 1, _KAISER_BETA) * up
    k = 2 * half // up + 1
    # Input sample first+j meets tap h[centre - (first+j)*up + half] = h[2*half - phase - j*up].
    index = 2 * half - np.arange(up)[:, None] - np.arange(k)[None, :] * up
    table = np.where((index >= 0) & (index <= 2 * half), h[np.clip(index, 0, 2 * half)], 0.0)
    return table, half
