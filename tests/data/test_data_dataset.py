"""Data items 4 and 5 — own recordings as a source, and the dataset index (TF speech_commands split)."""

from __future__ import annotations

import math
import random

import pytest

from core.config import DataSettings, ProjectConfig
from core.data.dataset import build_index, folder_label
from core.data.recordings import split_per_take
from core.data.split_rule import speaker_of, which_set
from core.errors import DataError
from tests.audio_factory import silence, write_wav

# File names from the validation/testing lists published with Speech Commands; TF's which_set produced them.
PUBLISHED = {
    "validation": [
        "cat/8b775397_nohash_0.wav",
        "go/6a27a9bf_nohash_0.wav",
        "four/605ed0ff_nohash_0.wav",
        "go/dca2797e_nohash_4.wav",
    ],
    "testing": [
        "nine/c518d1b1_nohash_0.wav",
        "two/0ea0e2f4_nohash_1.wav",
        "happy/27c30960_nohash_0.wav",
        "down/ffa76c4a_nohash_0.wav",
    ],
    "training": ["four/cc3d1613_nohash_1.wav", "four/c93d5e22_nohash_3.wav", "four/3ac2e76f_nohash_0.wav"],
}


@pytest.mark.parametrize("split", sorted(PUBLISHED))
def test_which_set_reproduces_the_published_speech_commands_split(split):
    for name in PUBLISHED[split]:
        assert which_set(name, 10, 10) == split, name


def test_which_set_keeps_a_speaker_together_and_honours_the_percentages():
    assert {which_set(f"x/spk42_nohash_{i}.wav", 10, 10) for i in range(20)} == {
        which_set("spk42_nohash_0.wav", 10, 10)
    }
    rng = random.Random(1)
    names = [f"{rng.getrandbits(32):08x}_nohash_0.wav" for _ in range(4000)]
    splits = [which_set(n, 10, 10) for n in names]
    assert 0.08 < splits.count("validation") / len(names) < 0.12
    assert 0.08 < splits.count("testing") / len(names) < 0.12
    assert {which_set(n, 0, 0) for n in names} == {"training"}
    wide = [which_set(n, 30, 20) for n in names]
    assert 0.27 < wide.count("validation") / len(names) < 0.33


def test_speaker_is_the_part_before_nohash():
    assert speaker_of("a/b/espeak-en-us-p40_nohash_3.wav") == "espeak-en-us-p40"
    assert speaker_of("plain.wav") == "plain"


def _clip(path):
    write_wav(path, silence(0.05))


def _tree(root, layout):
    """layout: {folder: [(speaker, count)]} -> WAV files <root>/<folder>/<speaker>_nohash_<i>.wav"""
    for folder, speakers in layout.items():
        for spk, count in speakers:
            for i in range(count):
                _clip(root / folder / f"{spk}_nohash_{i}.wav")


@pytest.fixture()
def project(tmp_path):
    spk = [(f"s{n:02d}", 3) for n in range(40)]  # 120 clips per folder, 40 speakers
    _tree(tmp_path / "data" / "synthetic", {"stop": spk, "go": spk, "yes": spk, "no": spk, "cat": spk})
    _clip(tmp_path / "data" / "synthetic" / "_background_noise_" / "pink.wav")
    _clip(tmp_path / "data" / "synthetic" / "_background_noise_" / "white.wav")
    _tree(tmp_path / "data" / "recordings", {"stop": [("me", 4)], "go": [("me", 2)]})
    _tree(tmp_path / "data" / "captures", {"_unknown_": [("board", 3)]})
    (tmp_path / "data" / "synthetic" / "stop" / "notes.txt").write_text("not a clip")
    return tmp_path


def test_index_combines_sources_with_labels_weights_and_splits(project):
    config = ProjectConfig(words=["stop", "go"])
    index = build_index(config, project)
    assert index.labels == ["_silence_", "_unknown_", "stop", "go"]
    stops = [e for e in index.entries if e.label == "stop"]
    assert len(stops) == 124 and len({e.path for e in stops}) == 124
    mine = [e for e in index.entries if e.source == "recordings"]
    assert len(mine) == 6 and {e.weight for e in mine} == {config.data.recording_weight}
    assert {e.weight for e in index.entries if e.source == "synthetic"} == {1.0}
    for e in index.entries:
        if e.path is not None:
            rule = split_per_take if e.source in ("recordings", "captures") else which_set
            assert e.split == rule(e.path.name, 10, 10)
            assert e.path.suffix == ".wav"
    assert [p.name for p in index.background_files] == ["pink.wav", "white.wav"]
    captured = [e for e in index.entries if e.source == "captures"]
    assert len(captured) == 3 and {e.label for e in captured} == {"_unknown_"}


