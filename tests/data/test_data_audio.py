"""Data item 1 — audio I/O: any WAV, FLAC, OGG or MP3 in, 16 kHz mono float32 out; bad files are clear AudioErrors."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile

from core.audio.files import probe_audio, read_audio, write_wav
from core.audio.samples import fit_clip, resample
from core.errors import AudioError, SynthesisError
from tests.audio_factory import riff, tone, wav_bytes
from tests.audio_factory import write_wav as write_test_wav

RAMP = np.linspace(-0.9, 0.9, 1600)


@pytest.mark.parametrize(
    "fmt, tolerance",
    [
        (dict(bits=8), 1 / 128),
        (dict(bits=16), 1 / 32768),
        (dict(bits=24), 1 / 2**23),
        (dict(bits=32), 1 / 2**31),
        (dict(bits=32, float_samples=True), 1e-7),
        (dict(bits=64, float_samples=True), 1e-7),
        (dict(bits=32, float_samples=True, extensible=True), 1e-7),
        (dict(bits=24, extensible=True), 1 / 2**23),
    ],
    ids=["pcm8", "pcm16", "pcm24", "pcm32", "float32", "float64", "float32-extensible", "pcm24-extensible"],
)
def test_every_sample_format_reads_to_the_same_float_samples(tmp_path, fmt, tolerance):
    path = write_test_wav(tmp_path / "ramp.wav", RAMP, **fmt)
    audio = read_audio(path)
    assert audio.dtype == np.float32 and audio.shape == RAMP.shape
    assert np.max(np.abs(audio - RAMP)) <= tolerance + 1e-7


def test_24_bit_negative_samples_are_sign_extended(tmp_path):
    data = bytes([0x00, 0x00, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])  # -2^23, -1, 2^23-1
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 48000, 3, 24)
    path = tmp_path / "s24.wav"
    path.write_bytes(riff([(b"fmt ", fmt), (b"data", data)]))
    assert read_audio(path).tolist() == pytest.approx([-1.0, -1 / 2**23, (2**23 - 1) / 2**23])


def test_8_bit_is_unsigned_with_128_as_zero(tmp_path):
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 16000, 1, 8)
    path = tmp_path / "u8.wav"
    path.write_bytes(riff([(b"fmt ", fmt), (b"data", bytes([0, 128, 255]))]))
    assert read_audio(path).tolist() == pytest.approx([-1.0, 0.0, 127 / 128])


def test_channels_are_averaged_to_mono(tmp_path):
    left = tone(440, 0.2)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    audio = read_audio(write_test_wav(tmp_path / "stereo.wav", stereo, bits=16))
    assert np.allclose(audio, left / 2, atol=1e-4)
    six = read_audio(
        write_test_wav(tmp_path / "six.wav", left, bits=32, float_samples=True, extensible=True, channels=6)
    )
    assert np.allclose(six, left, atol=1e-6)


def test_chunks_before_fmt_and_odd_sized_chunks_are_skipped(tmp_path):
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    samples = np.array([1000, -2000, 3000], dtype="<i2").tobytes()
    path = tmp_path / "chunks.wav"
    path.write_bytes(riff([(b"LIST", b"odd"), (b"fmt ", fmt), (b"junk", b"x" * 7), (b"data", samples)]))
    assert read_audio(path).tolist() == pytest.approx([1000 / 32768, -2000 / 32768, 3000 / 32768])


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000, 96000])
def test_other_rates_are_resampled_to_16k_keeping_pitch_and_level(tmp_path, rate):
    path = write_test_wav(tmp_path / f"tone{rate}.wav", tone(1000, 1.0, rate=rate), rate=rate, bits=24)
    audio = read_audio(path)
    assert len(audio) == 16000
    expected = tone(1000, 1.0)
    assert np.max(np.abs(audio[400:-400] - expected[400:-400])) < 2e-3


def test_resampling_removes_what_would_alias():
    # A 10 kHz tone cannot exist at 16 kHz; a naive decimator would fold it to 6 kHz.
    out = resample(tone(10000, 1.0, rate=44100), 44100, 16000)
    assert np.max(np.abs(out[400:-400])) < 1e-3


def test_target_rate_can_be_chosen(tmp_path):
    path = write_test_wav(tmp_path / "t.wav", tone(500, 0.5))
    assert len(read_audio(path, target_rate=8000)) == 4000


def test_probe_reports_the_header(tmp_path):
    path = write_test_wav(tmp_path / "p.wav", np.zeros((4410, 2)), rate=44100, bits=24)
    info = probe_audio(path)
    assert (info.format, info.channels, info.sample_rate, info.bits, info.frames) == (
        "pcm",
        2,
        44100,
        24,
        4410,
    )
    assert info.duration_s == pytest.approx(0.1)


def test_12_bit_pcm_reads_from_its_16_bit_containers(tmp_path):
    # WAV stores 12-bit samples left-justified in 2 bytes; they read like 16-bit ones.
    samples = (np.array([-2048, -1, 0, 2047], dtype="<i2") << 4).tobytes()
    path = tmp_path / "s12.wav"
    path.write_bytes(riff([(b"fmt ", _fmt(bits=12, block=2)), (b"data", samples)]))
    assert read_audio(path).tolist() == pytest.approx([-1.0, -16 / 32768, 0.0, 32752 / 32768])


# Written with soundfile: the compressed codecs cannot be packed by hand. Lossless ones must come back
# to within 16-bit rounding, lossy ones must keep the tone (its frequency and level).
LOSSLESS = {
    "flac16": ("FLAC", "PCM_16", ".flac", 1 / 32768),
    "flac24": ("FLAC", "PCM_24", ".flac", 1 / 2**23),
}
LOSSY = {
    "ogg-vorbis": ("OGG", "VORBIS", ".ogg"),
    "mp3": ("MP3", "MPEG_LAYER_III", ".mp3"),
    "wav-alaw": ("WAV", "ALAW", ".wav"),
    "wav-ulaw": ("WAV", "ULAW", ".wav"),
    "wav-ms-adpcm": ("WAV", "MS_ADPCM", ".wav"),
    "wav-ima-adpcm": ("WAV", "IMA_ADPCM", ".wav"),
}


@pytest.mark.parametrize("kind", sorted(LOSSLESS))
def test_flac_reads_to_the_same_float_samples(tmp_path, kind):
    container, subtype, suffix, tolerance = LOSSLESS[kind]
    path = tmp_path / f"ramp{suffix}"
    soundfile.write(path, RAMP, 16000, format=container, subtype=subtype)
    audio = read_audio(path)
    assert audio.dtype == np.float32 and audio.shape == RAMP.shape
    assert np.max(np.abs(audio - RAMP)) <= tolerance + 1e-7
    info = probe_audio(path)
    assert (info.container, info.format, info.channels, info.frames) == ("FLAC", "pcm", 1, len(RAMP))


@pytest.mark.parametrize("kind", sorted(LOSSY))
def test_compressed_files_keep_pitch_and_level(tmp_path, kind):
    container, subtype, suffix = LOSSY[kind]
    path = tmp_path / f"tone{suffix}"
    soundfile.write(path, tone(1000, 1.0), 16000, format=container, subtype=subtype)
    audio = read_audio(path)
    assert abs(len(audio) - 16000) < 400  # codecs pad to whole blocks
    spectrum = np.abs(np.fft.rfft(audio[:16000] * np.hanning(len(audio[:16000]))))
    assert np.argmax(spectrum) * 16000 / (2 * (len(spectrum) - 1)) == pytest.approx(1000, abs=2)
    rms = float(np.sqrt(np.mean(audio[1000:15000] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_stereo_44k_ogg_is_averaged_and_resampled(tmp_path):
    path = tmp_path / "stereo.ogg"
    left = tone(440, 1.0, rate=44100)
    soundfile.write(path, np.stack([left, left], axis=1), 44100, format="OGG", subtype="VORBIS")
    audio = read_audio(path)
    assert len(audio) == 16000
    assert float(np.sqrt(np.mean(audio[1000:15000] ** 2))) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_a_cut_off_flac_is_an_audio_error(tmp_path):
    path = tmp_path / "cut.flac"
    soundfile.write(path, tone(440, 1.0), 16000, format="FLAC")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(AudioError) as caught:
        read_audio(path)
    assert caught.value.path == path and "cannot be decoded" in caught.value.reason


def _fmt(tag=1, channels=1, rate=16000, bits=16, block=None):
    block = channels * bits // 8 if block is None else block
    return struct.pack("<HHIIHH", tag, channels, rate, (rate * max(block, 1)) & 0xFFFFFFFF, block, bits)


GOOD_DATA = np.zeros(100, dtype="<i2").tobytes()

BAD_FILES = {
    "zero-length": (b"", "empty file"),
    "text": (b"hello, this is not audio\n" * 4, "not a WAV file"),
    "mp3": (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" * 100, "not a WAV file"),
    "riff-only": (b"RIFF", "not a WAV file"),
    "header-only": (b"RIFF\x24\x00\x00\x00WAVE", "no fmt chunk"),
    "no-data-chunk": (riff([(b"fmt ", _fmt())]), "no data chunk"),
    "data-beyond-file": (
        riff([(b"fmt ", _fmt())]) + b"data" + struct.pack("<I", 32000) + GOOD_DATA,
        "truncated",
    ),
    "cut-mid-frame": (riff([(b"fmt ", _fmt()), (b"data", GOOD_DATA[:-1])]), "truncated"),
    "empty-data": (riff([(b"fmt ", _fmt()), (b"data", b"")]), "data chunk is empty"),
    "zero-channels": (riff([(b"fmt ", _fmt(channels=0, block=0)), (b"data", GOOD_DATA)]), "0 channels"),
    "huge-rate": (riff([(b"fmt ", _fmt(rate=4_000_000_000)), (b"data", GOOD_DATA)]), "sample rate"),
    "zero-rate": (riff([(b"fmt ", _fmt(rate=0)), (b"data", GOOD_DATA)]), "sample rate"),
    "block-align": (riff([(b"fmt ", _fmt(block=7)), (b"data", GOOD_DATA)]), "block align"),
    "40-bit": (riff([(b"fmt ", _fmt(bits=40, block=5)), (b"data", GOOD_DATA)]), "40-bit PCM"),
    "unknown-codec": (riff([(b"fmt ", _fmt(tag=0x1234)), (b"data", GOOD_DATA)]), "format tag 0x1234"),
    "short-fmt": (riff([(b"fmt ", b"\x01\x00\x01\x00"), (b"data", GOOD_DATA)]), "fmt chunk is 4 bytes"),
    "nan-float": (
        riff([(b"fmt ", _fmt(tag=3, bits=32)), (b"data", np.array([0.1, np.nan], "<f4").tobytes())]),
        "NaN",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_unusable_files_raise_an_audio_error_naming_file_and_reason(tmp_path, case):
    content, reason = BAD_FILES[case]
    path = tmp_path / f"{case}.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError) as caught:
        read_audio(path)
    assert str(path) in str(caught.value)
    assert reason in caught.value.reason
    assert caught.value.path == path


def test_a_good_file_cut_short_is_reported_truncated(tmp_path):
    whole = wav_bytes(tone(440, 0.5), bits=16)
    path = tmp_path / "cut.wav"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(AudioError, match="truncated"):
        read_audio(path)


def test_missing_file_and_directory_are_audio_errors(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        read_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="directory"):
        read_audio(tmp_path)


def test_write_wav_round_trips_as_16_bit_mono(tmp_path):
    audio = tone(300, 0.25, amplitude=0.8)
    path = tmp_path / "sub" / "out.wav"
    write_wav(path, audio)
    info = probe_audio(path)
    assert (info.format, info.channels, info.sample_rate, info.bits) == ("pcm", 1, 16000, 16)
    assert np.max(np.abs(read_audio(path) - audio)) < 1 / 16000
    assert [p.name for p in path.parent.iterdir()] == ["out.wav"]  # no temp file left behind


def test_write_wav_clips_out_of_range_and_refuses_stereo(tmp_path):
    write_wav(tmp_path / "loud.wav", np.array([2.0, -2.0], dtype=np.float32))
    assert read_audio(tmp_path / "loud.wav").tolist() == pytest.approx([32767 / 32768, -1.0])
    with pytest.raises(ValueError):
        write_wav(tmp_path / "st.wav", np.zeros((10, 2), dtype=np.float32))


def test_fit_clip_centres_short_audio_and_crops_long_audio_in_the_middle():
    short = fit_clip(np.ones(4, dtype=np.float32), 10)
    assert short.tolist() == [0, 0, 0, 1, 1, 1, 1, 0, 0, 0]
    long = fit_clip(np.arange(10, dtype=np.float32), 4)
    assert long.tolist() == [3, 4, 5, 6]
    same = np.arange(5, dtype=np.float32)
    assert fit_clip(same, 5).tolist() == same.tolist()


def test_audio_errors_survive_a_process_boundary():
    # Worker processes (synthesis, checks, feature extraction) send errors back pickled.
    error = pickle.loads(pickle.dumps(AudioError("/x/clip.wav", "truncated", "record it again")))
    assert (error.path, error.reason, error.hint) == (Path("/x/clip.wav"), "truncated", "record it again")
    other = pickle.loads(pickle.dumps(SynthesisError("no voice", "install espeak")))
    assert (other.message, other.hint) == ("no voice", "install espeak")
