"""The shared test helpers in tests/audio_factory.py do what other test areas rely on."""

from __future__ import annotations

import numpy as np

from core.audio.files import probe_audio, read_audio
from tests.audio_factory import make_dataset, noise, speak, tone, write_wav, write_word


def test_speak_gives_a_centred_one_second_word_and_repeats_exactly():
    audio = speak("stop")
    assert audio.dtype == np.float32 and audio.shape == (16000,)
    assert np.max(np.abs(audio)) > 0.05
    energy = audio.astype(np.float64) ** 2
    assert 5000 < np.sum(energy * np.arange(16000)) / energy.sum() < 11000
    assert np.array_equal(speak("stop"), audio)
    assert not np.array_equal(speak("go"), audio)
    assert len(speak("hello", clip=False)) != 16000
    assert speak("stop", rate=8000).shape == (8000,)


def test_odd_format_files_and_signals(tmp_path):
    path = write_wav(
        tmp_path / "x.wav", np.stack([tone(200), noise("pink")], 1), rate=22050, bits=24, extensible=True
    )
    info = probe_audio(path)
    assert (info.channels, info.sample_rate, info.bits) == (2, 22050, 24)
    assert abs(len(read_audio(path)) - 16000 * 16000 // 22050) <= 1  # the tones were made at 16 kHz length
    word = write_word(tmp_path / "w.wav", "go")
    assert probe_audio(word).frames == 16000


def test_make_dataset_builds_a_speech_commands_tree(tmp_path):
    root = make_dataset(tmp_path / "ds", {"stop": 4, "go": 2}, speakers=2, source="tone")
    assert sorted(p.name for p in (root / "stop").iterdir()) == [
        "spk000_nohash_0.wav", "spk000_nohash_1.wav", "spk001_nohash_0.wav", "spk001_nohash_1.wav",
    ]  # fmt: skip
    assert len(list((root / "_background_noise_").glob("*.wav"))) == 2
