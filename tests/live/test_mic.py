"""The microphone: the real PortAudio backend's failure paths (no such device, no library, busy device)
become MicrophoneErrors that say what to do; the ring buffer and the stream callback work on generated
audio through a stand-in for PortAudio's stream."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from core.audio import mic
from core.audio.mic import MicSource, RingBuffer, choose_device, list_input_devices
from core.errors import MicrophoneError

# --- the real PortAudio backend --------------------------------------------------------------


def test_a_device_index_that_does_not_exist_is_a_clear_error():
    with pytest.raises(MicrophoneError) as err:
        choose_device(987654)
    text = str(err.value)
    assert "987654" in text or "no microphone found" in text
    assert "hint" in text


def test_a_device_name_that_matches_nothing_is_a_clear_error():
    with pytest.raises(MicrophoneError) as err:
        MicSource(device="no such microphone 7f3a").start()
    assert "no such microphone 7f3a" in str(err.value) or "no microphone found" in str(err.value)


def test_no_input_device_at_all_says_to_plug_one_in():
    if list_input_devices():
        pytest.skip("this machine has a microphone; the no-device path is covered by the tests above")
    with pytest.raises(MicrophoneError, match="no microphone found") as err:
        MicSource().start()
    assert "plug in a microphone" in err.value.hint


def test_missing_portaudio_library_says_what_to_install():
    # A fresh interpreter in which the dynamic loader finds no PortAudio: sounddevice's import raises
    # OSError exactly as on a machine without libportaudio.
    code = textwrap.dedent(
        """
        import ctypes.util, sys
        ctypes.util.find_library = lambda name: None
        sys.modules.pop("sounddevice", None)
        from core.errors import MicrophoneError
        from core.audio.mic import list_input_devices
        try:
            list_input_devices()
        except MicrophoneError as exc:
            print("ERROR", exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "ERROR the PortAudio library could not be loaded" in result.stdout
    assert "portaudio" in result.stdout.lower() and "install" in result.stdout


def test_import_core_mic_does_not_load_portaudio():
    code = "import sys, core.audio.mic, core.audio.sources; print('sounddevice' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False"


# --- a stand-in PortAudio module drives the same MicSource code ---------------------------------


class _FakePortAudioError(Exception):
    pass


class _FakeStream:
    """Calls the callback from its own thread with blocks of `audio`, like PortAudio does."""

    def __init__(self, audio, error=None, **kwargs):
        if error:
            raise _FakePortAudioError(error)
        self.kwargs = kwargs
        self.audio = audio
        self.thread = None
        self.closed = False

    def start(self):
        def run():
            block = self.kwargs["blocksize"]
            for i in range(0, len(self.audio), block):
                chunk = self.audio[i : i + block][:, None]
                self.kwargs["callback"](chunk, len(chunk), None, None)

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def stop(self):
        self.thread.join()

    def close(self):
        self.closed = True


def _fake_sounddevice(audio=None, error=None):
    class Default:
        device = [1, 3]

    class FakeSd:
        PortAudioError = _FakePortAudioError
        default = Default()
        streams: list = []

        @staticmethod
        def query_devices():
            return [
                {"name": "HDMI out", "max_input_channels": 0, "default_samplerate": 48000.0},
                {"name": "USB Headset Mic", "max_input_channels": 1, "default_samplerate": 48000.0},
                {"name": "Webcam Microphone", "max_input_channels": 2, "default_samplerate": 16000.0},
            ]

        @classmethod
        def InputStream(cls, **kwargs):  # noqa: N802 — sounddevice's name
            stream = _FakeStream(audio, error, **kwargs)
            cls.streams.append(stream)
            return stream

    return FakeSd


def test_devices_are_listed_with_the_default_marked_and_chosen_by_index_or_name(monkeypatch):
    monkeypatch.setattr(mic, "load_sounddevice", lambda: _fake_sounddevice())
    devices = list_input_devices()
    assert [(d.index, d.is_default) for d in devices] == [(1, True), (2, False)]
    assert choose_device(None).name == "USB Headset Mic"
    assert choose_device("webcam").index == 2
    assert choose_device("2").index == 2
    with pytest.raises(MicrophoneError, match="index 0") as err:
        choose_device(0)  # an output-only device
    assert "USB Headset Mic" in err.value.hint


def test_a_busy_device_is_reported_as_busy(monkeypatch):
    error = "Error opening InputStream: Device unavailable [PaErrorCode -9985]"
    monkeypatch.setattr(mic, "load_sounddevice", lambda: _fake_sounddevice(error=error))
    with pytest.raises(MicrophoneError, match="is busy") as err:
        MicSource().start()
    assert "close other programs" in err.value.hint


def test_mic_stream_delivers_16k_mono_int16_from_the_callback(monkeypatch):
    audio = (np.sin(np.arange(16000) * 0.05) * 10000).astype(np.int16)
    fake = _fake_sounddevice(audio)
    monkeypatch.setattr(mic, "load_sounddevice", lambda: fake)
    source = MicSource(block_ms=20)
    with source:
        opened = fake.streams[0].kwargs
        assert (opened["samplerate"], opened["channels"], opened["dtype"], opened["device"]) == (
            16000,
            1,
            "int16",
            1,
        )
        got = []
        for _ in range(100):  # bounded: a stalled stream fails the test instead of hanging it
            if sum(map(len, got)) >= len(audio):
                break
            got.append(source.read(timeout=2.0))
    assert fake.streams[0].closed
    assert np.array_equal(np.concatenate(got), audio)
    assert source.samples_dropped == 0


# --- ring buffer ------------------------------------------------------------------------------


def test_ring_buffer_keeps_order_across_the_wrap():
    ring = RingBuffer(10)
    ring.write(np.arange(7))
    assert list(ring.read(5)) == [0, 1, 2, 3, 4]
    ring.write(np.arange(7, 14))  # wraps around the end of the storage
    assert list(ring.read()) == list(range(5, 14))
    assert ring.dropped == 0


def test_ring_buffer_overwrites_the_oldest_when_the_reader_falls_behind():
    ring = RingBuffer(8)
    ring.write(np.arange(6))
    ring.write(np.arange(6, 12))
    assert ring.dropped == 4
    assert list(ring.read()) == list(range(4, 12))
    ring.write(np.arange(20))  # a block larger than the buffer
    assert list(ring.read()) == list(range(12, 20)) and ring.dropped == 16


def test_ring_buffer_read_waits_for_a_writer_or_times_out():
    ring = RingBuffer(100)
    assert ring.read(timeout=0.01).size == 0
    threading.Timer(0.05, ring.write, args=(np.arange(3),)).start()
    assert list(ring.read(timeout=5.0)) == [0, 1, 2]
