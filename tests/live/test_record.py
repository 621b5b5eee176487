"""Own voice: the word is found and centred in a 1 s clip, takes are saved in the Speech Commands layout
without ever overwriting one, and the dataset index picks them up with the recording weight."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio import record
from core.audio.files import read_audio
from core.audio.record import Recorder, count_recordings, find_word, save_take, trim_take
from core.audio.sources import ArraySource
from core.config import DataSettings, ProjectConfig
from core.data.dataset import build_index
from core.errors import ConfigError
from tests import audio_factory as af


def _word_at(offset_s: float, word: str = "seven", total_s: float = 3.0, noise_level: float = 0.01):
    spoken = af.speak(word, clip=False) * 0.7
    audio = af.noise("pink", total_s, level=noise_level, seed=4)
    start = int(offset_s * 16000)
    audio[start : start + len(spoken)] += spoken
    return audio, start, start + len(spoken)


def _energy_centre(clip: np.ndarray) -> float:
    power = clip.astype(np.float64) ** 2
    return float((np.arange(len(clip)) * power).sum() / power.sum())


@pytest.mark.parametrize("offset_s", [0.2, 1.3, 2.2])
def test_the_word_is_centred_in_a_one_second_clip(offset_s):
    audio, start, end = _word_at(offset_s)
    take = trim_take(audio)
    assert take.heard and len(take.clip) == 16000
    # The word found overlaps the word placed there, and sits in the middle of the clip.
    assert take.word_start < end and take.word_end > start
    assert abs(_energy_centre(take.clip) - 8000) < 0.1 * 16000
    # Nearly all of the word's energy made it into the clip.
    spoken_energy = float(np.sum(audio[start:end].astype(np.float64) ** 2))
    assert float(np.sum(take.clip.astype(np.float64) ** 2)) > 0.9 * spoken_energy


def test_noise_or_silence_alone_is_not_a_word():
    assert find_word(af.noise("pink", 2.0, level=0.2, seed=9)) is None
    assert find_word(af.silence(2.0)) is None
    assert not trim_take(af.noise("white", 2.0, level=0.05)).heard


def test_a_word_longer_than_the_clip_is_flagged():
    long_phrase = af.speak("a very long utterance indeed", clip=False, speed=110)
    audio = np.concatenate([af.silence(0.3), long_phrase * 0.7, af.silence(0.3)])
    audio += af.noise("white", len(audio) / 16000, level=0.003)[: len(audio)]
    take = trim_take(audio)
    assert take.heard and take.too_long and take.word_seconds > 1.0


def test_takes_are_numbered_on_and_never_overwrite(tmp_path, monkeypatch):
    clip = af.tone(440, 1.0, amplitude=0.3)
    first = save_take(clip, tmp_path, "seth", "alice")
    second = save_take(clip, tmp_path, "seth", "alice")
    other = save_take(clip, tmp_path, "seth", "bob")
    assert (first.name, second.name, other.name) == (
        "alice_nohash_0.wav",
        "alice_nohash_1.wav",
        "bob_nohash_0.wav",
    )
    # Someone else writes the next name between our look and our write: we move on, their file stays.
    before = first.read_bytes()
    monkeypatch.setattr(record, "take_numbers", lambda folder, speaker: [])
    third = save_take(af.tone(880, 1.0), tmp_path, "seth", "alice")
    assert third.name == "alice_nohash_2.wav"
    assert first.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "seth").iterdir()) == [
        "alice_nohash_0.wav",
        "alice_nohash_1.wav",
        "alice_nohash_2.wav",
        "bob_nohash_0.wav",
    ]


def test_a_saved_take_is_a_16k_clip_of_what_was_kept(tmp_path):
    clip = af.speak("seth") * 0.5
    path = save_take(clip, tmp_path, "Seth", "alice")
    assert path.parent.name == "seth"
    assert np.max(np.abs(read_audio(path) - clip)) < 1e-4


def test_speaker_ids_that_would_break_the_file_layout_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="letters and digits"):
        save_take(af.silence(1.0), tmp_path, "seth", "bad_nohash_id")
    with pytest.raises(ConfigError):
        Recorder(ArraySource(af.silence(1.0)), "seth", tmp_path, speaker="a b")


def test_recorder_takes_successive_parts_of_a_source_and_keeps_what_it_is_told(tmp_path):
    first, _, _ = _word_at(0.6, "seth", total_s=2.0)
    quiet = af.noise("white", 2.0, level=0.003, seed=2)
    second, _, _ = _word_at(0.9, "seth", total_s=2.0)
    source = ArraySource(np.concatenate([first, quiet, second]), chunk_ms=100)
    recorder = Recorder(source, "seth", tmp_path, speaker="alice", take_seconds=2.0)
    takes = [recorder.record() for _ in range(3)]
    assert [t.heard for t in takes] == [True, False, True]
    recorder.keep(takes[0])
    recorder.keep(takes[2])
    with pytest.raises(ValueError, match="no word"):
        recorder.keep(takes[1])
    assert recorder.saved() == 2
    assert count_recordings(tmp_path) == {"seth": 2}


def test_recordings_enter_the_dataset_with_the_recording_weight(tmp_path):
    # Item 5: custom words train from synthetic clips plus recordings, and recordings are weighted up.
    for i in range(4):
        af.write_wav(
            tmp_path / "data/synthetic/seth" / f"syn{i}_nohash_0.wav", af.speak("seth", pitch=30 + 10 * i)
        )
    for i in range(3):
        save_take(af.speak("seth", pitch=60), tmp_path / "data/recordings", "seth", f"me{i}")
    for weight in (3.0, 5.5):
        config = ProjectConfig(words=["seth"], data=DataSettings(recording_weight=weight))
        index = build_index(config, tmp_path)
        seth = [e for e in index.entries if e.label == "seth"]
        assert (
            sorted((e.source, e.weight) for e in seth)
            == [("recordings", weight)] * 3 + [("synthetic", 1.0)] * 4
        )


def test_the_trainer_samples_recordings_with_the_recording_weight(tmp_path):
    # The trainer draws each training clip with probability proportional to `SplitData.weights`
    # (core/model/train.py); a recorded take must carry recording_weight there, a synthetic clip 1.0.
    from core.features.splits import load_split_data

    for i in range(6):
        af.write_wav(
            tmp_path / "data/synthetic/seth" / f"syn{i}_nohash_0.wav", af.speak("seth", pitch=30 + 8 * i)
        )
    for i in range(10):
        save_take(af.speak("seth", pitch=40 + 3 * i), tmp_path / "data/recordings", "seth", "me")
    config = ProjectConfig(words=["seth"], data=DataSettings(recording_weight=4.0))
    index = build_index(config, tmp_path)
    data = load_split_data(config, tmp_path, splits=("training",), cache_dir=tmp_path / "cache")["training"]
    training = [e for e in index.entries if e.split == "training"]
    assert sorted(data.weights.tolist()) == sorted(e.weight for e in training)
    recorded = [e for e in training if e.source == "recordings"]
    assert recorded and all(e.weight == 4.0 for e in recorded)
    share = sum(e.weight for e in recorded) / data.weights.sum()
    assert share > len(recorded) / len(training)  # drawn more often than their head count