def test_one_folder_rule_labels_words_and_skips_hidden_and_other_tool_folders(project):
    folders = {"stop": "stop", "turn_on": "turn on"}
    assert folder_label("stop", folders) == "stop"
    assert folder_label("turn_on", folders) == "turn on"
    assert folder_label("_unknown_", folders) == "_unknown_"
    assert folder_label("_silence_", folders) == "_silence_"
    assert folder_label("cat", folders) == "_unknown_"
    for skipped in ("_background_noise_", "_other_", ".ipynb_checkpoints", ".hidden"):
        assert folder_label(skipped, folders) is None
    # build_index follows it: with an unknown share of 1000%, every unknown-pool clip is used.
    synthetic = project / "data" / "synthetic"
    _tree(synthetic, {".ipynb_checkpoints": [("s00", 3)], "_other_": [("s01", 3)]})
    config = ProjectConfig(words=["stop", "go"], data=DataSettings(unknown_percentage=1000.0))
    used = {e.path.parent.name for e in build_index(config, project).entries if e.path is not None}
    assert {"yes", "no", "cat"} <= used
    assert ".ipynb_checkpoints" not in used and "_other_" not in used


def test_a_speaker_never_spans_two_splits(project):
    index = build_index(ProjectConfig(words=["stop", "go"]), project)
    by_speaker = {}
    for e in index.entries:
        if e.path is not None and e.source == "synthetic":
            by_speaker.setdefault((e.source, e.speaker), set()).add(e.split)
    assert all(len(splits) == 1 for splits in by_speaker.values())
    assert len({s for splits in by_speaker.values() for s in splits}) == 3


@pytest.mark.parametrize("silence_pct, unknown_pct", [(25.0, 25.0), (10.0, 50.0), (0.0, 0.0)])
def test_silence_and_unknown_are_sized_per_split_from_keyword_clips(project, silence_pct, unknown_pct):
    data = DataSettings(silence_percentage=silence_pct, unknown_percentage=unknown_pct)
    index = build_index(ProjectConfig(words=["stop", "go"], data=data), project)
    counts = index.counts()
    for split, per_label in counts.items():
        keyword_clips = per_label["stop"] + per_label["go"]
        assert per_label["_silence_"] == math.ceil(keyword_clips * silence_pct / 100)
        captured = sum(1 for e in index.split(split) if e.source == "captures")
        sampled = per_label["_unknown_"] - captured
        assert sampled == min(math.ceil(keyword_clips * unknown_pct / 100), _pool_size(project, split))
    assert all(e.path is None for e in index.entries if e.label == "_silence_")
    unknown_sources = {e.path.parent.name for e in index.entries if e.label == "_unknown_"}
    assert unknown_sources <= {"yes", "no", "cat", "_unknown_"}


def _pool_size(root, split):
    folders = [root / "data" / "synthetic" / w for w in ("yes", "no", "cat")]
    return sum(1 for f in folders for p in f.iterdir() if which_set(p.name, 10, 10) == split)


def test_index_is_deterministic_for_a_seed_and_varies_with_it(project):
    config = ProjectConfig(words=["stop", "go"])
    first = build_index(config, project, seed=3).entries
    assert build_index(config, project, seed=3).entries == first
    other = build_index(config, project, seed=4).entries
    assert [e.path for e in other if e.label == "_unknown_"] != [
        e.path for e in first if e.label == "_unknown_"
    ]


def test_speech_commands_and_extra_dirs_are_sources(project, tmp_path_factory):
    sc = tmp_path_factory.mktemp("sc")
    _tree(sc, {"stop": [("abcd1234", 2)], "wow": [("abcd1234", 2)]})
    extra = tmp_path_factory.mktemp("extra")
    _tree(extra, {"go": [("x", 1)]})
    config = ProjectConfig(words=["stop", "go"], data=DataSettings(speech_commands_dir=str(sc)))
    index = build_index(config, project, extra_dirs=[extra])
    by_source = index.source_counts()
    assert by_source["speech_commands"]["stop"] == 2
    assert by_source["extra"]["go"] == 1
    assert by_source["recordings"] == {"stop": 4, "go": 2}


def test_recordings_alone_are_enough_and_multi_word_keywords_use_underscored_folders(tmp_path):
    _tree(tmp_path / "data" / "recordings", {"hey_bench": [("me", 5)], "seth": [("me", 2), ("you", 2)]})
    index = build_index(ProjectConfig(words=["hey bench", "seth"]), tmp_path)
    total = {label: sum(c[label] for c in index.counts().values()) for label in index.labels}
    assert total["hey bench"] == 5 and total["seth"] == 4


def test_a_keyword_without_clips_is_a_clear_data_error(project):
    with pytest.raises(DataError, match="'marvin'") as caught:
        build_index(ProjectConfig(words=["stop", "marvin"]), project)
    assert "wakebench data synth" in caught.value.hint
    index = build_index(ProjectConfig(words=["stop", "marvin"]), project, strict=False)
    assert index.missing_words() == ["marvin"]


def test_own_takes_of_one_speaker_reach_training_and_evaluation(tmp_path):
    # One person records everything; split by speaker, all 60 takes would land in a single split.
    _tree(tmp_path / "data" / "recordings", {"seth": [("me", 60)]})
    index = build_index(ProjectConfig(words=["seth"]), tmp_path)
    splits = [e.split for e in index.entries if e.label == "seth"]
    assert len(splits) == 60
    assert splits.count("training") >= 40
    assert splits.count("validation") + splits.count("testing") >= 4
    assert {which_set(f"me_nohash_{i}.wav", 10, 10) for i in range(60)} == {
        which_set("me_nohash_0.wav", 10, 10)
    }
