"""The microphone through PortAudio (sounddevice): list devices, choose one, and stream 16 kHz mono
int16 audio into a ring buffer that `MicSource.read()` drains.

sounddevice is imported on first use only: it raises OSError at import when the PortAudio library is
missing, and that must become a MicrophoneError saying what to install, not a crash at `import core`.
Every PortAudio failure (no device, a busy device, an unsupported rate) is a MicrophoneError too.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.audio.samples import SAMPLE_RATE
from core.audio.sources import AudioSource
from core.errors import MicrophoneError

PLUG_IN_HINT = "plug in a microphone (or headset), check it is not muted, then list devices with `wakebench listen --list`"


def install_hint() -> str:
    if sys.platform == "darwin":
        return "install PortAudio: `brew install portaudio`, then `pip install --force-reinstall sounddevice`"
    if sys.platform.startswith("win"):
        return (
            "reinstall sounddevice (its wheel bundles PortAudio): `pip install --force-reinstall sounddevice`"
        )
    return "install PortAudio: `sudo apt install libportaudio2` (Debian/Ubuntu) or `sudo dnf install portaudio` (Fedora)"


def load_sounddevice() -> Any:
    """The sounddevice module, or MicrophoneError when the PortAudio library cannot be loaded."""
    try:
        import sounddevice  # lazy: loads PortAudio (and can fail without it)
    except OSError as exc:  # raised by sounddevice when libportaudio is missing
        raise MicrophoneError(f"the PortAudio library could not be loaded ({exc})", install_hint()) from None
    except ImportError as exc:
        raise MicrophoneError(
            f"the sounddevice package is not installed ({exc})", "`pip install sounddevice`"
        ) from None
    return sounddevice


@dataclass(frozen=True)
class InputDevice:
    """A device PortAudio can record from."""

    index: int
    name: str
    channels: int
    default_rate: float
    is_default: bool

    def describe(self) -> str:
        mark = "*" if self.is_default else " "
        return f"{mark} {self.index:>3}  {self.name}  ({self.channels} ch, {self.default_rate:.0f} Hz)"


def list_input_devices() -> list[InputDevice]:
    """Every device with at least one input channel; the default one is marked."""
    sd = load_sounddevice()
    try:
        devices = sd.query_devices()
        default_in = _default_input_index(sd)
    except sd.PortAudioError as exc:
        raise MicrophoneError(f"PortAudio cannot list audio devices ({exc})", PLUG_IN_HINT) from None
    return [
        InputDevice(
            i, d["name"], int(d["max_input_channels"]), float(d["default_samplerate"]), i == default_in
        )
        for i, d in enumerate(devices)
        if d["max_input_channels"] > 0
    ]


def _default_input_index(sd: Any) -> int:
    # sounddevice keeps an (input, output) pair; -1 means PortAudio has no default input.
    try:
        return int(sd.default.device[0])
    except (TypeError, IndexError):
        return int(sd.default.device)


def choose_device(spec: int | str | None = None) -> InputDevice:
    """The input device for `spec`: None = the default input, an int = that device index, a string = the
    first device whose name contains it (case-insensitive; a string of digits is an index)."""
    devices = list_input_devices()
    if not devices:
        raise MicrophoneError("no microphone found: PortAudio sees no audio input device", PLUG_IN_HINT)
    if isinstance(spec, str) and spec.strip().isdigit():
        spec = int(spec)
    if spec is None or spec == "":
        for d in devices:
            if d.is_default:
                return d
        return devices[0]
    available = "; ".join(f"{d.index}: {d.name}" for d in devices)
    if isinstance(spec, int):
        for d in devices:
            if d.index == spec:
                return d
        raise MicrophoneError(f"no input device with index {spec}", f"available inputs: {available}")
    wanted = spec.lower()
    for d in devices:
        if wanted in d.name.lower():
            return d
    raise MicrophoneError(f"no input device named like {spec!r}", f"available inputs: {available}")


class RingBuffer:
    """A fixed-size int16 buffer between the audio thread (writes) and the reader. When the reader falls
    behind, the oldest samples are overwritten and counted in `dropped` — the audio thread never waits."""

    def __init__(self, capacity: int) -> None:
        self._data = np.zeros(capacity, dtype=np.int16)
        self._start = 0  # index of the oldest unread sample
        self._size = 0
        self.dropped = 0
        self._cond = threading.Condition()

    @property
    def capacity(self) -> int:
        return len(self._data)

    def __len__(self) -> int:
        return self._size

    def write(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.int16).reshape(-1)
        cap = self.capacity
        with self._cond:
            if len(samples) > cap:
                self.dropped += len(samples) - cap
                samples = samples[-cap:]
            overflow = self._size + len(samples) - cap
            if overflow > 0:
                self.dropped += overflow
                self._start = (self._start + overflow) % cap
                self._size -= overflow
            end = (self._start + self._size) % cap
            first = min(len(samples), cap - end)
            self._data[end : end + first] = samples[:first]
            self._data[: len(samples) - first] = samples[first:]
            self._size += len(samples)
            self._cond.notify_all()

    def read(self, max_samples: int | None = None, timeout: float | None = None) -> np.ndarray:
        """Up to `max_samples` of the oldest unread samples; waits up to `timeout` s for at least one."""
        with self._cond:
            if not self._size:
                self._cond.wait_for(lambda: self._size > 0, timeout)
            n = self._size if max_samples is None else min(self._size, max_samples)
            idx = (self._start + np.arange(n)) % self.capacity
            out = self._data[idx].copy()
            self._start = (self._start + n) % self.capacity
            self._size -= n
            return out


class MicSource(AudioSource):
    """Live audio from a microphone: 16 kHz mono int16, `block_ms` blocks from PortAudio's thread into a
    ring buffer of `buffer_s` seconds that `read()` drains."""

    def __init__(self, device: int | str | None = None, block_ms: int = 20, buffer_s: float = 10.0) -> None:
        self.device_spec = device
        self.device: InputDevice | None = None
        self.block = SAMPLE_RATE * block_ms // 1000
        self.buffer = RingBuffer(int(SAMPLE_RATE * buffer_s))
        self.status_errors = 0  # PortAudio's own over/underflow reports
        self._stream: Any = None
        self.name = "microphone"

    @property
    def samples_dropped(self) -> int:
        return self.buffer.dropped

    def start(self) -> None:
        if self._stream is not None:
            return
        sd = load_sounddevice()
        self.device = choose_device(self.device_spec)
        self.name = f"microphone {self.device.index}: {self.device.name}"
        try:
            stream = sd.InputStream(
                device=self.device.index,
                channels=1,
                samplerate=SAMPLE_RATE,
                dtype="int16",
                blocksize=self.block,
                callback=self._callback,
            )
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise MicrophoneError(*_explain_open_error(self.device, exc)) from None
        self._stream = stream

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # PortAudio's thread: copy and return at once.
        if status:
            self.status_errors += 1
        self.buffer.write(indata[:, 0])

    def read(self, timeout: float | None = 1.0) -> np.ndarray | None:
        if self._stream is None:
            raise RuntimeError("MicSource.read() before start()")
        return self.buffer.read(timeout=timeout)

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()


def _explain_open_error(device: InputDevice, exc: Exception) -> tuple[str, str]:
    text = str(exc)
    lowered = text.lower()
    where = f"microphone {device.index} ({device.name})"
    if "unavailable" in lowered or "busy" in lowered or "-9985" in text:
        return (
            f"{where} is busy ({text})",
            "close other programs that record from it, or pick another device with --device",
        )
    if "sample rate" in lowered or "-9997" in text:
        return (
            f"{where} cannot record at {SAMPLE_RATE} Hz ({text})",
            "pick a device that resamples for you (e.g. 'default' or 'pulse') with --device",
        )
    return f"cannot open {where} ({text})", PLUG_IN_HINT


def play(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Play mono audio (float in [-1, 1] or int16) on the default output and wait until it ends."""
    sd = load_sounddevice()
    try:
        sd.play(np.asarray(audio), samplerate=sample_rate, blocking=True)
    except (sd.PortAudioError, ValueError) as exc:
        raise MicrophoneError(
            f"cannot play the take back ({exc})",
            "plug in headphones or speakers, or answer without listening",
        ) from None
