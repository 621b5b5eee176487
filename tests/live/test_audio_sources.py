"""One source interface for file, generated audio and microphone: what goes in comes out, in order."""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.audio.samples import to_int16
from core.audio.sources import ArraySource, FileSource
from core.errors import AudioError
from tests import audio_factory as af


def test_generated_audio_comes_out_whole_and_in_order_then_ends():
    audio = af.noise("white", 0.55, level=0.5)
    with ArraySource(audio, chunk_ms=100) as source:
        chunks = list(source)
        assert source.read() is None  # stays ended
    assert [len(c) for c in chunks] == [1600] * 5 + [800]
    assert all(c.dtype == np.int16 for c in chunks)
    assert np.array_equal(np.concatenate(chunks), to_int16(audio))


def test_a_wav_file_is_resampled_to_16k_mono(tmp_path):
    stereo_44k = af.tone(440, 0.5, rate=44100)
    path = af.write_wav(tmp_path / "stereo.wav", stereo_44k, rate=44100, channels=2)
    source = FileSource(path)
    source.start()
    audio = np.concatenate(list(source))
    assert abs(len(audio) - 8000) <= 1
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64)))
    assert abs(np.argmax(spectrum) * 16000 / len(audio) - 440) < 5  # still a 440 Hz tone


def test_a_bad_file_is_an_audio_error_before_anything_starts(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioError, match="notes.wav"):
        FileSource(bad)


def test_realtime_playback_takes_as_long_as_the_audio():
    source = ArraySource(af.silence(0.3), realtime=True, chunk_ms=50)
    start = time.monotonic()
    with source:
        total = sum(len(c) for c in source)
    assert total == 4800
    assert time.monotonic() - start >= 0.28  # never faster than a microphone would deliver it


def test_realtime_read_with_a_short_timeout_returns_an_empty_chunk_not_the_end():
    with ArraySource(af.silence(1.0), realtime=True, chunk_ms=500) as source:
        chunk = source.read(timeout=0.01)
        assert chunk is not None and chunk.size == 0


def test_looping_source_wraps_around():
    audio = np.arange(1000, dtype=np.int16)
    with ArraySource(audio, chunk_ms=40, loop=True) as source:  # 640-sample chunks
        got = np.concatenate([source.read() for _ in range(4)])
    assert np.array_equal(got, np.tile(audio, 3)[:2560])


def test_read_before_start_is_a_programming_error():
    with pytest.raises(RuntimeError, match="before start"):
        ArraySource(af.silence(0.1)).read()
